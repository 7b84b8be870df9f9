"""Comparing runs: shared weights and batches, level progress, labels, results, pins."""

import numpy as np
import pandas as pd
import pytest

from lossdash import config, models
from lossdash.explore import compare
from lossdash.explore.compare import EPOCH_QUANTUM, MAX_RUNS, Comparison, label_for

BASE = config.RunConfig(
    dataset="moons", n_samples=200, noise=0.1, loss="bce", model="mlp", hidden="8",
    batch_size=20, lr=0.1, max_epochs=10_000,
)


@pytest.fixture(scope="module")
def data():
    train, val, _ = config.prepare(BASE, config.make_dataset(BASE))
    return train, val


@pytest.mark.parametrize(
    "variant, label",
    [
        ({"optimizer": "adam", "lr": 0.01}, "adam, lr=0.01"),
        ({"loss": "hinge"}, "loss=hinge"),
        ({"batch_size": 0}, "full batch"),
        ({"batch_size": 50}, "batch 50"),
        ({"lr": 0.1}, "lr=0.1"),  # a varied setting is named even at the base's value
        ({}, "base"),
    ],
    ids=["optimizer-and-lr", "loss", "full-batch", "batch-size", "no-op", "empty"],
)
def test_label_names_the_changed_settings(variant, label):
    assert label_for(BASE, variant) == label


def test_repeated_labels_are_numbered(data):
    comp = Comparison(BASE, [{}, {}], *data)
    assert comp.labels == ["base", "base (2)"]


def test_runs_of_the_same_shape_start_from_the_same_weights(data):
    variants = [{"optimizer": "sgd"}, {"optimizer": "adam", "lr": 0.01}, {"loss": "hinge"}]
    comp = Comparison(BASE, variants, *data)
    expected = models.make("mlp", 2, hidden=(8,), seed=BASE.seed).theta
    for trainer in comp.trainers:
        np.testing.assert_array_equal(trainer.initial_theta, expected)


def test_runs_with_the_same_batch_size_see_the_same_rows(data):
    comp = Comparison(BASE, [{"optimizer": "sgd"}, {"optimizer": "adam", "lr": 0.01}], *data)
    seen = []
    for trainer in comp.trainers:
        rows, original = [], trainer._next_batch

        def recording(original=original, rows=rows):
            Xb, yb = original()
            rows.append(Xb.copy())
            return Xb, yb

        trainer._next_batch = recording
        trainer.run_steps(25)  # two and a half epochs of 8 batches: two fresh permutations
        seen.append(np.concatenate(rows))
    np.testing.assert_array_equal(seen[0], seen[1])
    assert len(seen[0]) == 25 * BASE.batch_size


def test_a_no_op_setting_gives_the_same_history(data):
    # plain sgd has no momentum: the two runs must be identical step for step
    comp = Comparison(BASE, [{}, {"momentum": 0.5}], *data)
    for trainer in comp.trainers:
        trainer.run_steps(30)
    pd.testing.assert_frame_equal(comp.trainers[0].history, comp.trainers[1].history)


def test_step_all_keeps_runs_level_in_epochs(data):
    comp = Comparison(BASE, [{"batch_size": 0}, {"batch_size": 10}, {"optimizer": "adam"}], *data)
    comp.step_all(0.3)
    epochs = [t.epoch for t in comp.trainers]
    assert min(epochs) >= 1
    assert max(epochs) - min(epochs) <= EPOCH_QUANTUM + 1.0  # + one full-batch step (1 epoch)


def test_step_all_stops_when_every_run_is_done(data):
    short = BASE.replace(max_epochs=2)
    comp = Comparison(short, [{}, {"optimizer": "adam"}], *data)
    taken = comp.step_all(10.0)
    assert comp.done and taken == [2 * 8, 2 * 8]  # 160 rows / batch 20 = 8 steps per epoch


def test_results_table_reports_each_run_at_its_current_weights(data):
    comp = Comparison(BASE, [{}, {"optimizer": "adam", "lr": 0.01}], *data)
    comp.step_all(0.1)
    table = comp.results()
    assert list(table.columns) == compare.RESULT_COLUMNS
    assert list(table["label"]) == comp.labels
    for row, trainer in zip(table.itertuples(), comp.trainers, strict=True):
        assert row.train_loss == trainer.evaluate(data[0])[0]
        assert (row.val_loss, row.metric) == trainer.evaluate(data[1])
        assert row.epoch == trainer.epoch and row.status == trainer.status


def test_a_pinned_run_keeps_its_history_and_moves_to_the_next_comparison(data):
    comp = Comparison(BASE, [{}, {"optimizer": "adam"}], *data)
    comp.trainers[1].run_steps(12)
    pinned = comp.pin(1)
    comp.trainers[1].run_steps(5)
    assert pinned.label == "adam" and len(pinned.history) == 12
    following = Comparison(BASE, [{"lr": 0.5}], *data, pinned=comp.pinned)
    assert following.pinned == [pinned]


@pytest.mark.parametrize(
    "variant, words",
    [
        ({"noise": 0.3}, "share the data"),
        ({"seed": 3}, "share the data and the seed"),
        ({"learning_rate": 0.1}, "unknown setting"),
        ({"lr": -1.0}, "must be between"),
    ],
    ids=["data-field", "seed", "unknown-field", "out-of-range"],
)
def test_a_bad_variant_is_refused_in_words(data, variant, words):
    with pytest.raises(config.ConfigError, match=words):
        Comparison(BASE, [{}, variant], *data)


def test_at_most_eight_runs(data):
    with pytest.raises(config.ConfigError, match=f"1 to {MAX_RUNS} runs"):
        Comparison(BASE, [{"lr": 0.01 * (i + 1)} for i in range(MAX_RUNS + 1)], *data)


def test_pinned_runs_are_listed_in_the_results_with_their_last_evaluation(data):
    first = Comparison(BASE, [{"optimizer": "adam"}], *data)
    first.trainers[0].run_epochs(3)
    pinned = first.pin(0)
    second = Comparison(BASE, [{"optimizer": "sgd"}], *data, pinned=first.pinned)
    table = second.results()
    assert list(table["label"]) == ["sgd", "adam (pinned)"]
    last = pinned.history[pinned.history["eval"]].iloc[-1]
    row = table.iloc[1]
    assert row["train_loss"] == last["train_loss"] and row["metric"] == last["val_metric"]
    assert row["epoch"] == 3.0
