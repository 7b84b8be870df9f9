"""Engineered inputs: what the model sees, computed from the original plane.

TensorFlow Playground's one-click features for a 2-D set, and a polynomial for a 1-D set:

.. math::

    \\phi(x_1, x_2) \\subseteq (x_1,\\; x_2,\\; x_1^2,\\; x_2^2,\\; x_1 x_2,\\; \\sin x_1,\\;
    \\sin x_2), \\qquad \\phi_d(x) = (x, x^2, \\dots, x^d)

A linear model on ``(x1², x2²)`` draws a circle in the original plane; on ``x1·x2`` it
separates the xor quadrants. The transform is applied to the raw features, *before*
standardization (so ``x1²`` is the square of the value the user sees), and :class:`Inputs`
applies the same chain to any point of the plane, which is how the charts draw the model's
boundary or fit over the original axes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

# name -> (label shown to the user, function of (x1, x2)); order is the order of the columns.
FEATURES = {
    "x1": ("x1", lambda x1, x2: x1),
    "x2": ("x2", lambda x1, x2: x2),
    "x1_sq": ("x1²", lambda x1, x2: x1 * x1),
    "x2_sq": ("x2²", lambda x1, x2: x2 * x2),
    "x1x2": ("x1·x2", lambda x1, x2: x1 * x2),
    "sin_x1": ("sin(x1)", lambda x1, x2: np.sin(x1)),
    "sin_x2": ("sin(x2)", lambda x1, x2: np.sin(x2)),
}
DEFAULT = ("x1", "x2")
MAX_DEGREE = 12  # x^12 of a standardized x stays far from overflow; higher adds nothing to see
SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def parse(text):
    """``"x1, x1_sq"`` -> ``("x1", "x1_sq")`` in the order of :data:`FEATURES`.

    Raises ValueError naming the unknown feature, or saying that none was chosen.
    """
    chosen = {p.strip() for p in str(text).split(",") if p.strip()}
    unknown = sorted(chosen - set(FEATURES))
    if unknown:
        raise ValueError(f"unknown input feature {unknown[0]!r}; choose from "
                         f"{', '.join(FEATURES)}")
    if not chosen:
        raise ValueError("choose at least one input feature, e.g. x1,x2")
    return tuple(name for name in FEATURES if name in chosen)


def engineer(X, names):
    """The named features of the points ``X`` (m, 2): an array (m, len(names))."""
    X = np.asarray(X, dtype=np.float64)
    x1, x2 = X[:, 0], X[:, 1]
    return np.column_stack([FEATURES[name][1](x1, x2) for name in names])


def polynomial(X, degree):
    """``(x, x², ..., x^degree)`` of the one feature of ``X`` (m, 1): an array (m, degree)."""
    x = np.asarray(X, dtype=np.float64)[:, :1]
    return x ** np.arange(1, int(degree) + 1)


def power_label(name, k):
    """``x1`` to the power ``k`` as the user reads it: ``x1``, ``x1²``, ``x1¹²``."""
    return name if k == 1 else f"{name}{str(k).translate(SUPERSCRIPTS)}"


@dataclass(frozen=True)
class Inputs:
    """A point of the original plane -> the model's input row.

    ``features`` (for 2-D data) or ``degree`` (for 1-D data) picks the engineered columns;
    ``scaler`` (a fitted :class:`lossdash.data.Standardizer`, or None) then rescales them.
    ``Inputs()`` is the identity.
    """

    features: tuple = ()  # names of FEATURES; () keeps the columns as they are
    degree: int = 1  # 1-D data: columns x, x², ..., x^degree
    scaler: object = None  # fitted on the engineered training columns

    @property
    def engineered(self):
        """Whether the columns differ from the original ones."""
        return self.degree > 1 or self.features not in ((), DEFAULT)

    def raw(self, X):
        """The engineered columns of ``X`` (m, d), before standardization."""
        if self.degree > 1:
            return polynomial(X, self.degree)
        if self.features and self.features != DEFAULT:
            return engineer(X, self.features)
        return np.asarray(X, dtype=np.float64)

    def __call__(self, X):
        """The model's input for the points ``X`` (m, d) of the plane: (m, n_inputs)."""
        Z = self.raw(X)
        return Z if self.scaler is None else self.scaler.transform(Z)

    def names(self, original):
        """Labels of the model's input columns, given the original feature names."""
        if self.degree > 1:
            return [power_label(original[0], k) for k in range(1, self.degree + 1)]
        if self.features and self.features != DEFAULT:
            return [FEATURES[name][0] for name in self.features]
        return list(original)

    def apply(self, dataset):
        """``dataset`` with its columns engineered (not standardized), names to match."""
        if dataset is None or not self.engineered:
            return dataset
        return replace(dataset, X=self.raw(dataset.X), feature_names=self.names(
            dataset.feature_names))
