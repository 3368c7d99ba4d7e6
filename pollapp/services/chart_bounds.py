"""How many polls a series chart draws and its embed page tabulates.

A series tracked for decades has thousands of polls (the large synthetic set: 11,000 polls, 22,000
dots). Every dot is inlined in the chart's spec and every row in the page's data table, so such a page
weighed 10 MB: too much for a newsroom page (and for a worker's throughput), and more dots than a
640-pixel chart can show. Above the bounds here:

- the chart draws an even sample of the polls over time (every poll's dots, polls picked at evenly
  spaced ranks by field date, the first and the latest always in), so the cloud keeps its shape; the
  source line says how many of how many are drawn;
- the data table lists the latest polls and links to the series' full download.

Below the bounds (every real series of a few years) nothing changes.
"""

from __future__ import annotations

from typing import Any

#: Most dots (poll x outcome) inlined in a series chart's spec.
MAX_CHART_DOTS = 600
#: Most rows (poll x outcome) in an embed page's data table.
MAX_TABLE_ROWS = 200


def _order(dot: dict[str, Any]) -> tuple[Any, Any]:
    return dot["date"], dot["poll_id"]


def sample_dots(dots: list[dict[str, Any]], limit: int | None = None) -> list[dict[str, Any]]:
    """``dots`` when at most ``limit`` (default MAX_CHART_DOTS); else the dots of polls at evenly spaced
    ranks by date (whole polls: all of a poll's outcomes or none), at most ``limit`` dots."""
    limit = MAX_CHART_DOTS if limit is None else limit
    if len(dots) <= limit:
        return dots
    polls = sorted({(d["date"], d["poll_id"]) for d in dots})
    per_poll = len(dots) / len(polls)
    keep_count = max(2, int(limit / per_poll))
    if keep_count >= len(polls):
        return dots
    last = len(polls) - 1
    ranks = {round(i * last / (keep_count - 1)) for i in range(keep_count)}
    kept = {polls[r][1] for r in ranks}
    chosen = [d for d in dots if d["poll_id"] in kept]
    return chosen if len(chosen) <= limit else chosen[-limit:]


def latest_rows(rows: list[dict[str, Any]], limit: int | None = None) -> list[dict[str, Any]]:
    """The latest ``limit`` (default MAX_TABLE_ROWS) rows of a table sorted by date (``rows`` itself
    when it is short)."""
    limit = MAX_TABLE_ROWS if limit is None else limit
    return rows if len(rows) <= limit else rows[-limit:]
