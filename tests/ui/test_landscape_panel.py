"""The landscape panel keeps a random slice of a big model affordable."""

from lossdash import config
from lossdash.ui import landscape_panel


def trainer(hidden, n):
    cfg = config.RunConfig(dataset="circle", n_samples=n, model="mlp", hidden=hidden, loss="bce")
    train, val, _ = config.prepare(cfg, config.make_dataset(cfg))
    return config.build_trainer(cfg, train, val)


def test_a_small_model_gets_the_full_grid_on_every_row():
    t = trainer("8,8", 500)
    view, res = landscape_panel.affordable(t, 41)
    assert view is t and res == 41


def test_a_big_model_gets_a_coarser_grid_on_a_fixed_sample_within_budget():
    t = trainer("256,256", 4000)
    view, res = landscape_panel.affordable(t, 41)
    rows = view.train.X.shape[0]
    assert res % 2 == 1 and res >= landscape_panel.MIN_RESOLUTION
    assert rows < t.train.X.shape[0]
    assert t.model.n_params * rows * res**2 <= landscape_panel.MAX_SLICE_WORK
    again, _ = landscape_panel.affordable(t, 41)
    assert (again.train.X == view.train.X).all()  # the same rows every redraw
