"""Pure statistics for pollapp: pandas/numpy in, pandas/dataclasses out, proportions (0-1).

No web framework, ORM or app import here (enforced by import-linter), so everything can
be used from a notebook. statsmodels is imported lazily inside the functions that need
it. Errors are :class:`StatsInputError` / :class:`InsufficientDataError` (``ValueError``
subclasses) for the web layer to map to 422.

Modules: :mod:`.intervals` (single-poll and simultaneous intervals, design effects),
:mod:`.lead` (lead within a poll), :mod:`.change` (change between two polls),
:mod:`.trend` (kalman, lowess, weighted, rolling), :mod:`.house_effects`.
"""

from __future__ import annotations

from .errors import InsufficientDataError, StatsInputError

#: Bump when a change to this package can change a served number (part of cache keys).
STATS_VERSION = "1"

__all__ = ["InsufficientDataError", "StatsInputError", "STATS_VERSION"]
