"""The defaults the methodology page states, read off the statistics functions themselves.

Why: a methodology page that says "LOWESS span 0.3" while the code uses 0.4 is worse than none. The
page (``/methodology``) renders these values instead of repeating them in prose, so changing a
default in :mod:`pollapp.stats` changes the page.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from pollapp.services import chart_bounds, trend_size
from pollapp.services.stats_inputs import DEFAULT_N
from pollapp.stats import change, house_effects, intervals
from pollapp.stats.trend import TrendOptions
from pollapp.stats.trend import kalman, lowess, rolling, weighted


def _defaults(function: Callable[..., Any]) -> dict[str, Any]:
    return {
        name: parameter.default
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }


def defaults() -> dict[str, Any]:
    """Every default the page quotes, by method."""
    options = TrendOptions()
    return {
        "level": options.level,
        "min_polls": options.min_polls,
        "default_n": DEFAULT_N,
        "interval": _defaults(intervals.proportion_ci),
        "change": _defaults(change.change),
        "kalman": _defaults(kalman.kalman_trend),
        "lowess": _defaults(lowess.lowess_trend),
        "weighted": _defaults(weighted.weighted_trend),
        "rolling": _defaults(rolling.rolling_trend),
        "house_effects": _defaults(house_effects.house_effects),
        "population_preference": list(options.population_preference),
        "max_grid_points": trend_size.MAX_GRID_POINTS,
        "max_listed_polls": trend_size.MAX_LISTED_POLLS,
        "max_chart_dots": chart_bounds.MAX_CHART_DOTS,
    }
