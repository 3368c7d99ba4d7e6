"""Statistics use cases, one import for the HTTP layer.

Each takes a session and plain arguments, reads the poll store through the repository, converts
percent to proportions, calls :mod:`pollapp.stats` and converts back; none imports Flask or
marshmallow or commits. Errors of :mod:`pollapp.stats` become
:class:`~pollapp.exceptions.InvalidInput` / :class:`~pollapp.exceptions.InsufficientData` (422)
naming the query parameter at fault.

* :mod:`.stats_polls`: :func:`poll_intervals`;
* :mod:`.stats_compare`: :func:`compare`;
* :mod:`.stats_series`: :func:`series_trend`, :func:`house_effects`, :func:`adjusted_points`, and the
  data version / cache key they and the ETags share (:func:`series_version`, :func:`result_key`);
* :mod:`.stats_params`: normalised parameters (:func:`trend_params`, :func:`house_params`);
* :mod:`.stats_inputs`: option lists, sample sizes, error mapping, fast records;
* :mod:`.cache`: the result cache interface.
"""

from __future__ import annotations

from pollapp.services.stats_params import (
    HOUSE_PARAMETERS,
    SELECTION_PARAMETERS,
    TREND_PARAMETERS,
    TREND_SETTINGS,
    HouseParams,
    Selection,
    TrendParams,
    house_params,
    trend_params,
)
from pollapp.services.stats_compare import compare
from pollapp.services.stats_polls import poll_intervals
from pollapp.services.stats_series import (
    GRID_COLUMNS,
    EncodedResult,
    SeriesVersion,
    adjusted_points,
    house_effects,
    result_key,
    series_trend,
    series_version,
)

__all__ = [
    "GRID_COLUMNS",
    "HOUSE_PARAMETERS",
    "SELECTION_PARAMETERS",
    "TREND_PARAMETERS",
    "TREND_SETTINGS",
    "EncodedResult",
    "HouseParams",
    "SeriesVersion",
    "Selection",
    "TrendParams",
    "adjusted_points",
    "compare",
    "house_effects",
    "house_params",
    "poll_intervals",
    "result_key",
    "series_trend",
    "series_version",
    "trend_params",
]
