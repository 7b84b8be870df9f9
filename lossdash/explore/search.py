"""Search the settings: many whole training runs (trials), random or on a grid, on every core.

A search starts from a base setup (a :class:`~lossdash.config.RunConfig` plus its data set) and a
*space* that maps RunConfig fields to what each may take::

    space = {"lr": Range(1e-4, 10), "optimizer": ["sgd", "adam"], "batch_size": [0, 32]}

- a list is a set of **choices** (drawn uniformly, or every one of them on a grid);
- a :class:`Range` ``(low, high)`` is drawn uniformly, or **log-uniformly** for rates
  (``log(x) ~ U(log low, log high)``, the default for the fields in ``RATE_FIELDS``), and is
  rounded for integer fields. On a grid it becomes evenly spaced points (log-spaced for rates).

Each trial is a whole run with the trainer's usual stopping rules (converged, diverged,
``max_epochs``). The table has one row per trial: its number, the sampled settings, the final
train and validation loss (on every row of each set), accuracy or R² (validation set if there is
one), epochs trained, status, message and seconds.

Deterministic: the trials are drawn here from ``seed`` before anything runs, and a trial's result
depends only on its settings (the trainer's seed is a setting), so the same seed gives the same
table on any executor. A diverged trial is a row (its losses NaN); so is a trial that raised (status
``error``, the message in ``message``); neither stops the search.

Executors (``executor=``):

- ``None``: a process pool over this machine's cores (one process per core, one BLAS thread
  each); ``n`` (an int): a pool of ``n`` processes. The prepared data is sent to each process once,
  by the pool's initializer; a trial ships only its settings and the data's token. Processes start
  with ``forkserver`` (``spawn`` where there is none): forking a server full of threads is unsafe.
  They exit when the search ends or is cancelled.
- ``"sequential"``: one trial after another in the calling thread (no executor at all).
- a Dask scheduler address (``"tcp://host:8786"``): a ``distributed.Client`` for the search,
  closed at its end (needs ``pip install lossdash[dask]``).
- any ``concurrent.futures.Executor``, e.g. ``distributed.Client(address).get_executor()``: it is
  used and left open. On Dask the data is scattered to every worker once; other executors get
  the data with every trial (free for threads).
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import itertools
import math
import multiprocessing
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from lossdash import config
from lossdash.config import RunConfig

METHODS = ("random", "grid")
DATA_FIELDS = ("dataset", "n_samples", "noise", "data_seed", "val_fraction", "standardize")
RATE_FIELDS = frozenset({"lr", "l1", "l2", "weight_decay", "adamw_decay", "decay"})
RESULT_COLUMNS = ("train_loss", "val_loss")  # then the metric, "epochs", "status", ...
TAIL_COLUMNS = ("epochs", "status", "message", "seconds")
CHUNK_STEPS = 256  # a trial checks for Cancel this often (well under 0.1 s of a small run)
POLL_SECONDS = 0.2  # the collecting loop notices Cancel or a closed tab this fast
MAX_TRIALS = 5000  # a table the dashboard can still draw
_FIELD_TYPES = {f.name: type(getattr(RunConfig(), f.name)) for f in fields(RunConfig)}


@dataclass(frozen=True)
class Range:
    """Values from ``low`` to ``high``; ``log=None`` means log-uniform for rate fields."""

    low: float
    high: float
    log: bool | None = None


# --------------------------------------------------------------------------- the space
def _check_value(name, value):
    """``value`` as RunConfig field ``name`` takes it; ValueError if it is not a valid one."""
    try:
        return config.read_value(name, value)
    except ValueError as err:
        raise ValueError(f"the search space has a bad value for {name!r} ({value!r}): "
                         f"{err}") from None


def _resolved(name, dim):
    """``dim`` checked: a list of choices, or a Range with ``log`` decided."""
    if isinstance(dim, Range):
        if not dim.low <= dim.high:
            raise ValueError(f"the range of {name!r} runs from {dim.low:g} down to "
                             f"{dim.high:g}: put the smaller value first")
        kind = _FIELD_TYPES[name]
        if kind not in (int, float):
            raise ValueError(f"{name!r} is not a number: give it a list of choices, not a range")
        _check_value(name, kind(dim.low))
        _check_value(name, kind(dim.high))
        log = name in RATE_FIELDS and dim.low > 0 if dim.log is None else dim.log
        if log and dim.low <= 0:
            raise ValueError(f"a log-uniform range of {name!r} must start above 0, "
                             f"not at {dim.low:g}")
        return Range(float(dim.low), float(dim.high), bool(log))
    choices = list(dim) if isinstance(dim, list | tuple) else [dim]
    if not choices:
        raise ValueError(f"give {name!r} at least one value to try")
    return list(dict.fromkeys(_check_value(name, value) for value in choices))


def check_space(space):
    """The space with every dimension checked, in RunConfig field order.

    Raises ValueError naming the field for an unknown field, a field that changes the data
    (every trial trains on the same data, sent to each worker once), or a value out of range.
    """
    for name in space:
        if name not in _FIELD_TYPES:
            raise ValueError(f"{name!r} is not a setting of a run; choose from "
                             f"{', '.join(_FIELD_TYPES)}")
        if name in DATA_FIELDS:
            raise ValueError(f"{name!r} changes the data, and every trial of a search trains on "
                             "the same data: set it for the run instead")
    return {name: _resolved(name, space[name]) for name in _FIELD_TYPES if name in space}


def _typed(name, value):
    kind = _FIELD_TYPES[name]
    if kind is int:
        return int(round(float(value)))
    return kind(value)


def random_trials(space, n_trials, seed=0):
    """``n_trials`` settings dicts drawn from a checked space with ``default_rng(seed)``.

    Fields are drawn in RunConfig order, one vector of ``n_trials`` draws per field: choices
    uniformly, ranges as ``U(low, high)`` or ``exp(U(log low, log high))``.
    """
    rng = np.random.default_rng(seed)
    columns = {}
    for name, dim in space.items():
        if isinstance(dim, Range):
            if dim.log:
                draws = np.exp(rng.uniform(math.log(dim.low), math.log(dim.high), n_trials))
            else:
                draws = rng.uniform(dim.low, dim.high, n_trials)
            columns[name] = [_typed(name, v) for v in np.clip(draws, dim.low, dim.high)]
        else:
            columns[name] = [dim[i] for i in rng.integers(len(dim), size=n_trials)]
    return [{name: columns[name][i] for name in columns} for i in range(n_trials)]


def grid_points(name, dim, k):
    """``k`` evenly spaced values of a Range (geometrically for log), distinct after rounding."""
    if k == 1:
        mid = math.sqrt(dim.low * dim.high) if dim.log else (dim.low + dim.high) / 2
        return [_typed(name, mid)]
    points = np.geomspace(dim.low, dim.high, k) if dim.log else np.linspace(dim.low, dim.high, k)
    return list(dict.fromkeys(_typed(name, v) for v in points))


def grid_trials(space, n_trials):
    """Every combination of the choices, with each Range cut into as many points as fit.

    With ``c`` combinations of choices and ``r`` ranges, each range gets
    ``k = floor((n_trials / c) ** (1 / r))`` points, so the grid has at most ``n_trials`` trials.
    """
    n_combos = math.prod(len(d) for d in space.values() if not isinstance(d, Range))
    if n_combos > n_trials:
        raise ValueError(f"the grid of these choices has {n_combos} combinations, more than the "
                         f"{n_trials} trials asked for: ask for at least {n_combos} trials, or "
                         "try fewer values")
    n_ranges = sum(isinstance(d, Range) for d in space.values())
    k = int((n_trials / n_combos) ** (1 / n_ranges) + 1e-9) if n_ranges else 1
    axes = {name: grid_points(name, d, k) if isinstance(d, Range) else d
            for name, d in space.items()}
    return [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]


def make_trials(space, n_trials, method="random", seed=0):
    """The settings of every trial (a list of dicts), before any runs."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if not 1 <= n_trials <= MAX_TRIALS:
        raise ValueError(f"ask for 1 to {MAX_TRIALS} trials, not {n_trials}")
    space = check_space(space)
    if method == "grid":
        return grid_trials(space, n_trials)
    return random_trials(space, n_trials, seed)


# --------------------------------------------------------------------------- one trial
@dataclass
class TrialData:
    """What every trial shares: the base settings and the prepared (split) data."""

    cfg: RunConfig
    train: object
    val: object
    token: str  # names this data in a worker's cache: what a trial ships instead of the data


def prepare(base):
    """``base`` (``(cfg, dataset)``, or a RunConfig of a generated set) as TrialData."""
    cfg, dataset = (base, None) if isinstance(base, RunConfig) else base
    if dataset is None:
        dataset = config.make_dataset(cfg)
    train, val, _ = config.prepare(cfg, dataset)
    digest = hashlib.sha1()
    for part in (train, val):
        if part is not None:
            digest.update(part.X.tobytes())
            digest.update(part.y.tobytes())
    digest.update(cfg.to_json().encode())
    return TrialData(cfg, train, val, digest.hexdigest()[:16])


def metric_name(data):
    """The metric column's name: ``accuracy`` for labels, ``r2`` for a regression."""
    return "accuracy" if data.train.task == "classification" else "r2"


def _outcome(trainer, data):
    """Final losses and metric of a finished trainer (NaN when it diverged)."""
    metric = metric_name(data)
    out = {"train_loss": math.nan, "val_loss": math.nan, metric: math.nan}
    if trainer.status != "diverged":
        out["train_loss"], train_metric = trainer.evaluate(data.train)
        out[metric] = train_metric
        if data.val is not None:
            out["val_loss"], out[metric] = trainer.evaluate(data.val)
    return out


def run_trial(data, number, changes, stop=None):
    """Train the base run with ``changes`` to its end; return its row (never raises).

    ``stop``, a function, is asked every ``CHUNK_STEPS`` steps: True ends the trial with
    status ``cancelled``.
    """
    start = time.perf_counter()
    row = {"trial": number, **changes}
    try:
        trainer = config.build_trainer(data.cfg.replace(**changes), data.train, data.val)
        while not trainer.done:
            trainer.run_steps(CHUNK_STEPS)
            if stop is not None and stop():
                break
        status = trainer.status if trainer.done else "cancelled"
        row.update(_outcome(trainer, data), epochs=trainer.epoch, status=status,
                   message=trainer.message)
    except Exception as err:  # a trial that fails is a row with its message, never a crash
        row.update(status="error", message=f"{type(err).__name__}: {err}")
    row["seconds"] = time.perf_counter() - start
    return row


# The data of this worker process, installed once by the pool's initializer (never written in
# the process that runs the search: there each trial is handed the data itself).
_WORKER_DATA = {}
_WORKER_STOP = []


def _install(data, stop_event):
    _WORKER_DATA[data.token] = data
    _WORKER_STOP[:] = [stop_event]


def _pool_trial(token, number, changes):
    """A trial in a pool process: the data comes from the initializer, by its token."""
    return run_trial(_WORKER_DATA[token], number, changes, stop=_WORKER_STOP[0].is_set)


def _shipped_trial(data, number, changes):
    """A trial on any other executor: ``data`` came with it (or from a Dask scatter)."""
    return run_trial(data, number, changes)


# --------------------------------------------------------------------------- executors
def default_workers():
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextmanager
def _one_blas_thread():
    """Worker processes inherit the environment: one BLAS thread each, so n processes share n
    cores instead of fighting over them (restored afterwards)."""
    keys = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {k: os.environ.get(k) for k in keys}
    for k in keys:
        os.environ.setdefault(k, "1")
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _pool_context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["lossdash.explore.search"])  # workers start with it imported
        return ctx
    return multiprocessing.get_context("spawn")


def _dask_client(executor):
    """The Dask client behind ``Client.get_executor()`` (it has no public accessor), or None."""
    client = getattr(executor, "_client", None)
    return client if hasattr(client, "scatter") else None


def _connect(address):
    try:
        import distributed
    except ImportError:
        raise RuntimeError("running a search on a Dask cluster needs the dask extra: "
                           "pip install 'lossdash[dask]'") from None
    try:
        return distributed.Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError) as err:
        raise RuntimeError(f"could not reach the Dask scheduler at {address}: {err}. "
                           "Is `dask scheduler` running there?") from None


# --------------------------------------------------------------------------- the search
class Search:
    """A search in progress: trials submitted, rows collected as they finish.

    ``start()`` submits every trial; ``results()`` yields rows as they finish (running the trials
    itself when sequential). ``start_background()`` does both on a thread of its own, so a
    dashboard only reads ``rows``. ``cancel()`` stops it: queued trials are dropped, running ones
    stop at their next check, and worker processes exit.
    """

    def __init__(self, base, space, n_trials, method="random", executor=None, seed=0,
                 on_result=None, should_stop=None):
        self.data = prepare(base)
        self.trials = make_trials(space, n_trials, method, seed)
        self.fields = list(check_space(space))
        self.metric = metric_name(self.data)
        self.columns = ["trial", *self.fields, *RESULT_COLUMNS, self.metric, *TAIL_COLUMNS]
        self.executor_spec = executor
        self.on_result, self.should_stop = on_result, should_stop
        self.rows = []  # finished trials, in finishing order (appended by one thread)
        self.error = None  # a problem that stopped the whole search (no executor, no cluster)
        self.started = self.finished = None  # perf_counter times
        self.cancelled = False
        self._futures = {}
        self._pool = self._client = self._stop_event = None
        self._executor = self._scattered = None
        self._thread = None

    # ---------------------------------------------------------------- progress
    @property
    def n_trials(self):
        return len(self.trials)

    @property
    def n_done(self):
        return len(self.rows)

    @property
    def done(self):
        return self.finished is not None

    def elapsed(self):
        if self.started is None:
            return 0.0
        return (self.finished or time.perf_counter()) - self.started

    def eta(self):
        """Seconds left at the pace so far (None before the first trial finishes)."""
        if self.done:
            return 0.0
        if not self.rows:
            return None
        return self.elapsed() / self.n_done * (self.n_trials - self.n_done)

    def table(self):
        """One row per finished trial, in trial order."""
        frame = pd.DataFrame(list(self.rows), columns=self.columns)
        return frame.sort_values("trial", kind="stable").reset_index(drop=True)

    # ---------------------------------------------------------------- running
    def _open_executor(self):
        spec = self.executor_spec
        if spec is None:
            spec = default_workers()
            if spec == 1:
                spec = "sequential"
        if spec == "sequential":
            return None
        if isinstance(spec, str):
            self._client = _connect(spec)
            return self._client.get_executor()
        if isinstance(spec, int):
            ctx = _pool_context()
            self._stop_event = ctx.Event()
            self._pool = cf.ProcessPoolExecutor(
                max_workers=spec, mp_context=ctx, initializer=_install,
                initargs=(self.data, self._stop_event),
            )
            return self._pool
        return spec

    def _submit(self, number, changes):
        if self._pool is not None:
            return self._pool.submit(_pool_trial, self.data.token, number, changes)
        ref = self._scattered if self._scattered is not None else self.data
        return self._executor.submit(_shipped_trial, ref, number, changes)

    def start(self):
        """Open the executor and submit every trial (sequential: nothing to submit)."""
        self.started = time.perf_counter()
        self._executor = self._open_executor()
        if self._executor is None:
            return self
        client = self._client or _dask_client(self._executor)
        if client is not None:  # every worker gets the data once; trials carry a reference
            self._scattered = client.scatter(self.data, broadcast=True, hash=False)
        with _one_blas_thread():  # a pool starts its processes as the first trials arrive
            for number, changes in enumerate(self.trials, 1):
                self._futures[self._submit(number, changes)] = number
        return self

    def _stop_requested(self):
        if not self.cancelled and self.should_stop is not None and self.should_stop():
            self.cancelled = True
        return self.cancelled

    def _record(self, row):
        self.rows.append(row)
        if self.on_result is not None:
            self.on_result(row)
        return row

    def _row_of(self, future):
        number = self._futures[future]
        try:
            return future.result()
        except Exception as err:  # the executor lost the trial (a worker died, ...)
            row = {"trial": number, **self.trials[number - 1], "status": "error",
                   "message": f"{type(err).__name__}: {err}", "seconds": math.nan}
            return row

    def results(self):
        """Yield each trial's row as it finishes (sequential: run them one by one here)."""
        try:
            if self._executor is None:
                for number, changes in enumerate(self.trials, 1):
                    if self._stop_requested():
                        break
                    row = run_trial(self.data, number, changes, stop=self._stop_requested)
                    if row["status"] != "cancelled":
                        yield self._record(row)
                return
            pending = set(self._futures)
            while pending and not self._stop_requested():
                done, pending = cf.wait(pending, timeout=POLL_SECONDS,
                                        return_when=cf.FIRST_COMPLETED)
                for future in sorted(done, key=self._futures.get):
                    if not future.cancelled():
                        row = self._row_of(future)
                        if row["status"] != "cancelled":
                            yield self._record(row)
        finally:
            self.close()

    def run(self):
        """Start, collect every row, close; return the table."""
        self.start()
        for _ in self.results():
            pass
        return self.table()

    def start_background(self):
        """Run the whole search on a thread of its own (the caller only reads ``rows``)."""
        self._thread = threading.Thread(target=self._background, name="lossdash-search",
                                        daemon=True)
        self._thread.start()
        return self

    def _background(self):
        try:
            self.start()
            for _ in self.results():
                pass
        except Exception as err:  # told to the viewer, who cannot see this thread
            self.error = str(err)
            self.close()

    def cancel(self):
        """Stop: nothing new starts, running trials stop soon, worker processes exit."""
        self.cancelled = True
        if self._stop_event is not None:
            self._stop_event.set()
        for future in self._futures:
            future.cancel()

    def close(self):
        """Release what the search opened (its pool, its Dask client, scattered data)."""
        if self.finished is None:
            self.finished = time.perf_counter()
        if self.cancelled:
            self.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._scattered is not None:
            self._scattered.release()
            self._scattered = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def join(self, timeout=None):
        """Wait for a background search to finish."""
        if self._thread is not None:
            self._thread.join(timeout)


def run(base, space, n_trials, method="random", executor=None, seed=0, on_result=None):
    """Run a search to its end and return its table (see the module docstring).

    Parameters
    ----------
    base : (RunConfig, Dataset) or RunConfig
        The setup every trial starts from and its data (a RunConfig alone: its generated set).
    space : dict
        RunConfig field -> list of choices or :class:`Range`. Data fields cannot vary.
    n_trials : int
        Random: that many trials. Grid: at most that many (each range gets as many points as
        fit).
    method : {"random", "grid"}
    executor : None, int, "sequential", a Dask scheduler address, or concurrent.futures.Executor
    seed : int
        Seed of the trials' draws (each trial's own training seed is the ``seed`` setting).
    on_result : callable(row dict), optional
        Called as each trial finishes, in the calling thread.

    Returns
    -------
    pandas.DataFrame
        One row per trial, in trial order: ``trial``, the varied fields, ``train_loss``,
        ``val_loss``, ``accuracy`` or ``r2``, ``epochs``, ``status``, ``message``, ``seconds``.
    """
    return Search(base, space, n_trials, method, executor, seed, on_result).run()
