"""Trend lines for a series outcome on a daily grid.

Methods: :func:`kalman_trend` (default), :func:`lowess_trend`, :func:`weighted_trend`,
:func:`rolling_trend`, all taking the same polls DataFrame (see :mod:`.prepare`) and a
:class:`TrendOptions`, all returning a :class:`TrendResult`. :func:`fit_trend` dispatches
by name. Submodules that import statsmodels are loaded lazily (``import statsmodels``
costs seconds), so importing this package is cheap.
"""

from __future__ import annotations

from importlib import import_module

from .prepare import (
    REQUIRED_COLUMNS,
    PreparedPolls,
    TrendOptions,
    decided_share,
    fill_missing_n,
    prepare_polls,
)
from .result import TrendResult

TREND_METHODS = ("kalman", "lowess", "weighted", "rolling")

_LAZY = {
    "kalman_trend": ".kalman",
    "lowess_trend": ".lowess",
    "weighted_trend": ".weighted",
    "rolling_trend": ".rolling",
    "PollLevelModel": ".state_space",
}

__all__ = [
    "REQUIRED_COLUMNS",
    "TREND_METHODS",
    "PreparedPolls",
    "TrendOptions",
    "TrendResult",
    "decided_share",
    "fill_missing_n",
    "prepare_polls",
    "fit_trend",
    *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def fit_trend(polls, method: str = "kalman", options: TrendOptions | None = None, **settings) -> TrendResult:
    """Run the named trend method; ``settings`` are that method's own keyword arguments."""
    from .._validate import check_option

    method = check_option(method, TREND_METHODS, "method")
    return __getattr__(f"{method}_trend")(polls, options, **settings)
