"""Datasets: toy generators, CSV loading with errors in the user's words, splits, standardizing.

A :class:`Dataset` is what every other module trains on: ``X`` of shape ``(n, d)`` (float64,
C-contiguous) and ``y`` of shape ``(n,)`` (float64 targets for regression, int64 labels
``0..k-1`` for classification, with the class names in ``classes``).

Two ways to get one:

* ``generate(name, n_samples, noise, seed)``: a toy problem from :data:`GENERATORS`
  (the TensorFlow Playground sets, moons, blobs, and the classic ``y = 3x + U(0, 1)`` demo).
* ``load_csv(source, target, features, task, drop_missing)``: an uploaded table.
  :func:`read_csv` turns the bytes into a DataFrame (encoding, separator, limits, shape of
  the table) and :func:`from_frame` turns columns into numbers (which columns, missing cells,
  text labels, regression or classification). Every problem is a :class:`DataError` whose
  message names the column, the rows and what to do; no pandas or codec message gets through.

Rows in messages are *data rows counted from 1*: row 1 is the first row under the header.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

TASKS = ("regression", "classification")

MIN_ROWS = 3  # a train/validation split needs a few rows; fewer is a mistake, not a dataset
MAX_BYTES = 50 * 1024 * 1024  # 50 MB, the same as maxUploadSize = 50 in .streamlit/config.toml
MAX_ROWS = 200_000  # keeps a full-batch step of a small model well under a frame
MAX_COLUMNS = 1_000  # a weight per column still fits a readable parameter table
MAX_LINE_CHARS = 100_000  # 1,000 numbers of ~25 characters, with room to spare
MAX_CLASSES = 50  # one model output per class; more is almost surely a regression target
MAX_LISTED = 5  # how many rows or values a message lists before "and N more"

# How task inference recognizes class labels stored as numbers (see `from_frame`).
CLASS_MAX_DISTINCT = 10
MIN_PER_CLASS = 10  # fewer rows per class on average, with many numeric classes: a quantity

ROWS_CONVENTION = "data rows are counted from 1 at the first row under the header"
DROP_HINT = "tick 'drop rows with missing values' to leave those rows out"


class DataError(ValueError):
    """A problem with the user's data, worded for the user: which column, which rows, what to do."""


# --------------------------------------------------------------------------------------------
# Dataset
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Dataset:
    """Features and targets, checked and converted once so the engine can trust them.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Features; stored as float64, C-contiguous. A 1-D array is taken as one feature.
    y : array_like, shape (n,)
        Regression: float64 targets. Classification: int64 labels ``0..k-1``.
    task : {"regression", "classification"}
    feature_names : list of str, optional
        One per column of ``X``; defaults to ``["x1", "x2", ...]``.
    target_name : str
        Name of the target, for axis titles.
    classes : list of str, optional
        Classification only: ``classes[label]`` is the name of a label. Defaults to
        ``["0", "1", ..., str(max label)]``.
    notes : tuple of str
        Things the user should know about how the data was read (rows dropped, columns left out).
    """

    X: np.ndarray
    y: np.ndarray
    task: str
    feature_names: list[str] | None = None
    target_name: str = "y"
    classes: list[str] | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise DataError(f"task must be 'regression' or 'classification', not {self.task!r}")
        X = np.asarray(self.X, dtype=np.float64)
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
            raise DataError(f"X must have shape (n_samples, n_features), both > 0, not {X.shape}")
        if not np.isfinite(X).all():
            raise DataError("X has missing or infinite values")
        self.X = np.ascontiguousarray(X)
        self.y = self._checked_y(np.asarray(self.y))
        if self.feature_names is None:
            self.feature_names = [f"x{j + 1}" for j in range(X.shape[1])]
        self.feature_names = [str(name) for name in self.feature_names]
        if len(self.feature_names) != X.shape[1]:
            raise DataError(
                f"{len(self.feature_names)} feature names for {X.shape[1]} feature columns"
            )
        self.target_name = str(self.target_name)
        self.notes = tuple(str(note) for note in self.notes)

    def _checked_y(self, y: np.ndarray) -> np.ndarray:
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.shape != (self.X.shape[0],):
            raise DataError(f"y must have shape ({self.X.shape[0]},) to match X, not {y.shape}")
        if self.task == "regression":
            if self.classes is not None:
                raise DataError("classes are only for classification datasets")
            y = np.ascontiguousarray(y, dtype=np.float64)
            if not np.isfinite(y).all():
                raise DataError("y has missing or infinite values")
            return y
        yf = y.astype(np.float64)
        if not np.isfinite(yf).all() or (yf != np.round(yf)).any() or yf.min() < 0:
            raise DataError("classification labels must be whole numbers 0, 1, ..., k-1")
        labels = np.ascontiguousarray(y, dtype=np.int64)
        if self.classes is None:
            self.classes = [str(k) for k in range(int(labels.max()) + 1)]
        self.classes = [str(name) for name in self.classes]
        if labels.max() >= len(self.classes):
            raise DataError(f"label {labels.max()} has no name in classes {self.classes}")
        return labels

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def n_classes(self) -> int | None:
        """Number of classes, or None for regression."""
        return None if self.classes is None else len(self.classes)

    def subset(self, index: np.ndarray) -> Dataset:
        """The rows ``index`` (an index array or boolean mask), with names and classes kept."""
        return replace(self, X=self.X[index], y=self.y[index])


# --------------------------------------------------------------------------------------------
# Generators
# --------------------------------------------------------------------------------------------
# Each generator is ``fn(n, noise, rng) -> (X, y)``. Regression sets add N(0, noise^2) to y
# (noise is a standard deviation in units of y) after drawing X, so moving the noise slider
# never moves the points sideways. The classification sets follow TensorFlow Playground
# (dataset.ts): noise in [0, 1] is a fraction of the radius or spread, and labels are 0/1
# where Playground uses -1/+1.


def _class_counts(n: int, k: int) -> np.ndarray:
    """Balanced class sizes: ``n // k`` each, the first ``n % k`` classes one more."""
    return n // k + (np.arange(k) < n % k)


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator):
    """Rows in random order, so a dataset is never sorted by class."""
    order = rng.permutation(len(y))
    return X[order], y[order]


def _seed_linear(n, noise, rng):
    """x ~ U(0, 1), y = 3x + U(0, 1) (+ N(0, noise^2)): least squares gives w = 3, b = 0.5."""
    x = rng.uniform(0.0, 1.0, (n, 1))
    return x, 3.0 * x[:, 0] + rng.uniform(0.0, 1.0, n) + rng.normal(0.0, noise, n)


def _linear(n, noise, rng):
    """x ~ U(-1, 1), y = 2x + 1 + N(0, noise^2)."""
    x = rng.uniform(-1.0, 1.0, (n, 1))
    return x, 2.0 * x[:, 0] + 1.0 + rng.normal(0.0, noise, n)


def _polynomial(n, noise, rng):
    """x ~ U(-1.5, 1.5), y = x^3 - x + N(0, noise^2): a line cannot fit it."""
    x = rng.uniform(-1.5, 1.5, (n, 1))
    return x, x[:, 0] ** 3 - x[:, 0] + rng.normal(0.0, noise, n)


def _sine(n, noise, rng):
    """x ~ U(-pi, pi), y = sin(x) + N(0, noise^2): one full period."""
    x = rng.uniform(-np.pi, np.pi, (n, 1))
    return x, np.sin(x[:, 0]) + rng.normal(0.0, noise, n)


def _plane(n, noise, rng):
    """Playground "plane": x1, x2 ~ U(-6, 6), y = (x1 + x2) / 10 + N(0, noise^2)."""
    X = rng.uniform(-6.0, 6.0, (n, 2))
    return X, X.sum(axis=1) / 10.0 + rng.normal(0.0, noise, n)


# Playground "multi-gaussian": six bumps (cx, cy, sign) of height +-1 and radius 2.
_BUMPS = np.array(
    [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]],
    dtype=np.float64,
)


def _multi_gauss(n, noise, rng):
    """Playground "multi-gaussian": x ~ U(-6, 6)^2, y = the bump of largest |height|.

    Bump i contributes ``sign_i * clip(1 - dist(x, c_i) / 2, 0, 1)``; y is the contribution of
    largest absolute value (0 far from every bump), plus N(0, noise^2).
    """
    X = rng.uniform(-6.0, 6.0, (n, 2))
    dist = np.hypot(X[:, :1] - _BUMPS[:, 0], X[:, 1:] - _BUMPS[:, 1])  # (n, 6)
    heights = _BUMPS[:, 2] * np.clip(1.0 - dist / 2.0, 0.0, 1.0)
    y = np.take_along_axis(heights, np.abs(heights).argmax(axis=1)[:, None], axis=1)[:, 0]
    return X, y + rng.normal(0.0, noise, n)


def _circle(n, noise, rng):
    """Playground "circle": half inside radius 2.5 (label 1), half in the ring 3.5..5 (label 0).

    The label is that of the point moved by U(-5, 5)^2 * noise, so noise blurs the border.
    """
    y = np.repeat([1, 0], _class_counts(n, 2))
    r = np.where(y == 1, rng.uniform(0.0, 2.5, n), rng.uniform(3.5, 5.0, n))
    angle = rng.uniform(0.0, 2.0 * np.pi, n)
    X = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    moved = X + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    return _shuffled(X, (np.hypot(moved[:, 0], moved[:, 1]) < 2.5).astype(np.int64), rng)


def _xor(n, noise, rng):
    """Playground "xor": label 1 where x1 * x2 >= 0; |x1|, |x2| ~ 0.3 + U(0, 5).

    Half the points are drawn in the label-1 quadrants. The label is that of the point moved
    by U(-5, 5)^2 * noise.
    """
    y = np.repeat([1, 0], _class_counts(n, 2))
    sign1 = rng.choice([-1.0, 1.0], n)
    signs = np.column_stack([sign1, np.where(y == 1, sign1, -sign1)])
    X = signs * (0.3 + rng.uniform(0.0, 5.0, (n, 2)))
    moved = X + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    return _shuffled(X, (moved[:, 0] * moved[:, 1] >= 0).astype(np.int64), rng)


def _gauss(n, noise, rng):
    """Playground "gaussian": two round clouds around (2, 2) (label 1) and (-2, -2) (label 0).

    Variance ``0.5 + 7 * noise``: Playground's scale ([0, 0.5] -> [0.5, 4]) extended to [0, 1].
    """
    y = np.repeat([1, 0], _class_counts(n, 2))
    centers = np.where(y[:, None] == 1, 2.0, -2.0)
    return _shuffled(centers + rng.normal(0.0, np.sqrt(0.5 + 7.0 * noise), (n, 2)), y, rng)


def _spiral(n, noise, rng):
    """Playground "spiral": two arms ``r = 5 s``, ``t = 3.5 pi s + pi * label``, s in [0, 1).

    Point ``i`` of an arm of ``m`` points has ``s = i / m``; each coordinate then moves by
    U(-1, 1) * noise.
    """
    counts = _class_counts(n, 2)
    y = np.repeat([0, 1], counts)
    s = np.concatenate([np.arange(m) / m for m in counts])
    r, t = 5.0 * s, 1.75 * 2.0 * np.pi * s + np.pi * y
    X = np.column_stack([r * np.sin(t), r * np.cos(t)]) + rng.uniform(-1.0, 1.0, (n, 2)) * noise
    return _shuffled(X, y, rng)


def _moons(n, noise, rng):
    """Two interleaved half circles of radius 1, as sklearn's make_moons; noise N(0, noise^2).

    Label 0: ``(cos t, sin t)``; label 1: ``(1 - cos t, 0.5 - sin t)``; t ~ U(0, pi).
    """
    y = np.repeat([0, 1], _class_counts(n, 2))
    t = rng.uniform(0.0, np.pi, n)
    X = np.where(
        y[:, None] == 0,
        np.column_stack([np.cos(t), np.sin(t)]),
        np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)]),
    )
    return _shuffled(X + rng.normal(0.0, noise, (n, 2)), y, rng)


def _blobs(n, noise, rng):
    """Three round clouds centred 3 from the origin at 90, 210 and 330 degrees.

    Standard deviation ``0.5 + 2 * noise``: well apart at 0, overlapping at 1.
    """
    y = np.repeat([0, 1, 2], _class_counts(n, 3))
    angle = np.deg2rad(90.0 + 120.0 * y)
    centers = 3.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    return _shuffled(centers + rng.normal(0.0, 0.5 + 2.0 * noise, (n, 2)), y, rng)


Generator = Callable[[int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]

GENERATORS: dict[str, tuple[Generator, str, str]] = {
    "seed_linear": (_seed_linear, "regression", "y = 3x + U(0, 1): the classic first demo"),
    "linear": (_linear, "regression", "y = 2x + 1 on x in [-1, 1]"),
    "polynomial": (_polynomial, "regression", "y = x^3 - x: a curve a line cannot fit"),
    "sine": (_sine, "regression", "y = sin(x) over one period"),
    "plane": (_plane, "regression", "y = (x1 + x2) / 10: a tilted plane over two features"),
    "multi_gauss": (_multi_gauss, "regression", "six bumps of height +-1 over two features"),
    "circle": (_circle, "classification", "a disc inside a ring"),
    "xor": (_xor, "classification", "opposite quadrants share a class"),
    "gauss": (_gauss, "classification", "two round clouds"),
    "spiral": (_spiral, "classification", "two interleaved spiral arms"),
    "moons": (_moons, "classification", "two interleaved half circles"),
    "blobs": (_blobs, "classification", "three round clouds, three classes"),
}


# Plain names for the data-set picker (URL values stay the GENERATORS keys).
TITLES = {
    "seed_linear": "y = 3x + noise, the classic demo",
    "linear": "A straight line",
    "polynomial": "A cubic curve",
    "sine": "A sine wave",
    "plane": "A tilted plane (2 inputs)",
    "multi_gauss": "Six bumps (2 inputs)",
    "circle": "Two circles",
    "xor": "XOR: opposite corners",
    "gauss": "Two clouds",
    "spiral": "Spiral",
    "moons": "Two moons",
    "blobs": "Three clouds (3 classes)",
}


def _rng(seed) -> np.random.Generator:
    """``numpy.random.default_rng(seed)`` for a whole-number seed (2.0 from a widget is fine)."""
    try:
        whole = int(seed)
    except (TypeError, ValueError, OverflowError):
        whole = None
    if whole is None or whole != seed or whole < 0:
        raise DataError(f"the seed must be a whole number >= 0, not {seed!r}")
    return np.random.default_rng(whole)


def names(task: str | None = None) -> list[str]:
    """Generator names in registry order, only those for ``task`` if given."""
    if task is not None and task not in TASKS:
        raise DataError(f"task must be 'regression' or 'classification', not {task!r}")
    return [name for name, (_, t, _) in GENERATORS.items() if task in (None, t)]


def generate(name: str, n_samples: int = 200, noise: float = 0.0, seed: int = 0) -> Dataset:
    """Draw the toy dataset ``name`` from :data:`GENERATORS`; the same seed gives the same data.

    Parameters
    ----------
    name : str
        A key of :data:`GENERATORS`.
    n_samples : int
        Number of rows, ``MIN_ROWS <= n_samples <= MAX_ROWS``.
    noise : float
        >= 0. Regression: standard deviation of the Gaussian noise added to y. Classification:
        the Playground noise, a fraction (0 to 1) of the radius or spread.
    seed : int
        Seed of ``numpy.random.default_rng``.
    """
    if name not in GENERATORS:
        raise DataError(f"unknown dataset {name!r}; choose one of: {', '.join(GENERATORS)}")
    if isinstance(n_samples, bool) or not isinstance(n_samples, int | np.integer):
        raise DataError(f"the number of samples must be a whole number, not {n_samples!r}")
    if not MIN_ROWS <= n_samples <= MAX_ROWS:
        raise DataError(
            f"the number of samples must be between {MIN_ROWS} and {MAX_ROWS:,}, not {n_samples}"
        )
    try:
        noise = float(noise)
    except (TypeError, ValueError):
        noise = math.nan
    if not (math.isfinite(noise) and noise >= 0):
        raise DataError(f"noise must be a number >= 0, not {noise!r}")
    fn, task, _ = GENERATORS[name]
    X, y = fn(int(n_samples), noise, _rng(seed))
    classes = None
    if task == "classification":  # at least two, even if noise moved every point across
        classes = [str(k) for k in range(max(2, int(y.max()) + 1))]
    return Dataset(X, y, task, target_name="y", classes=classes)


# --------------------------------------------------------------------------------------------
# Reading a CSV file into a DataFrame
# --------------------------------------------------------------------------------------------

_SEPARATORS = (",", ";", "\t", "|")
_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_SIGNATURES = {  # first bytes of files people upload by mistake
    b"PK\x03\x04": "an Excel workbook (.xlsx) or another zip file",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
}
_SAVE_AS_CSV = "save or export your table as CSV (comma-separated values) and upload that"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:.1f} MB"


def too_big(n_bytes: int | None = None) -> DataError:
    """The message for a file over MAX_BYTES (``n_bytes``: its size, when known)."""
    size = "" if n_bytes is None else f" (it is {_mb(n_bytes)})"
    return DataError(
        f"the file is larger than the limit of {MAX_BYTES / 2**20:g} MB{size}: "
        f"use fewer rows or columns"
    )


def _read_bytes(source) -> bytes:
    """The raw bytes of a path, bytes-like or file-like source, refusing more than MAX_BYTES."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            hint = " (to read CSV text, pass bytes or io.StringIO)" if "\n" in str(source) else ""
            raise DataError(f"there is no file at {str(source)[:200]!r}{hint}")
        if path.stat().st_size > MAX_BYTES:
            raise too_big(path.stat().st_size)
        data = path.read_bytes()
    elif hasattr(source, "read"):
        size = getattr(source, "size", None)  # Streamlit's UploadedFile knows its size
        if isinstance(size, int) and size > MAX_BYTES:
            raise too_big(size)
        if hasattr(source, "seek"):
            try:
                source.seek(0)  # an UploadedFile is read again on every rerun
            except (OSError, ValueError):
                pass
        data = source.read(MAX_BYTES + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
    else:
        raise DataError(
            f"expected a file path, bytes or an uploaded file, not {type(source).__name__}"
        )
    if len(data) > MAX_BYTES:
        raise too_big()
    return data


def _not_text(what: str = "it contains binary data") -> DataError:
    return DataError(f"this does not look like a CSV text file ({what}): {_SAVE_AS_CSV}")


def _decode(data: bytes) -> str:
    """Bytes to text: BOMs (UTF-8, UTF-16, UTF-32), then UTF-8, Windows-1252, Latin-1."""
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise DataError(
                    f"the file starts with a {codec.upper()} marker but is not valid "
                    f"{codec.upper()} text: save it again as UTF-8 CSV"
                ) from None
    for signature, what in _SIGNATURES.items():
        if data.startswith(signature):
            raise _not_text(f"it looks like {what}")
    if b"\x00" in data:
        head = np.frombuffer(data[: 8192 - len(data) % 2], dtype=np.uint8)
        for codec, zeros in (("utf-16-le", head[1::2]), ("utf-16-be", head[0::2])):
            if (zeros == 0).mean() > 0.9:  # UTF-16 without a BOM: ASCII text with NULs between
                try:
                    return data.decode(codec)
                except UnicodeDecodeError:
                    break
        raise _not_text()
    for codec in ("utf-8", "cp1252", "latin-1"):  # latin-1 decodes any byte
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise _not_text()  # pragma: no cover - latin-1 never fails


def _looks_binary(text: str) -> bool:
    """More than 1% control characters in the first 64k: no text file looks like that."""
    sample = text[:65536]
    return len(_CONTROL.findall(sample)) > 0.01 * len(sample)


def _line_lengths_check(lines: list[str]) -> None:
    lengths = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    longest = int(lengths.argmax())
    if lengths[longest] > MAX_LINE_CHARS:
        raise DataError(
            f"line {longest + 1} of the file has {lengths[longest]:,} characters; the limit is "
            f"{MAX_LINE_CHARS:,} per line: is this really a CSV table?"
        )


def _sniff_separator(lines: list[str]) -> str:
    """The separator that splits the first lines into the same number (> 1) of fields.

    Ties go to the one giving more fields; a one-column file gets ",".
    """
    sample = [line for line in lines[:50] if line.strip()]
    best, best_score = ",", (0.0, 1)
    for sep in _SEPARATORS:
        counts = [len(row) for row in csv.reader(sample, delimiter=sep)]
        if counts[0] < 2:
            continue
        score = (float(np.mean(np.array(counts) == counts[0])), counts[0])
        if score > best_score:
            best, best_score = sep, score
    return best


def _uses_decimal_comma(lines: list[str], sep: str) -> bool:
    """European files: ';'-separated with numbers like 3,14 and none like 3.14."""
    if sep == ",":
        return False
    sample = "\n".join(lines[1:50])
    return bool(re.search(r"\d,\d", sample)) and not re.search(r"\d\.\d", sample)


def _field_counts(text: str, lines: list[str], sep: str) -> tuple[np.ndarray, np.ndarray]:
    """Fields per record and the file line where each record starts; blank lines skipped."""
    if '"' not in text:  # the usual numeric file: one record per line, count separators
        starts = np.array([i for i, line in enumerate(lines) if line.strip()], dtype=np.int64)
        counts = np.array([lines[i].count(sep) + 1 for i in starts], dtype=np.int64)
        return counts, starts + 1
    reader = csv.reader(io.StringIO(text), delimiter=sep, strict=True)
    counts, starts, previous_end = [], [], 0
    try:
        for row in reader:
            if row:  # csv gives [] for a blank line
                counts.append(len(row))
                starts.append(previous_end + 1)
            previous_end = reader.line_num
    except csv.Error:
        raise DataError(
            f'line {previous_end + 1} of the file has a double quote (") that is never closed '
            f"or is followed by other characters: quotes must surround a whole value"
        ) from None
    return np.array(counts, dtype=np.int64), np.array(starts, dtype=np.int64)


def _check_header(header: list[str], sep: str) -> None:
    if len(header) > MAX_COLUMNS:
        raise DataError(
            f"the file has {len(header):,} columns; the limit is {MAX_COLUMNS:,}: "
            f"keep only the columns you need"
        )
    positions: dict[str, list[int]] = {}
    for j, name in enumerate(header):
        if name:
            positions.setdefault(name, []).append(j + 1)
    for name, cols in positions.items():
        if len(cols) > 1:
            where = ", ".join(map(str, cols[:-1])) + f" and {cols[-1]}"
            times = "twice" if len(cols) == 2 else f"{len(cols)} times"
            raise DataError(
                f"column {name!r} appears {times} in the header (columns {where}): "
                f"rename one so every column has its own name"
            )
    if not any(header):
        raise DataError(
            "the first line has no column names: add a header line with a name for each "
            f"column, e.g. x1{sep}x2{sep}y"
        )
    if all(_is_number(name) for name in header if name):
        shown = sep.join(header[:MAX_LISTED]) + ("..." if len(header) > MAX_LISTED else "")
        raise DataError(
            f"the first line ({shown}) holds numbers, not column names: add a header line "
            f"with a name for each column, e.g. x1{sep}x2{sep}y"
        )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_ragged(counts: np.ndarray, lines: np.ndarray, sep: str) -> None:
    bad = np.flatnonzero(counts != counts[0])
    if bad.size == 0:
        return
    first = bad[0]
    others = f" ({bad.size - 1} more rows too)" if bad.size > 1 else ""
    raise DataError(
        f"row {first} of the data (line {lines[first]} of the file) has {counts[first]} fields, "
        f"the header has {counts[0]}{others}: look for a missing or extra "
        f"{_SEPARATOR_NAMES[sep]} ({sep!r}), and put values containing {sep!r} in double quotes"
    )


def read_csv(source) -> pd.DataFrame:
    """Read a CSV table, checking limits and shape before handing the text to pandas.

    Parameters
    ----------
    source : str, os.PathLike, bytes or file-like
        A path, the file's bytes, or an object with ``read()`` (a Streamlit ``UploadedFile``).

    Returns
    -------
    pandas.DataFrame
        One column per header name (names stripped of spaces), at least ``MIN_ROWS`` rows.
        Separators ``,``, ``;``, tab and ``|`` are recognized, and ``3,14`` decimals in
        ``;``-separated files. Unnamed columns that are entirely empty (a trailing separator on
        every line) are dropped.

    Raises
    ------
    DataError
        Empty or binary files, files over ``MAX_BYTES``, ``MAX_ROWS`` data rows,
        ``MAX_COLUMNS`` columns or ``MAX_LINE_CHARS`` characters on a line, rows with the
        wrong number of fields, duplicate or missing column names, too few rows.
    """
    data = _read_bytes(source)
    text = _decode(data).lstrip("\ufeff")
    if not text.strip():
        raise DataError(
            f"the file is empty: it needs a header line and at least {MIN_ROWS} rows of data"
        )
    text = text.rstrip("\x1a")  # the end-of-file mark of old DOS and Windows programs
    if _looks_binary(text):
        raise _not_text()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    _line_lengths_check(lines)
    first = next(i for i, line in enumerate(lines) if line.strip())
    lines = lines[first:]
    text = "\n".join(lines)
    sep = _sniff_separator(lines)
    header = [name.strip() for name in next(csv.reader(lines[:1], delimiter=sep))]
    _check_header(header, sep)
    counts, line_numbers = _field_counts(text, lines, sep)
    if len(counts) - 1 > MAX_ROWS:
        raise DataError(
            f"the file has {len(counts) - 1:,} data rows; the limit is {MAX_ROWS:,}: "
            f"use a sample of the rows"
        )
    _check_ragged(counts, line_numbers, sep)
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=0,
            index_col=False,
            skipinitialspace=True,
            decimal="," if _uses_decimal_comma(lines, sep) else ".",
            engine="c",
            low_memory=False,  # one dtype guess per column, not one per chunk
        )
    except (ValueError, pd.errors.ParserError, OverflowError, MemoryError):
        raise DataError(
            f"the file could not be read as a table separated by {_SEPARATOR_NAMES[sep]}s "
            f"({sep!r}): check it opens as a table in a spreadsheet and save it again as CSV"
        ) from None
    df.columns = header
    df = _drop_unnamed_empty(df)
    _check_rows(df, "the file")
    return df


def _drop_unnamed_empty(df: pd.DataFrame) -> pd.DataFrame:
    """Drop unnamed, entirely empty columns; any other unnamed column is an error."""
    names = list(df.columns)
    keep = []
    for j, name in enumerate(names):
        if name != "":
            keep.append(j)
        elif df.iloc[:, j].notna().any():
            raise DataError(
                f"column {j + 1} has no name in the header: give it a name, or delete the "
                f"column if it is not needed"
            )
    return df.iloc[:, keep] if len(keep) < len(names) else df


def _check_rows(df: pd.DataFrame, what: str) -> None:
    n = len(df)
    if n == 0:
        shown = ", ".join(map(str, df.columns[:MAX_LISTED]))
        more = ", ..." if len(df.columns) > MAX_LISTED else ""
        raise DataError(
            f"{what} has a header ({shown}{more}) but no data rows: it needs at least {MIN_ROWS}"
        )
    if n < MIN_ROWS:
        raise DataError(
            f"{what} has only {n} data row{'s' if n > 1 else ''}; at least {MIN_ROWS} are "
            f"needed to train and validate"
        )


# --------------------------------------------------------------------------------------------
# From a DataFrame to a Dataset
# --------------------------------------------------------------------------------------------

# Text that looks like a date or time: 2024-01-05, 05/01/2024, 5.1.24, 2024-01-05T10:00, 10:30
_DATE = re.compile(
    r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    r"|\d{1,2}:\d{2}(:\d{2})?)([ T]\d{1,2}:\d{2}.*)?\s*$"
)


@dataclass
class _Column:
    """One column seen as numbers: values (NaN where not a number) and why cells failed."""

    name: str
    kind: str  # "number", "bool", "text", "date" or "empty"
    values: np.ndarray | None  # float64 for number/bool, None otherwise
    empty: np.ndarray  # bool (n,): the cell is empty / NaN
    not_number: np.ndarray  # bool (n,): text in a column of numbers
    infinite: np.ndarray  # bool (n,): +-inf, or too large for float64

    @property
    def bad(self) -> np.ndarray:
        return self.empty | self.not_number | self.infinite


def _rows(mask_or_index: np.ndarray) -> str:
    """'data rows 4, 9 and 17' (1-based), listing at most MAX_LISTED."""
    index = np.asarray(mask_or_index)
    index = np.flatnonzero(index) if index.dtype == bool else index
    shown = [str(i + 1) for i in index[:MAX_LISTED]]
    if len(index) > MAX_LISTED:
        listed = ", ".join(shown) + f" and {len(index) - MAX_LISTED} more"
    elif len(shown) > 1:
        listed = ", ".join(shown[:-1]) + " and " + shown[-1]
    else:
        listed = shown[0]
    return f"data row{'s' if len(index) > 1 else ''} {listed}"


def _examples(series: pd.Series, mask: np.ndarray, limit: int = 3) -> str:
    """ "'Paris' in data row 1, 'Lyon' in data row 2" for the first cells where mask is True."""
    index = np.flatnonzero(mask)[:limit]
    return ", ".join(f"{series.iloc[i]!r} in data row {i + 1}" for i in index)


def _column(series: pd.Series, name: str) -> _Column:
    """Classify a column and convert it to float64 where it holds numbers."""
    n = len(series)
    empty = series.isna().to_numpy()
    no = np.zeros(n, dtype=bool)
    if empty.all():
        return _Column(name, "empty", None, empty, no, no)
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return _Column(name, "bool", series.to_numpy(np.float64, na_value=np.nan), empty, no, no)
    if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
        return _Column(name, "date", None, empty, no, no)
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        values = series.to_numpy(np.float64, na_value=np.nan)
        return _Column(name, "number", values, empty, no, np.isinf(values))
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    if inferred == "boolean":
        return _Column(name, "bool", series.astype("float64").to_numpy(), empty, no, no)
    if inferred in ("datetime", "datetime64", "date", "period", "time"):
        return _Column(name, "date", None, empty, no, no)
    text = series.astype("str").str.strip()
    empty = empty | (text == "").to_numpy()  # a cell of spaces is an empty cell
    if empty.all():
        return _Column(name, "empty", None, empty, no, no)
    try:
        numbers = pd.to_numeric(text.where(~empty), errors="coerce")
        numbers = numbers.to_numpy(np.float64, na_value=np.nan)
    except (OverflowError, ValueError, TypeError):
        numbers = np.array([_to_float(v) for v in text], dtype=np.float64)
    not_number = ~empty & np.isnan(numbers)
    if not_number.sum() < 0.5 * (~empty).sum():  # mostly numbers: the rest are typos
        return _Column(name, "number", numbers, empty, not_number, np.isinf(numbers))
    if text[~empty].str.match(_DATE).mean() >= 0.8:
        return _Column(name, "date", None, empty, no, no)
    return _Column(name, "text", None, empty, no, no)


def _to_float(value) -> float:
    """float(value), inf when it is too large for float64, NaN when it is not a number."""
    try:
        return float(value)
    except OverflowError:
        return math.inf
    except (TypeError, ValueError):
        return math.nan


def _resolve_target(labels: list[str], target) -> str:
    if target is None:
        return labels[-1]
    if str(target) not in labels:
        raise DataError(f"there is no column {str(target)!r}; the columns are: {_listing(labels)}")
    return str(target)


def _listing(labels: list[str], limit: int = 30) -> str:
    shown = ", ".join(repr(name) for name in labels[:limit])
    return shown + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def _default_features(columns: dict[str, _Column], target: str):
    """Number and true/false columns other than the target; notes for the ones left out."""
    features, notes = [], []
    left_out = {"text": [], "date": [], "empty": []}
    for name, col in columns.items():
        if name == target:
            continue
        if col.kind in ("number", "bool"):
            features.append(name)
        else:
            left_out[col.kind].append(name)
    if left_out["text"]:
        notes.append(
            f"left out text column(s) {_listing(left_out['text'])}: features must be numbers"
        )
    if left_out["date"]:
        notes.append(
            f"left out date column(s) {_listing(left_out['date'])}: dates are not "
            f"supported as features"
        )
    if left_out["empty"]:
        notes.append(f"left out empty column(s) {_listing(left_out['empty'])}")
    if not features:
        raise DataError(
            f"no column other than the target {target!r} holds numbers, so there are no "
            f"features to learn from" + (f" ({notes[0]})" if notes else "")
        )
    return features, notes


def number_columns(df: pd.DataFrame) -> list[str]:
    """Names of the columns lossdash reads as numbers or true/false: the default features.

    A column of numbers with a few text cells ("n/a", "12,5") counts: pandas reads it as text,
    but dropping it silently would hide the typos; ``from_frame`` names them instead.
    """
    return [str(name) for name in df.columns
            if _column(df[name], str(name)).kind in ("number", "bool")]


def class_warning(ds: Dataset) -> str | None:
    """A warning when classification treats what looks like a measured quantity as classes.

    Numeric class names with more than ``CLASS_MAX_DISTINCT`` distinct values, not all whole
    numbers or fewer than ``MIN_PER_CLASS`` rows per class on average (iris' sepal length:
    35 "classes" of about 4 rows), are most likely a continuous target; None otherwise.
    """
    if ds.task != "classification" or ds.n_classes <= CLASS_MAX_DISTINCT:
        return None
    numbers = pd.to_numeric(pd.Series(ds.classes), errors="coerce").to_numpy(float)
    if np.isnan(numbers).any():
        return None  # text labels: the user's own classes
    whole = bool(np.all(numbers == np.round(numbers)))
    per_class = ds.n_samples / ds.n_classes
    if whole and per_class >= MIN_PER_CLASS:
        return None
    kind = "whole numbers" if whole else "numbers with decimals"
    return (f"target {ds.target_name!r} has {ds.n_classes} different values ({kind}), each "
            f"taken as its own class with about {per_class:.0f} rows: a value it has not seen "
            f"can never be predicted, and a near miss counts as wrong. It looks like a "
            f"quantity: choose the task 'regression' to predict it as a number")


def _check_features(columns, df: pd.DataFrame, target: str, features) -> list[str]:
    """Explicitly chosen features: they must exist, exclude the target and hold numbers."""
    features = [features] if isinstance(features, str) else [str(f) for f in features]
    features = list(dict.fromkeys(features))
    if not features:
        raise DataError("no feature columns were chosen: choose at least one")
    missing = [f for f in features if f not in columns]
    if missing:
        raise DataError(
            f"there is no column {_listing(missing)}; the columns are: {_listing(list(columns))}"
        )
    if target in features:
        raise DataError(
            f"the target {target!r} is also chosen as a feature: remove it from the features"
        )
    for name in features:
        col, series = columns[name], df[name]
        if col.kind == "empty":
            raise DataError(f"column {name!r} is empty: remove it from the features")
        if col.kind == "date":
            raise DataError(
                f"column {name!r} holds dates ({_examples(series, ~col.empty, 2)}); dates are "
                f"not supported as features: remove it from the features, or turn it into a "
                f"number (such as days since the first date) in your spreadsheet"
            )
        if col.kind == "text":
            raise DataError(
                f"column {name!r} holds text, not numbers ({_examples(series, ~col.empty)}): "
                f"remove it from the features"
            )
    return features


def _bad_cells_message(cols: list[_Column], series: dict[str, pd.Series]) -> str:
    """'column 'age' has 2 empty cells (data rows 4 and 9); column ...' for every bad cell."""
    parts = []
    for col in cols:
        empty, not_number, infinite = (
            int(m.sum()) for m in (col.empty, col.not_number, col.infinite)
        )
        if empty:
            parts.append(
                f"column {col.name!r} has {_count(empty, 'empty cell')} ({_rows(col.empty)})"
            )
        if not_number:
            more = f" and {not_number - 3} more" if not_number > 3 else ""
            verb = "is" if not_number == 1 else "are"
            parts.append(
                f"column {col.name!r} has {_count(not_number, 'cell')} that {verb} not "
                f"a number ({_examples(series[col.name], col.not_number)}{more})"
            )
        if infinite:
            parts.append(
                f"column {col.name!r} has {_count(infinite, 'value')} that "
                f"{'is' if infinite == 1 else 'are'} infinite or too large for a 64-bit float "
                f"({_rows(col.infinite)})"
            )
    return "; ".join(parts)


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


def _classes(values: np.ndarray, name: str, numeric: bool) -> tuple[np.ndarray, list[str]]:
    """Labels 0..k-1 in sorted order of the distinct values, and their names."""
    uniques, labels = np.unique(values, return_inverse=True)
    if len(uniques) < 2:
        raise DataError(
            f"target {name!r} has only one class ({_class_name(uniques[0], numeric)!r}): "
            f"classification needs at least two"
        )
    if len(uniques) > MAX_CLASSES:
        raise DataError(
            f"target {name!r} has {len(uniques):,} different values; classification supports "
            f"at most {MAX_CLASSES}: choose regression, or another target column"
        )
    return labels.astype(np.int64), [_class_name(u, numeric) for u in uniques]


def _class_name(value, numeric: bool) -> str:
    if not numeric:
        return str(value)
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def _target(col: _Column, series: pd.Series, task: str | None, keep: np.ndarray):
    """(y, task, classes, note) from the rows ``keep`` of the target column."""
    name = col.name
    if col.kind == "text":
        if task == "regression":
            raise DataError(
                f"target {name!r} holds text ({_examples(series, ~col.empty, 2)}), so it can't "
                f"be a regression target: choose classification, or a column of numbers"
            )
        series = series[keep]
        labels = series.astype("str").str.strip().to_numpy(dtype=object).astype(str)
        y, classes = _classes(labels, name, numeric=False)
        note = f"target {name!r} holds text, so the task is classification" if task is None else ""
        return y, "classification", classes, note
    values = None if col.values is None else col.values[keep]
    if col.kind == "bool" and task != "regression":
        y, classes = _classes(np.where(values > 0.5, "True", "False"), name, numeric=False)
        note = f"target {name!r} is true/false, so the task is classification" if not task else ""
        return y, "classification", classes, note
    note = ""
    if task is None:
        distinct = np.unique(values)
        whole = bool(np.all(values == np.round(values)))
        task = "regression"
        if whole and len(distinct) <= CLASS_MAX_DISTINCT and len(distinct) < len(values) / 2:
            task = "classification"
            note = (
                f"target {name!r} has only {len(distinct)} different whole numbers, so the "
                f"task is classification (choose regression to change that)"
            )
    if task == "classification":
        y, classes = _classes(values, name, numeric=True)
        return y, task, classes, note
    if np.all(values == values[0]):
        raise DataError(
            f"target {name!r} has the same value {float(values[0])!r} in every row: "
            f"nothing to learn"
        )
    return values, task, None, note


def from_frame(
    df: pd.DataFrame,
    target: str | None = None,
    features: list[str] | None = None,
    task: str | None = None,
    drop_missing: bool = False,
) -> Dataset:
    """Turn the columns of a table into a :class:`Dataset`.

    Parameters
    ----------
    df : pandas.DataFrame
        The table; rows in messages are counted from 1 at its first row.
    target : str, optional
        The column to predict; defaults to the last column.
    features : list of str, optional
        The input columns; default: every other column of numbers or true/false values (text,
        date and empty columns are left out, with a note). Chosen explicitly, each must hold
        numbers. True/false becomes 1/0.
    task : {"regression", "classification"}, optional
        Inferred when None: a text or true/false target, or whole numbers with at most
        ``CLASS_MAX_DISTINCT`` distinct values and fewer distinct values than half the rows,
        means classification; anything else regression. Class labels are numbered in sorted
        order (numbers numerically, text alphabetically) and named in ``classes``.
    drop_missing : bool
        Drop rows with an empty, non-numeric or infinite cell in a feature or the target
        (with a note) instead of raising :class:`DataError`.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a table (pandas DataFrame), not {type(df).__name__}")
    if task is not None and task not in TASKS:
        raise DataError(f"task must be 'regression' or 'classification', not {task!r}")
    labels = [str(c) for c in df.columns]
    if len(set(labels)) < len(labels):
        dup = next(name for name in labels if labels.count(name) > 1)
        raise DataError(f"column {dup!r} appears more than once: rename one")
    df = df.set_axis(labels, axis=1)
    if len(labels) < 2:
        raise DataError(
            f"the table has only one column ({_listing(labels)}); it needs a target and at least "
            f"one feature. If the file has more columns, it may use a separator lossdash did "
            f"not recognize (use ',', ';', tab or '|')"
        )
    _check_rows(df, "the table")
    target = _resolve_target(labels, target)
    columns = {name: _column(df[name], name) for name in labels}
    notes: list[str] = []
    if features is None:
        features, notes = _default_features(columns, target)
    else:
        features = _check_features(columns, df, target, features)
    tcol = columns[target]
    if tcol.kind == "empty":
        raise DataError(f"the target column {target!r} is empty: choose another target")
    if tcol.kind == "date":
        raise DataError(f"the target column {target!r} holds dates, which are not supported")
    if tcol.kind == "number" and task == "classification" and tcol.not_number.any():
        # chosen as classes: "1", "2", "other" are three labels, not numbers with a typo
        no = np.zeros(len(df), dtype=bool)
        tcol = _Column(target, "text", None, tcol.empty, no, no)
    used = [columns[f] for f in features] + [tcol]
    bad = np.logical_or.reduce([col.bad for col in used])
    if bad.any():
        message = _bad_cells_message(used, {c.name: df[c.name] for c in used})
        if not drop_missing:
            raise DataError(f"{message}. Fix those cells, or {DROP_HINT} ({ROWS_CONVENTION})")
        notes.append(
            f"dropped {int(bad.sum())} of {len(df)} rows with empty, non-numeric or "
            f"infinite cells: {_rows(bad)} ({ROWS_CONVENTION})"
        )
    keep = ~bad
    if keep.sum() < MIN_ROWS:
        raise DataError(
            f"only {int(keep.sum())} rows have a value in every chosen column; at least "
            f"{MIN_ROWS} are needed: fill in the empty cells, or choose other columns"
        )
    X = np.column_stack([columns[f].values[keep] for f in features])
    y, task, classes, note = _target(tcol, df[target], task, keep)
    if note:
        notes.append(note)
    return Dataset(
        X, y, task, feature_names=features, target_name=target, classes=classes, notes=tuple(notes)
    )


def load_csv(
    source,
    target: str | None = None,
    features: list[str] | None = None,
    task: str | None = None,
    drop_missing: bool = False,
) -> Dataset:
    """``from_frame(read_csv(source), target, features, task, drop_missing)``."""
    return from_frame(read_csv(source), target, features, task, drop_missing)


# --------------------------------------------------------------------------------------------
# Train / validation split and standardizing
# --------------------------------------------------------------------------------------------


def _stratified_val_counts(counts: np.ndarray, n_val: int) -> np.ndarray:
    """Validation rows per class, summing to ``n_val``, proportional to class size.

    Largest remainders first; a class keeps at least one training row while others can give.
    """
    quota = counts * n_val / counts.sum()
    val = np.floor(quota).astype(np.int64)
    for reserve in (1, 0):  # rows each class keeps for training, if at all possible
        val = np.minimum(val, np.maximum(counts - reserve, 0))
        order = np.argsort(val - quota, kind="stable")
        while (deficit := n_val - val.sum()) > 0:  # a few rounds over the classes
            open_classes = order[val[order] < counts[order] - reserve]
            if open_classes.size == 0:
                break
            val[open_classes[:deficit]] += 1
    return val


def split(dataset: Dataset, val_fraction: float = 0.2, seed: int = 0):
    """Shuffle and split into ``(train, val)``; classification keeps class proportions.

    ``val_fraction * n`` rows, rounded half up, at least 1 and at most n - 1, go to validation.
    ``val_fraction = 0`` returns ``(dataset, None)``. Classes keep their full ``classes`` list
    in both parts.
    """
    try:
        fraction = float(val_fraction)
    except (TypeError, ValueError):
        fraction = math.nan
    if not 0.0 <= fraction <= 0.9:
        raise DataError(f"the validation fraction must be between 0 and 0.9, not {val_fraction!r}")
    if fraction == 0:
        return dataset, None
    n = dataset.n_samples
    if n < 2:
        raise DataError(f"{n} sample cannot be split into training and validation sets")
    n_val = int(np.clip(math.floor(fraction * n + 0.5), 1, n - 1))
    order = _rng(seed).permutation(n)
    if dataset.task == "regression":
        return dataset.subset(order[n_val:]), dataset.subset(order[:n_val])
    # Stratify: group the shuffled rows by class, take the first val_k of class k.
    grouped = order[np.argsort(dataset.y[order], kind="stable")]
    counts = np.bincount(dataset.y, minlength=dataset.n_classes)
    val_counts = _stratified_val_counts(counts, n_val)
    labels = dataset.y[grouped]
    rank = np.arange(n) - (np.cumsum(counts) - counts)[labels]
    is_val = np.zeros(n, dtype=bool)
    is_val[grouped[rank < val_counts[labels]]] = True
    return dataset.subset(order[~is_val[order]]), dataset.subset(order[is_val[order]])


class Standardizer:
    """Per-column z-scores: ``z = (x - mean_) / scale_``.

    ``scale_`` is the population standard deviation (``ddof = 0``), and 1.0 for a constant
    column so it maps to 0 instead of dividing by zero. Works on ``(n, d)`` and ``(n,)``
    arrays. The statistics are computed on ``x / max|x|`` so huge values do not overflow.
    """

    def fit(self, X: np.ndarray) -> Standardizer:
        X = np.asarray(X, dtype=np.float64)
        size = np.max(np.abs(X), axis=0)
        size = np.where(size > 0, size, 1.0)
        unit = X / size
        self.mean_ = unit.mean(axis=0) * size
        scale = unit.std(axis=0) * size
        self.scale_ = np.where(scale > 0, scale, 1.0)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        return np.asarray(Z, dtype=np.float64) * self.scale_ + self.mean_

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).transform(X)


def standardize(train: Dataset, val: Dataset | None = None):
    """Standardize the features of ``train`` and ``val`` with statistics of ``train`` only.

    Returns ``(train', val', standardizer)``; ``val'`` is None when ``val`` is None.
    """
    scaler = Standardizer().fit(train.X)
    new_val = None if val is None else replace(val, X=scaler.transform(val.X))
    return replace(train, X=scaler.transform(train.X)), new_val, scaler
