"""Every lesson shows what its text promises: each is trained (or run) and checked here.

The app side (a lesson's link loads its settings) is in tests/ui/test_playground.py.
"""

import numpy as np
import pytest

from lossdash import config, lessons, optimizers
from lossdash.explore import landscape, shapes


def trained(cfg):
    train, val, _ = config.prepare(cfg, config.make_dataset(cfg))
    trainer = config.build_trainer(cfg, train, val)
    trainer.run_epochs(cfg.max_epochs)
    return trainer, train, val


def lesson_run(key, **changes):
    return trained(lessons.BY_KEY[key].config().replace(**changes))


def check_first_fit():
    trainer, train, _ = lesson_run("first_fit")
    A = np.column_stack([train.X[:, 0], np.ones(train.n_samples)])
    np.testing.assert_allclose(trainer.model.theta, np.linalg.lstsq(A, train.y, rcond=None)[0],
                               atol=0.02)
    assert abs(trainer.model.theta[0] - 3) < 0.3 and abs(trainer.model.theta[1] - 0.5) < 0.15


def check_lr_too_large():
    assert lesson_run("lr_too_large")[0].status == "diverged"
    assert lesson_run("lr_too_large", lr=0.5)[0].status != "diverged"


def check_momentum_ravine():
    momentum, _, val = lesson_run("momentum_ravine")
    sgd, _, _ = lesson_run("momentum_ravine", optimizer="sgd")
    assert momentum.evaluate(val)[1] >= 0.9 > 0.85 > sgd.evaluate(val)[1]


def check_outliers():
    fits = shapes.outlier_experiment(k=lessons.BY_KEY["outliers"].ui["outliers_k"]).fits
    assert fits["mse"][0] < 1.5 and abs(fits["mae"][0] - 3) < 0.5


def check_unscaled():
    assert lesson_run("unscaled")[0].status == "diverged"
    fixed, _, val = lesson_run("unscaled", standardize=True)
    assert fixed.status == "converged" and fixed.epoch <= 20 and fixed.evaluate(val)[1] > 0.99


def check_overfitting():
    trainer, _, _ = lesson_run("overfitting")
    val_loss = trainer.history["val_loss"].to_numpy()
    assert val_loss.argmin() < 200  # the validation loss turns up early ...
    assert val_loss[-1] > 1.5 * val_loss.min()  # ... and ends well above its best
    assert trainer.history["train_loss"].iloc[-1] < val_loss.min() / 3  # training keeps falling
    calm = lesson_run("overfitting", n_samples=200)[0].history
    assert calm["val_loss"].iloc[-1] < 1.05 * calm["val_loss"].min()
    assert calm["val_loss"].iloc[-1] < 1.5 * calm["train_loss"].iloc[-1]


def check_adam_spiral():
    adam, _, val = lesson_run("adam_spiral")
    assert adam.evaluate(val)[1] >= 0.95
    sgd, _, _ = lesson_run("adam_spiral", optimizer="sgd", lr=0.1)
    assert sgd.evaluate(val)[1] < 0.7


def check_circle_features():
    trainer, _, val = lesson_run("circle_features")
    assert trainer.evaluate(val)[1] >= 0.95
    plain, _, plain_val = lesson_run("circle_features", features="x1,x2")
    assert plain.evaluate(plain_val)[1] < 0.7


def check_himmelblau():
    surf = landscape.surface(lessons.BY_KEY["himmelblau"].ui["surface"])
    for start, minimum in (((0.0, 0.0), (3.0, 2.0)), ((-1.0, -1.0), (-3.78, -3.28))):
        for name, lr in (("sgd", 0.001), ("momentum", 0.001), ("adam", 0.05)):
            end = landscape.descend(surf, optimizers.get(name, lr), start, 500)[-1]
            np.testing.assert_allclose(end, minimum, atol=0.01)


CHECKS = {name[len("check_"):]: fn for name, fn in globals().items()
          if name.startswith("check_")}


def test_there_are_at_least_seven_lessons_each_with_a_check():
    assert len(lessons.LESSONS) >= 7
    assert set(CHECKS) == set(lessons.BY_KEY)


@pytest.mark.parametrize("key", list(lessons.BY_KEY))
def test_lesson_shows_what_its_text_promises(key):
    CHECKS[key]()


def test_an_unknown_lesson_changes_nothing():
    assert lessons.url_changes("nope", {}) == {}


def test_settings_named_in_the_link_win_over_the_lesson():
    changes = lessons.url_changes("lr_too_large", {"lesson": "lr_too_large", "lr": "0.1"})
    assert "lr" not in changes and changes["view"] == "Train"
