"""Tests for lossdash/charts_landscape.py: figures checked by their traces and axes."""

import numpy as np
import pytest

from lossdash import losses, optimizers
from lossdash.charts import landscape as charts
from lossdash.explore import landscape, shapes
from lossdash.explore.landscape import Landscape


def make_landscape(kind="exact", m=7, n_params=2, minimum=(1.0, 0.5)):
    """A small bowl ``(x - 1)^2 + (y - 0.5)^2`` with a straight path into its minimum."""
    xs, ys = np.linspace(-1, 3, 9), np.linspace(-1, 2, 8)
    Z = (xs[None, :] - 1.0) ** 2 + (ys[:, None] - 0.5) ** 2
    t = np.linspace(0, 1, m)[:, None]
    path = (1 - t) * np.array([-0.5, 1.8]) + t * np.array([0.9, 0.6])
    labels = ("w (W1[0,0])", "b (b1[0])") if kind == "exact" else (
        "direction 1 (filter-normalized)", "direction 2 (filter-normalized)")
    return Landscape(kind, xs, ys, Z, path, ((path - [1.0, 0.5]) ** 2).sum(axis=1), *labels,
                     minimum=None if minimum is None else np.array(minimum),
                     n_params=n_params, off_plane=0.25 if kind == "random" else 0.0)


def named(fig, name):
    return [t for t in fig.data if t.name == name]


@pytest.mark.parametrize("style, grid_type, path_type",
                         [("contour", "contour", "scatter"), ("surface", "surface", "scatter3d")])
def test_landscape_style_picks_the_trace_types(style, grid_type, path_type):
    fig = charts.landscape_figure(make_landscape(), style=style)
    assert fig.data[0].type == grid_type
    assert named(fig, "path")[0].type == path_type


@pytest.mark.parametrize("style", charts.STYLES)
def test_path_trace_has_every_point_of_the_path(style):
    land = make_landscape(m=13)
    (path,) = named(charts.landscape_figure(land, style=style), "path")
    np.testing.assert_allclose(path.x, land.path[:, 0])
    np.testing.assert_allclose(path.y, land.path[:, 1])
    assert "lines" in path.mode and "markers" in path.mode


def test_start_and_current_points_are_marked():
    land = make_landscape()
    fig = charts.landscape_figure(land)
    (start,), (current,) = named(fig, "start"), named(fig, "current")
    assert (start.x[0], start.y[0]) == tuple(land.path[0])
    assert (current.x[0], current.y[0]) == tuple(land.path[-1])
    assert (named(fig, "minimum")[0].x[0], named(fig, "minimum")[0].y[0]) == (1.0, 0.5)


def test_3d_path_floats_just_above_its_loss_so_the_surface_never_hides_it():
    land = make_landscape()
    (path,) = named(charts.landscape_figure(land, style="surface"), "path")
    lift = charts.PATH_LIFT * np.ptp(land.Z)
    assert lift > 0
    np.testing.assert_allclose(np.asarray(path.z, float), land.path_loss + lift)


def test_contour_axes_name_the_parameters_and_span_the_grid():
    fig = charts.landscape_figure(make_landscape())
    assert fig.layout.xaxis.title.text == "w (W1[0,0])"
    assert fig.layout.yaxis.title.text == "b (b1[0])"
    assert tuple(fig.layout.xaxis.range) == (-1.0, 3.0)


def test_surface_scene_names_the_parameters():
    fig = charts.landscape_figure(make_landscape(), style="surface")
    assert fig.layout.scene.xaxis.title.text == "w (W1[0,0])"
    assert fig.layout.scene.yaxis.title.text == "b (b1[0])"


def test_random_direction_title_says_slice_and_projection():
    fig = charts.landscape_figure(make_landscape("random", n_params=337, minimum=None))
    title = fig.layout.title.text
    assert "337-dimensional" in title and "slice" in title and "projection" in title
    assert "25%" in title
    assert fig.layout.xaxis.title.text == "direction 1 (filter-normalized)"
    assert not named(fig, "minimum")


def test_live_figures_keep_their_uirevision():
    fig = charts.landscape_figure(make_landscape(), uirevision="run-3")
    assert fig.layout.uirevision == "run-3"


def test_log_colour_is_log10_of_the_loss_with_the_loss_in_the_hover():
    land = make_landscape()
    land.Z = land.Z + 1.0  # positive everywhere: plain log10
    grid = charts.landscape_figure(land, log_color=True).data[0]
    np.testing.assert_allclose(np.asarray(grid.z, float), np.log10(land.Z), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(grid.customdata, float), land.Z, rtol=1e-6)
    assert grid.colorbar.title.text == "log10 loss"


def test_log_colour_of_a_surface_reaching_zero_is_finite():
    land = make_landscape()
    land.Z = land.Z - land.Z.min()
    grid = charts.landscape_figure(land, log_color=True).data[0]
    assert np.isfinite(np.asarray(grid.z, float)).all()
    assert grid.colorbar.title.text == "log10(loss - min)"


def test_unknown_style_is_refused():
    with pytest.raises(ValueError, match="'contour' or 'surface'"):
        charts.landscape_figure(make_landscape(), style="heatmap")


def test_non_finite_losses_become_gaps():
    land = make_landscape()
    land.Z[0, 0] = np.inf
    assert charts.landscape_figure(land).data[0].z[0][0] is None


# ---------------------------------------------------------------------------------------------
# demo surfaces


def demo_runs(steps=40):
    surf = landscape.surface("rosenbrock")
    runs = landscape.race(surf, {"sgd": optimizers.get("sgd", 1e-3),
                                 "adam": optimizers.get("adam", 0.05)}, steps=steps)
    return surf, runs


def test_demo_figure_draws_one_coloured_path_per_optimizer():
    surf, runs = demo_runs()
    fig = charts.demo_figure(surf, runs)
    paths = [t for t in fig.data if t.name in runs]
    assert [t.name for t in paths] == ["sgd", "adam"]
    assert len({t.line.color for t in paths}) == 2
    assert all(len(t.x) == len(runs[t.name]) for t in paths)
    assert len(named(fig, "start")) == 1  # one shared start


def test_demo_figure_uses_the_surfaces_log_colour():
    surf, runs = demo_runs()
    grid = charts.demo_figure(surf, runs, resolution=20).data[0]
    assert grid.colorbar.title.text.startswith("log10")
    assert len(grid.x) == 20


def test_demo_figure_thins_long_paths():
    surf, runs = demo_runs(steps=3000)
    fig = charts.demo_figure(surf, runs)
    assert len(named(fig, "adam")[0].x) == charts.MAX_PATH


def test_demo_figure_marks_the_known_minima_in_3d():
    surf = landscape.surface("himmelblau")
    fig = charts.demo_figure(surf, {}, style="surface", resolution=10)
    (minima,) = named(fig, "minimum")
    assert len(minima.x) == 4


# ---------------------------------------------------------------------------------------------
# loss shapes and outliers


@pytest.mark.parametrize("which", ["value", "gradient"])
def test_loss_shape_figure_has_one_line_per_loss(which):
    s = shapes.loss_shapes("regression", points=11)
    fig = charts.loss_shape_figure(s, which)
    lines = [t for t in fig.data if t.type == "scatter"]
    assert [t.name for t in lines] == losses.names("regression")
    expected = s.values["mse"] if which == "value" else s.grads["mse"]
    np.testing.assert_allclose(lines[0].y, expected)
    assert fig.layout.xaxis.title.text == s.x_label


def test_loss_shape_figure_draws_the_zero_axes_across_the_plot_and_the_legend_below():
    fig = charts.loss_shape_figure(shapes.loss_shapes("regression", points=11), "gradient")
    across = {(s.xref, s.x0, s.x1, s.yref, s.y0, s.y1) for s in fig.layout.shapes}
    assert across == {("x domain", 0, 1, "y", 0, 0), ("x", 0, 0, "y domain", 0, 1)}
    assert fig.layout.legend.yref == "container" and fig.layout.legend.y == 0
    assert fig.layout.uirevision == "shapes"
    assert fig.layout.yaxis.title.text == "gradient dl/dr"


def test_loss_shape_figure_refuses_other_views():
    with pytest.raises(ValueError, match="'value' or 'gradient'"):
        charts.loss_shape_figure(shapes.loss_shapes(points=3), "hessian")


def test_outlier_figure_shows_points_and_every_fit():
    result = shapes.OutlierFit(X=np.array([[0.0], [1.0], [1.0]]), y=np.array([0.5, 3.5, -8.0]),
                               outlier=np.array([False, False, True]),
                               fits={"mse": (1.0, 0.0), "mae": (3.0, 0.5)})
    fig = charts.outlier_figure(result)
    assert list(named(fig, "outliers")[0].y) == [-8.0]
    (mae,) = [t for t in fig.data if t.name.startswith("mae")]
    assert list(mae.y) == [0.5, 3.5]
    assert mae.name == "mae: y = 3.00x + 0.50"
    (true,) = [t for t in fig.data if t.name.startswith("true")]
    assert list(true.y) == [0.5, 3.5] and true.name == "true: y = 3x + 0.5"


def test_outlier_figure_without_data_says_so():
    empty = shapes.OutlierFit(np.zeros((0, 1)), np.zeros(0), np.zeros(0, bool), {})
    fig = charts.outlier_figure(empty)
    assert not fig.data
    assert [a.text for a in fig.layout.annotations] == ["no data"]


@pytest.mark.parametrize("which", ["value", "gradient"])
def test_cross_entropy_on_two_classes_is_dashed_on_top_of_bce_and_says_so(which):
    fig = charts.loss_shape_figure(shapes.loss_shapes("classification", points=21), which)
    lines = {t.name: t for t in fig.data if t.type == "scatter"}
    assert set(lines) == {"bce", "cross_entropy (= bce)", "hinge"}
    np.testing.assert_allclose(lines["cross_entropy (= bce)"].y, lines["bce"].y)
    assert lines["cross_entropy (= bce)"].line.dash == "dash" and lines["bce"].line.dash is None
    assert lines["hinge"].line.dash is None
