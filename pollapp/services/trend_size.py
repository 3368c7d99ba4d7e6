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

#: Default upper bound on grid rows per outcome (25 years daily is 9,000+ rows, ~2 MB of JSON).
MAX_GRID_POINTS = 500
#: Default upper bound on the rows of ``included`` and of ``excluded`` each (``polls=auto``).
MAX_LISTED_POLLS = 100
POLL_LISTS = ("auto", "all", "none")


def represent(full: dict[str, Any], step_days: int | None, polls: str) -> dict[str, Any]:
    """The trend response for ``step_days`` / ``polls`` made from the full one (every grid day, every
    poll): the grid thinned, the lists cut, ``parameters`` saying what was used, a warning per cut."""
    grid = full["grid"]
    step = grid_step(len(grid), step_days)
    included, excluded, warnings = list_polls(full["included"], full["excluded"], polls)
    return {
        **full,
        "parameters": {**full["parameters"], "step_days": step, "polls": polls},
        "warnings": [*full["warnings"], *warnings],
        "included": included,
        "excluded": excluded,
        "grid": thin_rows(grid, step),
    }


def grid_step(n_days: int, step_days: int | None) -> int:
    """The step used: the one asked for, else the smallest keeping at most MAX_GRID_POINTS rows
    (the last day may add one row)."""
    if step_days is not None:
        return max(1, int(step_days))
    return max(1, math.ceil(n_days / MAX_GRID_POINTS))


def thin_rows(grid: list[dict[str, Any]], step: int) -> list[dict[str, Any]]:
    """The rows of a daily ``grid`` (dicts with an ISO ``date``) every ``step`` days from its first
    date, plus its last row; the same list for ``step == 1``."""
    import datetime as dt

    if step <= 1 or not grid:
        return grid
    first = dt.date.fromisoformat(grid[0]["date"])
    kept = [row for row in grid[:-1] if (dt.date.fromisoformat(row["date"]) - first).days % step == 0]
    return [*kept, grid[-1]]


def list_polls(included: list[dict[str, Any]], excluded: list[dict[str, Any]], polls: str
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """The poll lists a response carries for ``polls`` (see the module docstring), and the warnings
    saying what was left out. ``included`` is in field-midpoint order, so its tail is the latest."""
    if polls == "all":
        return included, excluded, []
    if polls == "none":
        return [], [], []
    warnings = []
    if len(included) > MAX_LISTED_POLLS:
        warnings.append(
            f"`included` lists the latest {MAX_LISTED_POLLS} of the {len(included):,} polls used (by field "
            "midpoint); ask polls=all for every one, or download the series' data."
        )
        included = included[-MAX_LISTED_POLLS:]
    if len(excluded) > MAX_LISTED_POLLS:
        warnings.append(
            f"`excluded` lists the first {MAX_LISTED_POLLS} of the {len(excluded):,} polls left out; ask "
            "polls=all for every one."
        )
        excluded = excluded[:MAX_LISTED_POLLS]
    return included, excluded, warnings
