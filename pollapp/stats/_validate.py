"""Small input checks shared by the statistics modules.

Validation happens up front, before any computation, so that a bad request fails
with a :class:`~pollapp.stats.errors.StatsInputError` naming the parameter instead of
a NaN buried in the output or a traceback from deep inside statsmodels.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy.special import ndtri

from .errors import StatsInputError


def check_option(value: str, allowed: Iterable[str], parameter: str) -> str:
    """Return ``value`` if it is one of ``allowed``; otherwise raise naming the choices."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise StatsInputError(
            f"{parameter} must be one of {', '.join(map(repr, allowed))}, got {value!r}",
            parameter=parameter,
        )
    return value


def check_level(level: float, parameter: str = "level") -> float:
    """A confidence level strictly between 0 and 1 (0.95, not 95)."""
    try:
        level = float(level)
    except (TypeError, ValueError):
        raise StatsInputError(f"{parameter} must be a number between 0 and 1", parameter=parameter) from None
    if not 0.0 < level < 1.0:
        raise StatsInputError(
            f"{parameter} must be strictly between 0 and 1 (e.g. 0.95), got {level}", parameter=parameter
        )
    return level


def z_value(level: float) -> float:
    """Two-sided normal quantile for a confidence level (1.959964 at 0.95)."""
    return float(ndtri(0.5 + level / 2.0))


def as_float_array(values, parameter: str) -> np.ndarray:
    """Convert to a float array, refusing non-numeric and missing values."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise StatsInputError(f"{parameter} must be numeric", parameter=parameter) from None
    if np.isnan(arr).any():
        raise StatsInputError(f"{parameter} contains missing values", parameter=parameter)
    return arr


def check_proportions(values, parameter: str = "p") -> np.ndarray:
    """Proportions in [0, 1]; a value above 1 almost always means a percentage was passed."""
    arr = as_float_array(values, parameter)
    if ((arr < 0) | (arr > 1)).any():
        hint = " (pass proportions 0-1, not percentages)" if (arr > 1).any() else ""
        raise StatsInputError(f"{parameter} must lie in [0, 1]{hint}", parameter=parameter)
    return arr


def check_positive(values, parameter: str) -> np.ndarray:
    """Strictly positive finite numbers (sample sizes, variances)."""
    arr = as_float_array(values, parameter)
    if (~np.isfinite(arr)).any() or (arr <= 0).any():
        raise StatsInputError(f"{parameter} must be positive and finite", parameter=parameter)
    return arr
