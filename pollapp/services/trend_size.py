"""How much of a trend result a response carries: the grid step and the poll lists.

The statistics are always computed on the daily grid (the Kalman smoother's state at a day does not
depend on which other days are reported); what is bounded here is only the *representation*, so that
a trend of a series spanning decades with tens of thousands of polls stays a body of a few hundred KB
(a chart cannot show more than a few hundred grid points or thousands of dots usefully, and a large
body costs every reader and caps how many requests a worker can serve).

- Grid: every ``step`` days from the first day of the grid, plus its last day (the latest estimate is
  always there). By default (``step_days`` not given) the smallest step that keeps at most
  :data:`MAX_GRID_POINTS` rows; ``step_days=1`` asks for every day. Values at the dates kept are
  exactly those of the daily grid.
- Poll lists (``polls``): ``auto`` (default) lists at most :data:`MAX_LISTED_POLLS` included polls
  (the latest, by field midpoint) and as many excluded ones, and says so in a warning when it cuts;
  ``all`` lists every poll; ``none`` lists none. ``n_polls_included`` / ``n_polls_excluded`` always
  count every poll.
"""

from __future__ import annotations

import math
from typing import Any

from pollapp.services.stats_inputs import column_length, column_rows

#: Default upper bound on grid rows per outcome (25 years daily is 9,000+ rows, ~2 MB of JSON).
MAX_GRID_POINTS = 500
#: Default upper bound on the rows of ``included`` and of ``excluded`` each (``polls=auto``).
MAX_LISTED_POLLS = 100
POLL_LISTS = ("auto", "all", "none")


def represent(full: dict[str, Any], step_days: int | None, polls: str) -> dict[str, Any]:
    """The trend response for ``step_days`` / ``polls`` made from the full result (every grid day and
    every poll; ``grid`` and ``included`` column-wise, :func:`pollapp.services.stats_inputs.frame_columns`):
    the grid thinned, the lists cut, ``parameters`` saying what was used, a warning per cut. Dicts are
    built only for the rows the response lists."""
    grid = full["grid"]
    step = grid_step(column_length(grid), step_days)
    included, excluded, warnings = list_polls(full["included"], full["excluded"], polls)
    return {
        **full,
        "parameters": {**full["parameters"], "step_days": step, "polls": polls},
        "warnings": [*full["warnings"], *warnings],
        "included": included,
        "excluded": excluded,
        "grid": column_rows(grid, thinned(grid.get("date", []), step)),
    }


def grid_step(n_days: int, step_days: int | None) -> int:
    """The step used: the one asked for, else the smallest keeping at most MAX_GRID_POINTS rows
    (the last day may add one row)."""
    if step_days is not None:
        return max(1, int(step_days))
    return max(1, math.ceil(n_days / MAX_GRID_POINTS))


def thinned(dates: list[str], step: int) -> slice | list[int]:
    """The positions of a daily grid's rows (ISO ``dates``) kept every ``step`` days from its first date,
    plus its last row; every row for ``step == 1``."""
    import numpy as np

    if step <= 1 or not dates:
        return slice(None)
    days = np.array(dates[:-1], dtype="datetime64[D]").view(np.int64)  # ISO days parsed in one pass
    kept = np.flatnonzero((days - days[0]) % step == 0).tolist() if len(days) else []
    return [*kept, len(dates) - 1]


def list_polls(included: dict[str, list[Any]], excluded: list[dict[str, Any]], polls: str
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """The poll lists a response carries for ``polls`` (see the module docstring), and the warnings
    saying what was left out. ``included`` (column-wise) is in field-midpoint order, so its tail is
    the latest."""
    if polls == "all":
        return column_rows(included), excluded, []
    if polls == "none":
        return [], [], []
    warnings = []
    n_included = column_length(included)
    rows = slice(None)
    if n_included > MAX_LISTED_POLLS:
        warnings.append(
            f"`included` lists the latest {MAX_LISTED_POLLS} of the {n_included:,} polls used (by field "
            "midpoint); ask polls=all for every one, or download the series' data."
        )
        rows = slice(-MAX_LISTED_POLLS, None)
    if len(excluded) > MAX_LISTED_POLLS:
        warnings.append(
            f"`excluded` lists the first {MAX_LISTED_POLLS} of the {len(excluded):,} polls left out; ask "
            "polls=all for every one."
        )
        excluded = excluded[:MAX_LISTED_POLLS]
    return column_rows(included, rows), excluded, warnings
