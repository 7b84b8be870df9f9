"""The loss itself, as a surface over two coordinates: exact grids, random slices, demo surfaces.

Three pictures, one shape of result (:class:`Landscape`: a grid ``Z[i, j]`` of the objective at
``(xs[j], ys[i])`` plus the optimizer's path in the same coordinates):

1. **Exact landscape** of a model with exactly two parameters (the one-feature linear model
   ``y_hat = w x + b``). The objective the trainer minimizes,

   .. math:: J(w, b) = \\frac1n \\sum_{i=1}^n \\ell(y_i,\\, w x_i + b) + \\text{penalty}(w),

   is evaluated on every point of a grid. For the linear model the outputs of all grid points
   form an outer product ``w_j x_i + b_k``, so a chunk of grid points is one ``take`` and one
   broadcast add, then the registry's ``loss.pointwise``: a few NumPy calls per chunk, chunks
   sized to stay in the CPU cache, split over two threads (NumPy releases the GIL).

2. **Random-direction landscape** of any model (Li et al. 2018, "Visualizing the Loss Landscape
   of Neural Nets"): ``J(theta* + a d1 + b d2)`` on a grid of ``(a, b)`` around the current
   weights ``theta*``, with two seeded Gaussian directions *filter-normalized*: every column of
   a weight matrix ``W`` (fan_in, fan_out), the incoming weights of one neuron, is rescaled,

   .. math:: d_{:,j} \\leftarrow \\frac{d_{:,j}}{\\lVert d_{:,j}\\rVert}\\,\\lVert W_{:,j}\\rVert,

   and the bias entries of the directions are 0 (as the paper does). The path ``theta_t`` is
   shown by its least-squares coordinates on the plane: ``argmin_c |D c - (theta_t - theta*)|``
   with ``D = [d1 d2]``. It is a 2-D slice through a high-dimensional function, and the path is
   a projection: points off the plane are drawn where their shadow falls.

3. **Demo surfaces** with no data (Rosenbrock, Beale, a saddle, a ravine, Himmelblau), each with
   its value, gradient, start point, plot range, known minima and formula, and :func:`descend`,
   which runs any lossdash optimizer on one of them.

Engine code: NumPy only. Grids are cached by :class:`LandscapeCache` under a :class:`GridKey`
that names everything a grid depends on, so redrawing the same weights costs nothing.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np

CHUNK_ELEMENTS = 1 << 17  # 1 MB of float64 per chunk: stays in L2, ~3x faster than 32 MB chunks
MAX_CHUNK_BYTES = 8 << 20  # activations of one chunk of an MLP grid: as fast as 32 MB chunks,
# and a cancelled slice stops within one chunk (~10 ms)
THREADS = min(2, os.cpu_count() or 1)  # two halves of the grid at once: numpy drops the GIL
MAX_PATH = 500  # path points kept for a figure (and searched for the best one)
EXACT_RESOLUTION = 80
RANDOM_RESOLUTION = 41
MARGIN = 0.15  # fraction of the span added on each side of the path and the minimum
MIN_WIDTH = 0.2  # a range never narrower than 0.2 * max(1, |coordinate|): one point has a view
ESCAPE = 100.0  # descend stops once a point is this many plot half-widths from the centre


# ==============================================================================================
# results and cache
# ==============================================================================================


@dataclass
class Landscape:
    """A loss surface over two coordinates and the optimizer's path on it.

    Attributes
    ----------
    kind : {"exact", "random", "demo"}
    xs : ndarray (nx,), ys : ndarray (ny,)
        Grid coordinates (``w`` and ``b``, or the two direction coefficients ``a`` and ``b``).
    Z : ndarray (ny, nx)
        The objective at ``(xs[j], ys[i])`` in ``Z[i, j]`` (plotly's orientation).
    path : ndarray (m, 2)
        The path in the same coordinates, start first, current weights last (at most
        ``MAX_PATH`` points, evenly thinned).
    path_loss : ndarray (m,)
        The objective at each path point (random directions: at the point's projection on the
        plane, so the line lies on the drawn surface).
    x_label, y_label : str
        Axis titles naming the coordinates.
    minimum : ndarray (2,) or None
        The minimum in view: closed form (least squares) or the best path point.
    n_params : int
        Dimension of the model's parameter space (2 for an exact landscape).
    off_plane : float
        Random directions: the largest fraction ``|residual| / |theta_t - theta*|`` of a path
        displacement lying off the plane (0 means the path lies in it); 0 otherwise.
    """

    kind: str
    xs: np.ndarray
    ys: np.ndarray
    Z: np.ndarray
    path: np.ndarray
    path_loss: np.ndarray
    x_label: str
    y_label: str
    minimum: np.ndarray | None = None
    n_params: int = 2
    off_plane: float = 0.0

    @property
    def ranges(self):
        """``((x_lo, x_hi), (y_lo, y_hi))`` of the grid."""
        return (float(self.xs[0]), float(self.xs[-1])), (float(self.ys[0]), float(self.ys[-1]))


def fingerprint(*arrays) -> str:
    """A short digest of the bytes, shape and dtype of ``arrays`` (a cache key, not security)."""
    h = hashlib.blake2b(digest_size=12)
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.data)
    return h.hexdigest()


@dataclass(frozen=True)
class GridKey:
    """Everything a loss grid depends on; equal keys mean equal grids.

    Attributes
    ----------
    kind : "exact" or "random"
    data : fingerprint of the training X and y.
    loss : repr of the loss (``"Huber(delta=1.0)"``).
    model : sizes, activation, l1, l2.
    center : fingerprint of the current weights (random directions only; "" for exact grids,
        whose values do not depend on where the weights are).
    ranges : the grid's coordinate ranges.
    resolution : points per axis.
    seed : seed of the random directions (0 for exact grids).
    """

    kind: str
    data: str
    loss: str
    model: tuple
    center: str
    ranges: tuple
    resolution: int
    seed: int = 0


def _model_key(model) -> tuple:
    return (model.sizes, model.activation.name, model.l1, model.l2)


class LandscapeCache:
    """A small least-recently-used store of grids: ``cache.get(key, compute)``.

    Keep one per session (``st.session_state``); it is plain data, never module state.
    """

    def __init__(self, maxsize: int = 8):
        self.maxsize = int(maxsize)
        self._store: OrderedDict = OrderedDict()
        self.hits = self.misses = 0

    def __len__(self):
        return len(self._store)

    def get(self, key, compute):
        """The value stored under ``key``, or ``compute()`` stored there (oldest evicted)."""
        if key in self._store:
            self.hits += 1
            self._store.move_to_end(key)
            return self._store[key]
        self.misses += 1
        value = compute()
        self._store[key] = value
        while len(self._store) > self.maxsize:
            self._store.popitem(last=False)
        return value


# ==============================================================================================
# chunked evaluation
# ==============================================================================================


class Cancelled(Exception):
    """A grid stopped part way: its caller set the ``cancel`` event (it wants other weights)."""


def _run_chunks(total: int, size: int, work, threads: int = THREADS, cancel=None) -> None:
    """Call ``work(bounds)`` with the ``[lo, hi)`` chunks of ``range(total)``, split over
    ``threads`` threads (each thread gets every ``threads``-th chunk, so halves cost alike).
    ``cancel`` (a ``threading.Event``), once set, stops it before the next chunk: raises
    :class:`Cancelled`."""
    bounds = [(lo, min(lo + size, total)) for lo in range(0, total, size)]
    if cancel is not None:
        whole = work

        def work(chunks):
            for chunk in chunks:
                if cancel.is_set():
                    raise Cancelled
                whole([chunk])

    threads = max(1, min(int(threads), len(bounds)))
    if threads == 1:
        work(bounds)
        return
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, [bounds[k::threads] for k in range(threads)]))


def loss_at(model, X, y, loss, thetas, threads: int = THREADS, cancel=None) -> np.ndarray:
    """``model.loss_batch`` over the rows of ``thetas`` (G, P) in memory-bounded chunks -> (G,).

    A chunk holds as many parameter vectors as keep its activations, ``(chunk, n, width)`` per
    layer, under ``MAX_CHUNK_BYTES``.
    """
    thetas = np.atleast_2d(np.asarray(thetas, dtype=np.float64))
    out = np.empty(len(thetas))
    per_theta = 8 * max(1, X.shape[0]) * (sum(model.sizes[1:]) + model.sizes[0])
    size = max(1, min(len(thetas), MAX_CHUNK_BYTES // per_theta))

    def work(bounds):
        with np.errstate(all="ignore"):  # per thread: errstate does not cross into workers
            for lo, hi in bounds:
                out[lo:hi] = model.loss_batch(X, y, loss, thetas[lo:hi])

    _run_chunks(len(thetas), size, work, threads, cancel)
    return out


def _is_line(model) -> bool:
    """A one-feature, one-output linear model: ``theta = (w, b)``, ``output = w x + b``."""
    return model.kind == "linear" and model.sizes == (1, 1)


def _line_grid(x, y, loss, ws, bs, threads):
    """Mean loss of ``output = w x + b`` at every pair ``(ws[j], bs[i])`` -> (ny, nx).

    All outputs are the outer product ``P[j] = ws[j] * x`` shifted by ``bs[i]``: per chunk of
    pairs, one ``take`` of rows of P, one broadcast add and the registry's ``pointwise``.
    """
    n, nx, ny = len(x), len(ws), len(bs)
    y = np.asarray(y, dtype=np.float64)  # 0/1 labels as floats: int * float is a slow mixed loop
    j = np.tile(np.arange(nx), ny)  # pair k = i * nx + j, so the result reshapes to (ny, nx)
    i = np.repeat(np.arange(ny), nx)
    out = np.empty(nx * ny)
    rows = max(1, CHUNK_ELEMENTS // max(n, 1))

    def work(bounds):
        buf = np.empty((rows, n))
        with np.errstate(all="ignore"):  # per thread: errstate does not cross into workers
            for lo, hi in bounds:
                o = buf[: hi - lo]
                np.take(P, j[lo:hi], axis=0, out=o)
                o += bs[i[lo:hi], None]
                out[lo:hi] = loss.pointwise(y, o).mean(axis=-1)

    with np.errstate(all="ignore"):
        P = np.multiply.outer(ws, x)  # (nx, n)
    _run_chunks(nx * ny, rows, work, threads)
    return out.reshape(ny, nx)


def _pairs(xs, ys) -> np.ndarray:
    """Every ``(xs[j], ys[i])`` as rows ``i * nx + j`` of an (ny * nx, 2) array."""
    return np.column_stack([np.tile(xs, len(ys)), np.repeat(ys, len(xs))])


def _check_two_parameters(model):
    if model.n_params != 2:
        raise ValueError(
            f"an exact loss landscape needs a model with exactly 2 parameters (a linear model "
            f"on 1 feature: w and b); this one has {model.n_params}: use random directions"
        )


def loss_grid(model, X, y, loss, xs, ys, threads: int = THREADS) -> np.ndarray:
    """The objective of a two-parameter model over the grid ``xs`` x ``ys`` -> Z (ny, nx).

    ``Z[i, j] = J(theta = (xs[j], ys[i]))`` with ``J`` as ``model.loss_batch`` (the mean loss
    plus the penalty). The one-feature linear model takes the outer-product fast path; any other
    two-parameter model goes through ``model.loss_batch`` in chunks.

    Raises
    ------
    ValueError
        When the model does not have exactly two parameters.
    """
    _check_two_parameters(model)
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    if not _is_line(model):
        return loss_at(model, X, y, loss, _pairs(xs, ys), threads).reshape(len(ys), len(xs))
    Z = _line_grid(X[:, 0], y, loss, xs, ys, threads)
    if model.l1 or model.l2:
        Z += model.penalty(_pairs(xs, ys)).reshape(Z.shape)
    return Z


# ==============================================================================================
# exact landscape: range, minimum, result
# ==============================================================================================


def thin(path, max_points: int = MAX_PATH) -> np.ndarray:
    """At most ``max_points`` rows of ``path`` at evenly spaced positions, first and last kept."""
    path = np.atleast_2d(np.asarray(path, dtype=np.float64))
    if len(path) <= max_points:
        return path
    keep = np.unique(np.linspace(0, len(path) - 1, max_points).round().astype(int))
    return path[keep]


def least_squares_minimum(model, X, y) -> np.ndarray:
    """``argmin_{w,b} (1/n)|x w + b - y|^2 + (l2/2) w^2`` in closed form (ridge when l2 > 0).

    Setting the gradient to zero gives ``(A^T A + (n l2 / 2) e_0 e_0^T) theta = A^T y`` with
    ``A = [x, 1]``: solved as least squares on ``A`` with one extra row ``[sqrt(n l2 / 2), 0]``
    (so a constant feature still gets the minimum-norm answer, not an error).
    """
    x = np.asarray(X, dtype=np.float64)[:, 0]
    A = np.column_stack([x, np.ones_like(x)])
    target = np.asarray(y, dtype=np.float64)
    if model.l2:
        A = np.vstack([A, [math.sqrt(len(x) * model.l2 / 2.0), 0.0]])
        target = np.append(target, 0.0)
    return np.linalg.lstsq(A, target, rcond=None)[0]


def landscape_minimum(model, X, y, loss, path, values=None) -> np.ndarray:
    """The minimum to keep in view: closed form for mse on a linear model without L1 (least
    squares), else the best of the (thinned) path's points.

    ``values`` are the objective at ``thin(path)`` when the caller has them already.
    """
    if _is_line(model) and loss.name == "mse" and not model.l1:
        return least_squares_minimum(model, X, y)
    points = thin(path)
    if values is None:
        values = loss_at(model, X, y, loss, points)
    values = np.where(np.isfinite(values), values, np.inf)
    return points[int(np.argmin(values))].copy()


def grid_ranges(points, margin: float = MARGIN, previous=None):
    """Coordinate ranges that show every row of ``points`` (k, 2) with a margin.

    Each axis spans ``[lo - margin * w, hi + margin * w]`` around the points' extent ``w``
    (widened to ``MIN_WIDTH * max(1, |lo|, |hi|)`` when the points nearly coincide). When
    ``previous`` ranges already contain every point they are returned unchanged, so a live
    redraw keeps its grid (and its cache entry) until the path walks out of view.

    Returns
    -------
    ((x_lo, x_hi), (y_lo, y_hi))
    """
    points = np.atleast_2d(np.asarray(points, dtype=np.float64))
    points = points[np.isfinite(points).all(axis=1)]
    if previous is not None and len(points):
        (x0, x1), (y0, y1) = previous
        inside = (points[:, 0] >= x0) & (points[:, 0] <= x1)
        inside &= (points[:, 1] >= y0) & (points[:, 1] <= y1)
        if inside.all():
            return tuple(previous[0]), tuple(previous[1])
    if not len(points):
        points = np.zeros((1, 2))
    lo, hi = points.min(axis=0), points.max(axis=0)
    floor = MIN_WIDTH * np.maximum(1.0, np.maximum(np.abs(lo), np.abs(hi)))
    width = np.maximum(hi - lo, floor)
    mid = (lo + hi) / 2.0
    half = width * (0.5 + margin)
    return tuple((float(m - h), float(m + h)) for m, h in zip(mid, half, strict=True))


def framed_points(paths, diverged, minimum=None) -> np.ndarray:
    """The points a picture of several paths is framed on, stacked as (k, 2).

    Every path whose run did not diverge (``diverged[i]`` False), plus ``minimum`` when given;
    every path when all diverged. A diverged run's weights reach +-1e4 and beyond: framing on
    them would shrink every other path to a dot, while its start still shows where it left.
    """
    kept = [np.atleast_2d(p) for p, bad in zip(paths, diverged, strict=True) if not bad]
    kept = kept or [np.atleast_2d(p) for p in paths]
    if minimum is not None:
        kept.append(np.atleast_2d(minimum))
    return np.vstack(kept)


def _axis_labels(model) -> tuple[str, str]:
    names = model.param_names()
    if _is_line(model):
        return f"w ({names[0]})", f"b ({names[1]})"
    return f"theta0 ({names[0]})", f"theta1 ({names[1]})"


def exact_landscape(
    trainer,
    resolution: int = EXACT_RESOLUTION,
    margin: float = MARGIN,
    ranges=None,
    previous=None,
    cache: LandscapeCache | None = None,
) -> Landscape:
    """The exact loss surface of a two-parameter model, with the trainer's path on it.

    Parameters
    ----------
    trainer : lossdash.engine.Trainer
        Its model (2 parameters), loss, training data, and ``path()``.
    resolution : int
        Grid points per axis.
    margin : float
        Room around the path and the minimum, as a fraction of their span.
    ranges : ((x_lo, x_hi), (y_lo, y_hi)), optional
        Fixed ranges; by default :func:`grid_ranges` of the path and the minimum.
    previous : ranges, optional
        The ranges of the last drawing: kept while the path stays inside them.
    cache : LandscapeCache, optional
        Where grids are kept; the grid does not depend on the current weights, so a live
        redraw with unchanged ranges costs only the path.
    """
    model, loss, data = trainer.model, trainer.loss, trainer.train
    _check_two_parameters(model)
    path = np.asarray(trainer.path(), dtype=np.float64)
    shown = thin(path)
    path_loss = loss_at(model, data.X, data.y, loss, shown)
    minimum = landscape_minimum(model, data.X, data.y, loss, path, path_loss)
    if ranges is None:
        ranges = grid_ranges(np.vstack([path, minimum]), margin, previous)
    (x0, x1), (y0, y1) = ranges
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    key = GridKey("exact", fingerprint(data.X, data.y), repr(loss), _model_key(model), "",
                  (tuple(ranges[0]), tuple(ranges[1])), int(resolution))
    compute = partial(loss_grid, model, data.X, data.y, loss, xs, ys)
    Z = compute() if cache is None else cache.get(key, compute)
    return Landscape(
        kind="exact", xs=xs, ys=ys, Z=Z, path=shown, path_loss=path_loss,
        x_label=_axis_labels(model)[0], y_label=_axis_labels(model)[1], minimum=minimum,
    )


# ==============================================================================================
# random directions
# ==============================================================================================


def filter_normalized_directions(model, theta=None, seed: int = 0) -> np.ndarray:
    """Two Gaussian directions, filter-normalized against ``theta`` (Li et al. 2018) -> (2, P).

    The raw directions are ``default_rng(seed).standard_normal((2, P))``: the same seed gives
    the same directions, so a redraw does not reshuffle the picture. Then, per weight matrix
    ``W`` (fan_in, fan_out) of ``theta`` and each column ``j`` (a neuron's incoming weights):

        d[:, j] <- d[:, j] / |d[:, j]| * |W[:, j]|

    and every bias entry of ``d`` is 0. A column of ``W`` that is all zeros (a zero init) keeps
    a unit-norm direction instead, so the plane never collapses to a point.
    """
    theta = model.theta if theta is None else np.asarray(theta, dtype=np.float64)
    d = np.random.default_rng(seed).standard_normal((2, model.n_params))
    for name, s, shape in model.layout:
        if not name.startswith("W"):
            d[:, s] = 0.0
            continue
        D = d[:, s].reshape(2, *shape)  # a copy: d[:, s] of a 2-D array is not contiguous
        w_norm = np.linalg.norm(theta[s].reshape(shape), axis=0)  # (fan_out,)
        d_norm = np.linalg.norm(D, axis=1)  # (2, fan_out)
        D *= (np.where(w_norm > 0, w_norm, 1.0) / d_norm)[:, None, :]
        d[:, s] = D.reshape(2, -1)
    return d


def project_path(path, center, directions):
    """Least-squares coordinates of each ``path[t] - center`` on the plane of ``directions``.

    Parameters
    ----------
    path : (m, P), center : (P,), directions : (2, P)

    Returns
    -------
    coords : ndarray (m, 2)
        ``c_t = argmin_c |D^T c - (path[t] - center)|`` with ``D = directions``.
    off_plane : ndarray (m,)
        ``|residual_t| / |path[t] - center|`` (0 where the displacement is 0).
    """
    delta = np.atleast_2d(path) - center  # (m, P)
    coords = np.linalg.lstsq(directions.T, delta.T, rcond=None)[0].T  # (m, 2)
    residual = delta - coords @ directions
    size = np.linalg.norm(delta, axis=1)
    off = np.linalg.norm(residual, axis=1) / np.where(size > 0, size, 1.0)
    return coords, np.where(size > 0, off, 0.0)


def plane_loss(model, X, y, loss, center, directions, a_s, b_s,
               threads: int = THREADS, cancel=None) -> np.ndarray:
    """``J(center + a d1 + b d2)`` for every ``(a_s[j], b_s[i])`` -> Z (len(b_s), len(a_s))."""
    coef = _pairs(np.asarray(a_s, float), np.asarray(b_s, float))  # (G, 2)
    thetas = center + coef @ directions
    return loss_at(model, X, y, loss, thetas, threads, cancel).reshape(len(b_s), len(a_s))


def random_landscape(
    trainer,
    resolution: int = RANDOM_RESOLUTION,
    span: float = 1.0,
    seed: int = 0,
    fit_path: bool = True,
    cache: LandscapeCache | None = None,
    threads: int = THREADS,
    cancel=None,
) -> Landscape:
    """A filter-normalized random 2-D slice of the loss around the current weights.

    Parameters
    ----------
    trainer : lossdash.engine.Trainer
    resolution : int
        Grid points per axis (41 by default: the centre is a grid point).
    span : float
        The grid covers ``a, b in [-span, span]`` (1 is the size of the weights themselves).
    seed : int
        Seed of the directions.
    fit_path : bool
        Widen the grid (symmetrically) so the projected path is in view.
    cache : LandscapeCache, optional
        Grids keyed by the weights, data, loss, model, ranges and seed.
    threads : int
        Threads to split the grid over (1 leaves the other core to a training thread).
    cancel : threading.Event, optional
        Set it to stop the grid part way (raises :class:`Cancelled`; nothing is cached).
    """
    model, loss, data = trainer.model, trainer.loss, trainer.train
    center = model.theta.copy()
    directions = filter_normalized_directions(model, center, seed)
    coords, off = project_path(thin(trainer.path()), center, directions)
    half = float(span)
    if fit_path and len(coords):
        half = max(half, (1.0 + MARGIN) * float(np.abs(coords).max()))
    grid = np.linspace(-half, half, resolution)
    key = GridKey("random", fingerprint(data.X, data.y), repr(loss), _model_key(model),
                  fingerprint(center), ((-half, half), (-half, half)), int(resolution),
                  int(seed))
    compute = partial(plane_loss, model, data.X, data.y, loss, center, directions, grid, grid,
                      threads, cancel)
    Z = compute() if cache is None else cache.get(key, compute)
    path_loss = loss_at(model, data.X, data.y, loss, center + coords @ directions, threads)
    return Landscape(
        kind="random", xs=grid, ys=grid, Z=Z, path=coords, path_loss=path_loss,
        x_label="direction 1 (filter-normalized)", y_label="direction 2 (filter-normalized)",
        minimum=None, n_params=model.n_params, off_plane=float(off.max()) if len(off) else 0.0,
    )


# ==============================================================================================
# demo surfaces
# ==============================================================================================


class Surface:
    """A function of two variables to watch optimizers on, with no data behind it.

    A subclass sets the class attributes and writes ``value(x, y)`` and ``grad(x, y)``, both
    elementwise over arrays of any (equal) shape; ``grad`` returns ``(df/dx, df/dy)``.

    Attributes
    ----------
    name, latex, summary : str
    start : (x, y), the default start point.
    x_range, y_range : (lo, hi), the default plot range.
    minima : tuple of (x, y), the known minima (empty when unbounded below).
    log_color : bool, whether the values span decades (then a log colour scale reads better).
    """

    name = ""
    latex = ""
    summary = ""
    start = (0.0, 0.0)
    x_range = (-2.0, 2.0)
    y_range = (-2.0, 2.0)
    minima: tuple = ()
    log_color = False

    def __repr__(self):
        return f"{type(self).__name__}()"

    def value(self, x, y):
        raise NotImplementedError

    def grad(self, x, y):
        raise NotImplementedError

    def grid(self, resolution: int = 150):
        """``(xs, ys, Z)`` over the default range, ``Z[i, j] = f(xs[j], ys[i])``."""
        xs = np.linspace(*self.x_range, resolution)
        ys = np.linspace(*self.y_range, resolution)
        return xs, ys, self.value(xs[None, :], ys[:, None])


class Rosenbrock(Surface):
    """``f = (1 - x)^2 + 100 (y - x^2)^2``: a curved, flat-bottomed valley; minimum 0 at (1, 1).

    grad = (-2 (1 - x) - 400 x (y - x^2),  200 (y - x^2)).
    """

    name = "rosenbrock"
    latex = r"f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2"
    summary = "a banana-shaped valley: easy to find, slow to follow to the minimum at (1, 1)"
    start = (-1.5, 2.0)
    x_range = (-2.0, 2.0)
    y_range = (-1.0, 3.0)
    minima = ((1.0, 1.0),)
    log_color = True

    def value(self, x, y):
        return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2

    def grad(self, x, y):
        inner = y - x * x
        return -2.0 * (1.0 - x) - 400.0 * x * inner, 200.0 * inner


class Beale(Surface):
    """``f = sum_k (c_k - x + x y^k)^2``, ``c = (1.5, 2.25, 2.625)``, k = 1, 2, 3; minimum 0
    at (3, 0.5), flat plateaus and steep walls elsewhere.

    With ``t_k = c_k - x + x y^k``: grad = (sum 2 t_k (y^k - 1),  sum 2 t_k k x y^(k-1)).
    """

    name = "beale"
    latex = (
        r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2"
    )
    summary = "plateaus and sharp ridges; the minimum (3, 0.5) sits in a narrow curved valley"
    start = (1.0, 1.4)
    x_range = (-4.5, 4.5)
    y_range = (-4.5, 4.5)
    minima = ((3.0, 0.5),)
    log_color = True
    C = (1.5, 2.25, 2.625)

    def value(self, x, y):
        return sum((c - x + x * y**k) ** 2 for k, c in enumerate(self.C, start=1))

    def grad(self, x, y):
        gx = gy = 0.0
        for k, c in enumerate(self.C, start=1):
            t = c - x + x * y**k
            gx = gx + 2.0 * t * (y**k - 1.0)
            gy = gy + 2.0 * t * k * x * y ** (k - 1)
        return gx, gy


class Saddle(Surface):
    """``f = x^2 - y^2``: a saddle at (0, 0), unbounded below along y; grad = (2x, -2y).

    Gradient descent started near the ridge ``y = 0`` crawls towards the saddle before it slides
    off; there is no minimum, so every run ends by leaving the picture.
    """

    name = "saddle"
    latex = r"f(x, y) = x^2 - y^2"
    summary = "a saddle point: the gradient vanishes at (0, 0), yet it is no minimum"
    start = (-1.8, 0.02)
    minima = ()

    def value(self, x, y):
        return x * x - y * y

    def grad(self, x, y):
        return 2.0 * x, -2.0 * y


class Ravine(Surface):
    """``f = (x^2 + 50 y^2) / 2``: an ill-conditioned bowl (condition number 50); minimum 0
    at (0, 0); grad = (x, 50 y).

    Gradient descent needs ``lr < 2/50`` to be stable across the ravine, and then crawls along
    it at a rate ``1 - lr`` per step; momentum is the cure (Goh 2017, "Why Momentum Really
    Works").
    """

    name = "ravine"
    latex = r"f(x, y) = \tfrac12\left(x^2 + 50\,y^2\right)"
    summary = "a long narrow valley: gradient descent zig-zags across it, momentum runs along it"
    start = (-4.5, 1.0)
    x_range = (-5.0, 5.0)
    y_range = (-2.5, 2.5)
    minima = ((0.0, 0.0),)
    KAPPA = 50.0

    def value(self, x, y):
        return 0.5 * (x * x + self.KAPPA * y * y)

    def grad(self, x, y):
        return 1.0 * x, self.KAPPA * y


class Himmelblau(Surface):
    """``f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2``: four minima of value 0; which one an
    optimizer finds depends on where it starts.

    grad = (4x (x^2 + y - 11) + 2 (x + y^2 - 7),  2 (x^2 + y - 11) + 4y (x + y^2 - 7)).
    """

    name = "himmelblau"
    latex = r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2"
    summary = "four equally deep minima: the start decides which one you reach"
    start = (0.0, 0.0)
    x_range = (-5.0, 5.0)
    y_range = (-5.0, 5.0)
    minima = (
        (3.0, 2.0),
        (-2.805118, 3.131312),
        (-3.779310, -3.283186),
        (3.584428, -1.848126),
    )
    log_color = True

    def value(self, x, y):
        return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2

    def grad(self, x, y):
        a, b = x * x + y - 11.0, x + y * y - 7.0
        return 4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b


#: name -> surface class, in the order the UI lists them.
SURFACES = {cls.name: cls for cls in (Rosenbrock, Beale, Saddle, Ravine, Himmelblau)}


def surface(name) -> Surface:
    """A demo surface by name (a key of :data:`SURFACES`)."""
    try:
        return SURFACES[name]()
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown surface {name!r}: choose one of {', '.join(SURFACES)}"
        ) from None


def descend(surf: Surface, optimizer, start=None, steps: int = 500) -> np.ndarray:
    """Run ``optimizer`` on ``surf`` from ``start`` for up to ``steps`` steps -> path (m, 2).

    ``path[0]`` is the start and ``path[t]`` the point after ``t`` steps. The run stops early,
    without a warning, once a gradient or a point is not finite or the point is more than
    ``ESCAPE`` half-widths of the plot range from its centre (it blew up, or slid off a saddle);
    the last point kept is the first one outside, so the chart shows where it went.

    The optimizer (any of ``lossdash.optimizers``) is reset first and updates ``{"xy": p}``.
    """
    p = np.array(surf.start if start is None else start, dtype=np.float64)
    optimizer.reset()
    centre = np.array([sum(surf.x_range), sum(surf.y_range)]) / 2.0
    half = np.array([np.ptp(surf.x_range), np.ptp(surf.y_range)]) / 2.0
    path = np.empty((int(steps) + 1, 2))
    path[0] = p
    g = np.empty(2)
    m = 1
    with np.errstate(all="ignore"):
        for _ in range(int(steps)):
            g[:] = surf.grad(p[0], p[1])
            if not np.isfinite(g).all():
                break
            optimizer.step({"xy": p}, {"xy": g})
            if not np.isfinite(p).all():
                break
            path[m] = p
            m += 1
            if (np.abs(p - centre) > ESCAPE * half).any():
                break
    return path[:m].copy()


def race(surf: Surface, optimizers: dict, start=None, steps: int = 500) -> dict:
    """``{label: descend(surf, opt, start, steps)}`` for every ``{label: optimizer}``."""
    return {label: descend(surf, opt, start, steps) for label, opt in optimizers.items()}
