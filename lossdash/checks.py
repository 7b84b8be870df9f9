"""One check for every numeric hyperparameter (optimizers and schedules share it)."""

import math
import numbers

import numpy as np

INTERVALS = {  # the interval notation LIMITS tables use -> its membership test
    "[0, 1)": lambda v: 0.0 <= v < 1.0,
    "[0, 1]": lambda v: 0.0 <= v <= 1.0,
    "(0, 1]": lambda v: 0.0 < v <= 1.0,
    "[0, inf)": lambda v: 0.0 <= v < math.inf,
    "(0, inf)": lambda v: 0.0 < v < math.inf,
}


def real_in(what, value, interval):
    """``float(value)`` if it is a real number (not a bool) inside ``interval``, else a
    ValueError that says ``what`` must be a number in it."""
    if (
        isinstance(value, bool | np.bool_)
        or not isinstance(value, numbers.Real)
        or not INTERVALS[interval](float(value))
    ):
        raise ValueError(f"{what} must be a number in {interval}, got {value!r}")
    return float(value)
