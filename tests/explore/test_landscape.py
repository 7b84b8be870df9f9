"""Tests for lossdash/landscape.py: exact grids, random directions, demo surfaces."""

import numpy as np
import pytest

from lossdash import data, losses, models, optimizers
from lossdash.engine import Trainer
from lossdash.explore import landscape

REGRESSION = losses.names("regression")
BINARY = ["bce", "hinge"]


def line_problem(name, n=300, seed=0, l1=0.0, l2=0.0):
    """A one-feature linear model, its loss and data for ``name`` (0/1 labels for binary)."""
    d = data.generate("seed_linear", n, 0.3, seed)
    y = d.y if name in REGRESSION else (d.y > 2.0).astype(np.int64)
    model = models.make("linear", 1, l1=l1, l2=l2)
    model.theta[...] = (1.7, -0.4)
    return model, losses.get(name), d.X, y


def line_trainer(name="mse", epochs=40, lr=0.1, n=200):
    d = data.generate("seed_linear", n, 0.2, 0)
    model = models.make("linear", 1)
    trainer = Trainer(model, losses.get(name), optimizers.get("sgd", lr), d, max_epochs=10**6)
    trainer.run_epochs(epochs)
    return trainer


def mlp_trainer(epochs=20, hidden=(16, 16)):
    d = data.generate("circle", 200, 0.0, 0)
    model = models.make("mlp", 2, hidden=hidden)
    trainer = Trainer(model, losses.get("bce"), optimizers.get("adam", 0.01), d)
    trainer.run_epochs(epochs)
    return trainer


# ---------------------------------------------------------------------------------------------
# exact grids


@pytest.mark.parametrize("name", REGRESSION + BINARY)
def test_grid_at_current_weights_equals_the_trainers_loss(name):
    model, loss, X, y = line_problem(name)
    w, b = model.theta
    xs, ys = np.array([w - 1.0, w, w + 0.5]), np.array([b - 0.3, b, b + 2.0])
    Z = landscape.loss_grid(model, X, y, loss, xs, ys)
    value, _ = model.loss_and_grads(X, y, loss)
    assert Z[1, 1] == pytest.approx(value, rel=1e-12)
    assert Z[1, 1] == pytest.approx(loss.value(y, model.forward(X)), rel=1e-12)


@pytest.mark.parametrize("name", REGRESSION + BINARY)
def test_vectorized_grid_equals_a_naive_loop(name):
    model, loss, X, y = line_problem(name)
    xs, ys = np.linspace(-2.0, 5.0, 23), np.linspace(-3.0, 4.0, 19)
    Z = landscape.loss_grid(model, X, y, loss, xs, ys)
    rng = np.random.default_rng(1)
    for i, j in zip(rng.integers(0, len(ys), 12), rng.integers(0, len(xs), 12), strict=True):
        naive = loss.value(y, xs[j] * X[:, 0] + ys[i])
        assert Z[i, j] == pytest.approx(naive, rel=1e-12)


@pytest.mark.parametrize("l1, l2", [(0.1, 0.0), (0.0, 0.5), (0.2, 0.3)], ids=["l1", "l2", "both"])
def test_grid_includes_the_penalty(l1, l2):
    model, loss, X, y = line_problem("mse", l1=l1, l2=l2)
    xs, ys = np.array([-1.5, 2.5]), np.array([0.25])
    Z = landscape.loss_grid(model, X, y, loss, xs, ys)
    for j, w in enumerate(xs):
        data_term = loss.value(y, w * X[:, 0] + 0.25)
        assert Z[0, j] == pytest.approx(data_term + l1 * abs(w) + 0.5 * l2 * w * w, rel=1e-12)


def test_grid_is_the_same_with_one_or_two_threads():
    model, loss, X, y = line_problem("log_cosh", n=1000)
    xs, ys = np.linspace(-1, 4, 30), np.linspace(-2, 2, 31)
    one = landscape.loss_grid(model, X, y, loss, xs, ys, threads=1)
    two = landscape.loss_grid(model, X, y, loss, xs, ys, threads=2)
    np.testing.assert_array_equal(one, two)


def test_grid_rejects_a_model_without_two_parameters():
    model = models.make("linear", 2)
    with pytest.raises(ValueError, match="exactly 2 parameters.*has 3"):
        landscape.loss_grid(model, np.zeros((3, 2)), np.zeros(3), losses.get("mse"), [0], [0])


def test_loss_at_gives_the_same_values_in_small_chunks(monkeypatch):
    trainer = mlp_trainer(epochs=2)
    m, d = trainer.model, trainer.train
    thetas = m.theta + np.random.default_rng(0).normal(0, 0.1, (37, m.n_params))
    whole = m.loss_batch(d.X, d.y, trainer.loss, thetas)
    monkeypatch.setattr(landscape, "MAX_CHUNK_BYTES", 1)  # one parameter vector per chunk
    np.testing.assert_allclose(landscape.loss_at(m, d.X, d.y, trainer.loss, thetas), whole,
                               rtol=1e-13)


# ---------------------------------------------------------------------------------------------
# range and minimum


def test_least_squares_minimum_equals_polyfit():
    model, _, X, y = line_problem("mse")
    w, b = np.polyfit(X[:, 0], y, 1)
    np.testing.assert_allclose(landscape.least_squares_minimum(model, X, y), [w, b], rtol=1e-10)


def test_ridge_minimum_has_zero_gradient():
    model, loss, X, y = line_problem("mse", l2=0.7)
    model.theta[...] = landscape.least_squares_minimum(model, X, y)
    _, grads = model.loss_and_grads(X, y, loss)
    np.testing.assert_allclose(model.grad, 0.0, atol=1e-12)


def test_minimum_of_a_non_mse_loss_is_the_best_path_point():
    model, loss, X, y = line_problem("mae")
    path = np.array([[0.0, 0.0], [3.0, 0.5], [1.0, 1.0]])
    np.testing.assert_array_equal(landscape.landscape_minimum(model, X, y, loss, path), [3, 0.5])


def test_grid_ranges_hold_every_point_with_the_margin():
    (x0, x1), (y0, y1) = landscape.grid_ranges([[0.0, -1.0], [2.0, 3.0]], margin=0.25)
    assert (x0, x1) == pytest.approx((-0.5, 2.5))
    assert (y0, y1) == pytest.approx((-2.0, 4.0))


def test_grid_ranges_give_a_single_point_a_window():
    (x0, x1), (y0, y1) = landscape.grid_ranges([[10.0, 0.0]], margin=0.0)
    assert x1 - x0 == pytest.approx(landscape.MIN_WIDTH * 10.0)
    assert y1 - y0 == pytest.approx(landscape.MIN_WIDTH)


def test_grid_ranges_keep_previous_ranges_while_the_points_stay_inside():
    previous = ((-5.0, 5.0), (-1.0, 1.0))
    assert landscape.grid_ranges([[0.0, 0.0], [4.0, 0.5]], previous=previous) == previous
    widened = landscape.grid_ranges([[0.0, 0.0], [6.0, 0.5]], previous=previous)
    assert widened[0][1] > 6.0


def test_exact_landscape_shows_the_start_and_the_minimum():
    trainer = line_trainer(epochs=5)
    land = landscape.exact_landscape(trainer, resolution=30)
    (x0, x1), (y0, y1) = land.ranges
    for w, b in (trainer.path()[0], land.minimum):
        assert x0 < w < x1 and y0 < b < y1
    assert land.Z.shape == (30, 30)
    np.testing.assert_array_equal(land.path, trainer.path())
    assert (land.x_label, land.y_label) == ("w (W1[0,0])", "b (b1[0])")


def test_exact_landscape_path_loss_is_the_objective_at_each_point():
    trainer = line_trainer(name="huber", epochs=5)
    land = landscape.exact_landscape(trainer, resolution=10)
    m, d = trainer.model, trainer.train
    np.testing.assert_allclose(land.path_loss, m.loss_batch(d.X, d.y, trainer.loss, land.path))


def test_exact_landscape_thins_a_long_path():
    trainer = line_trainer(epochs=landscape.MAX_PATH + 100, lr=0.01)
    land = landscape.exact_landscape(trainer, resolution=10)
    assert len(land.path) == landscape.MAX_PATH
    np.testing.assert_array_equal(land.path[[0, -1]], trainer.path()[[0, -1]])


def test_exact_landscape_redraw_with_the_same_ranges_hits_the_cache():
    trainer = line_trainer(epochs=5)
    cache = landscape.LandscapeCache()
    first = landscape.exact_landscape(trainer, resolution=20, cache=cache)
    trainer.run_epochs(1)
    again = landscape.exact_landscape(trainer, resolution=20, cache=cache, previous=first.ranges)
    assert (cache.misses, cache.hits) == (1, 1)
    assert again.Z is first.Z


def test_cache_evicts_the_least_recently_used_grid():
    cache = landscape.LandscapeCache(maxsize=2)
    for key in ("a", "b", "a", "c"):
        cache.get(key, lambda key=key: key.upper())
    assert len(cache) == 2
    assert cache.get("a", lambda: "new") == "A"
    assert cache.get("b", lambda: "new") == "new"


# ---------------------------------------------------------------------------------------------
# random directions


def test_filter_normalized_direction_filters_have_the_weights_norms():
    model = mlp_trainer(epochs=1).model
    directions = landscape.filter_normalized_directions(model, seed=3)
    for name, s, shape in model.layout:
        for d in directions:
            block = d[s].reshape(shape)
            if name.startswith("b"):
                np.testing.assert_array_equal(block, 0.0)
            else:
                W = model.params[name]
                np.testing.assert_allclose(np.linalg.norm(block, axis=0),
                                           np.linalg.norm(W, axis=0), rtol=1e-12)


def test_directions_are_reproducible_from_the_seed():
    model = models.make("mlp", 2, hidden=(4,))
    a = landscape.filter_normalized_directions(model, seed=7)
    np.testing.assert_array_equal(a, landscape.filter_normalized_directions(model, seed=7))
    assert not np.allclose(a, landscape.filter_normalized_directions(model, seed=8))


def test_a_zero_weight_filter_gets_a_unit_direction():
    model = models.make("linear", 3, init="zeros")
    directions = landscape.filter_normalized_directions(model, seed=0)
    np.testing.assert_allclose(np.linalg.norm(directions[:, :3], axis=1), 1.0)


def test_a_point_in_the_plane_projects_to_its_coordinates():
    rng = np.random.default_rng(0)
    center, directions = rng.normal(size=50), rng.normal(size=(2, 50))
    path = center + np.array([[0.3, -0.7], [0.0, 0.0], [-1.2, 2.5]]) @ directions
    coords, off = landscape.project_path(path, center, directions)
    np.testing.assert_allclose(coords, [[0.3, -0.7], [0.0, 0.0], [-1.2, 2.5]], atol=1e-12)
    np.testing.assert_allclose(off, 0.0, atol=1e-12)


def test_a_point_off_the_plane_reports_its_residual():
    center, directions = np.zeros(3), np.array([[1.0, 0, 0], [0, 1.0, 0]])
    coords, off = landscape.project_path([[3.0, 0.0, 4.0]], center, directions)
    np.testing.assert_allclose(coords, [[3.0, 0.0]])
    assert off[0] == pytest.approx(0.8)  # |(0, 0, 4)| / |(3, 0, 4)|


def test_random_landscape_centre_is_the_current_loss():
    trainer = mlp_trainer()
    land = landscape.random_landscape(trainer, resolution=21, fit_path=False)
    value, _ = trainer.model.loss_and_grads(trainer.train.X, trainer.train.y, trainer.loss)
    assert land.Z.shape == (21, 21)
    assert land.Z[10, 10] == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(land.path[-1], [0.0, 0.0], atol=1e-12)
    assert land.n_params == trainer.model.n_params


def test_random_landscape_grid_points_are_theta_plus_a_d1_plus_b_d2():
    trainer = mlp_trainer(epochs=3)
    land = landscape.random_landscape(trainer, resolution=5, span=0.5, seed=2, fit_path=False)
    m, d = trainer.model, trainer.train
    d1, d2 = landscape.filter_normalized_directions(m, seed=2)
    theta = m.theta + land.xs[4] * d1 + land.ys[1] * d2
    assert land.Z[1, 4] == pytest.approx(m.loss_batch(d.X, d.y, trainer.loss, theta)[0])


def test_random_landscape_fits_the_projected_path():
    trainer = mlp_trainer(epochs=200)
    land = landscape.random_landscape(trainer, resolution=11, span=1e-3)
    assert np.abs(land.path).max() < land.xs[-1]


def test_random_landscape_redraw_of_the_same_weights_is_cached():
    trainer = mlp_trainer(epochs=3)
    cache = landscape.LandscapeCache()
    first = landscape.random_landscape(trainer, resolution=9, cache=cache)
    again = landscape.random_landscape(trainer, resolution=9, cache=cache)
    assert (cache.misses, cache.hits) == (1, 1) and again.Z is first.Z
    trainer.run_epochs(1)
    landscape.random_landscape(trainer, resolution=9, cache=cache)
    assert cache.misses == 2



def test_a_cancelled_slice_stops_between_chunks_and_caches_nothing():
    import threading

    trainer = mlp_trainer(epochs=3)
    cache = landscape.LandscapeCache()
    cancel = threading.Event()
    calls = []
    model = trainer.model
    batch = model.loss_batch

    def counting(*args, **kwargs):  # the first chunk asks to stop: no second chunk runs
        calls.append(1)
        cancel.set()
        return batch(*args, **kwargs)

    model.loss_batch = counting
    size = landscape.MAX_CHUNK_BYTES
    landscape.MAX_CHUNK_BYTES = 8 * trainer.train.X.shape[0] * sum(model.sizes) * 10  # 10 a chunk
    try:
        with pytest.raises(landscape.Cancelled):
            landscape.random_landscape(trainer, resolution=9, cache=cache, threads=1,
                                       cancel=cancel)
    finally:
        landscape.MAX_CHUNK_BYTES = size
        del model.loss_batch
    assert calls == [1] and len(cache._store) == 0
    cancel.clear()  # not set: the same call completes and is the uncancelled slice
    done = landscape.random_landscape(trainer, resolution=9, cache=cache, cancel=cancel)
    np.testing.assert_array_equal(done.Z, landscape.random_landscape(trainer, resolution=9).Z)


# ---------------------------------------------------------------------------------------------
# demo surfaces

SURFACES = list(landscape.SURFACES)


@pytest.mark.parametrize("name", SURFACES)
def test_surface_gradient_matches_central_differences(name):
    surf = landscape.surface(name)
    rng = np.random.default_rng(0)
    x = rng.uniform(*surf.x_range, 20) * 0.8
    y = rng.uniform(*surf.y_range, 20) * 0.8
    h = 1e-6
    gx, gy = surf.grad(x, y)
    fd_x = (surf.value(x + h, y) - surf.value(x - h, y)) / (2 * h)
    fd_y = (surf.value(x, y + h) - surf.value(x, y - h)) / (2 * h)
    scale = 1.0 + np.abs(surf.value(x, y))
    np.testing.assert_allclose(gx / scale, fd_x / scale, atol=1e-6)
    np.testing.assert_allclose(gy / scale, fd_y / scale, atol=1e-6)


@pytest.mark.parametrize("name", [n for n in SURFACES if landscape.SURFACES[n].minima])
def test_surface_minima_are_zeros_with_zero_gradient(name):
    surf = landscape.surface(name)
    m = np.asarray(surf.minima)
    np.testing.assert_allclose(surf.value(m[:, 0], m[:, 1]), 0.0, atol=1e-9)
    np.testing.assert_allclose(np.array(surf.grad(m[:, 0], m[:, 1])), 0.0, atol=1e-4)


@pytest.mark.parametrize("name", SURFACES)
def test_surface_grid_is_value_over_the_plot_range(name):
    surf = landscape.surface(name)
    xs, ys, Z = surf.grid(7)
    assert (xs[0], xs[-1], ys[0], ys[-1]) == (*surf.x_range, *surf.y_range)
    assert Z[2, 5] == pytest.approx(surf.value(xs[5], ys[2]))


def test_rosenbrock_by_its_formula():
    assert landscape.surface("rosenbrock").value(0.0, 1.0) == pytest.approx(101.0)


@pytest.mark.parametrize(
    "name, opt, lr, steps",
    [("rosenbrock", "adam", 0.05, 3000), ("rosenbrock", "momentum", 1e-3, 3000),
     ("beale", "adam", 0.05, 3000), ("ravine", "momentum", 0.02, 1000)],
    ids=["rosenbrock-adam", "rosenbrock-momentum", "beale-adam", "ravine-momentum"],
)
def test_optimizer_finds_the_known_minimum(name, opt, lr, steps):
    surf = landscape.surface(name)
    path = landscape.descend(surf, optimizers.get(opt, lr), steps=steps)
    assert np.linalg.norm(path[-1] - np.asarray(surf.minima[0])) < 1e-2


def test_descend_path_starts_at_the_start_and_takes_every_step():
    surf = landscape.surface("ravine")
    path = landscape.descend(surf, optimizers.get("sgd", 0.01), start=(2.0, 1.0), steps=10)
    assert path.shape == (11, 2)
    np.testing.assert_array_equal(path[0], [2.0, 1.0])
    np.testing.assert_allclose(path[1], [2.0 - 0.01 * 2.0, 1.0 - 0.01 * 50.0])


def test_descend_stops_cleanly_when_it_blows_up():
    surf = landscape.surface("rosenbrock")
    path = landscape.descend(surf, optimizers.get("sgd", 0.1), steps=1000)  # no warning leaks
    assert 1 < len(path) < 1001
    assert np.isfinite(path).all()


def test_descend_leaves_a_saddle_and_stops():
    surf = landscape.surface("saddle")
    path = landscape.descend(surf, optimizers.get("sgd", 0.1), steps=10_000)
    assert len(path) < 10_001
    assert abs(path[-1, 1]) > landscape.ESCAPE * 2.0


def test_race_runs_every_optimizer_from_the_same_start():
    surf = landscape.surface("himmelblau")
    runs = landscape.race(surf, {"sgd": optimizers.get("sgd", 0.01),
                                 "adam": optimizers.get("adam", 0.1)}, steps=50)
    assert list(runs) == ["sgd", "adam"]
    assert all(np.array_equal(p[0], surf.start) for p in runs.values())


def test_unknown_surface_names_the_choices():
    with pytest.raises(ValueError, match="rosenbrock, beale"):
        landscape.surface("egg crate")


def test_exact_landscape_before_the_first_step_frames_the_start():
    trainer = line_trainer(epochs=0)
    land = landscape.exact_landscape(trainer, resolution=5)
    (x0, x1), (y0, y1) = land.ranges
    w, b = trainer.model.theta
    assert x0 < w < x1 and y0 < b < y1
    assert len(land.path) == 1


def test_exact_landscape_refuses_a_bigger_model():
    with pytest.raises(ValueError, match="use random directions"):
        landscape.exact_landscape(mlp_trainer(epochs=1))


def test_a_grid_far_out_overflows_to_inf_without_a_warning():
    model, loss, X, y = line_problem("mse")
    xs = np.r_[1e200, np.linspace(0.0, 3.0, 99)]  # 200 pairs: several chunks, two threads
    Z = landscape.loss_grid(model, X, y, loss, xs, [0.0, 1.0], threads=2)
    assert np.isinf(Z[:, 0]).all() and np.isfinite(Z[:, 1:]).all()


def test_framed_points_leave_out_diverged_paths_but_keep_the_minimum():
    calm = np.array([[0.0, 0.0], [1.0, 2.0]])
    wild = np.array([[0.0, 0.0], [-3e4, 9e4]])
    points = landscape.framed_points([calm, wild], [False, True], minimum=np.array([3.0, 1.0]))
    np.testing.assert_array_equal(points, [[0, 0], [1, 2], [3, 1]])
    (x0, x1), (y0, y1) = landscape.grid_ranges(points)
    assert -1 < x0 and x1 < 4 and -1 < y0 and y1 < 3  # the calm path fills the picture


def test_framed_points_use_every_path_when_every_run_diverged():
    a, b = np.array([[0.0, 0.0], [5.0, 5.0]]), np.array([[0.0, 0.0], [-7.0, 1.0]])
    np.testing.assert_array_equal(landscape.framed_points([a, b], [True, True]),
                                  np.vstack([a, b]))
