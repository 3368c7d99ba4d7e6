"""The words around a series chart: the source lines under it and the one-sentence summary a screen
reader (and a caption) uses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pollapp.services import chart_i18n as i18n
from pollapp.services.chart_options import ChartOptions


def source_lines(lang: str, pollsters: list[str], poll_count: int, options: ChartOptions, level: int,
                 methodology_url: str, *, has_band: bool, no_trend_notes: list[str]) -> list[str]:
    """Who polled, how many polls, and how the line was drawn; when no line could be drawn, why not
    (a chart must not name a smoother it does not show)."""
    count = f"{i18n.number(lang, poll_count)} {i18n.word(lang, 'polls_word' if poll_count != 1 else 'poll_word')}"
    who = ", ".join(pollsters) if pollsters else "–"
    method = i18n.word(lang, f"trend_{options.method}", level=level)
    if no_trend_notes:
        method = "; ".join(no_trend_notes)
    elif options.method != "kalman" and has_band and options.show_band:
        method += ", " + i18n.word(lang, "band_word", level=level)
    return [
        f"{i18n.word(lang, 'source')}: {who} ({count})",
        f"{method} · {i18n.word(lang, 'methodology')}: {methodology_url}",
    ]


def series_summary(lang: str, title: str, labels: dict[str, str], outcomes: list[str],
                   latest: list[dict[str, Any]], polls: list[dict[str, Any]], pollsters: list[str],
                   poll_count: int) -> str:
    """One sentence a screen reader (and a caption) can use: the first outcome's change over the chart."""
    who = ", ".join(pollsters)
    count = f"{i18n.number(lang, poll_count)} {i18n.word(lang, 'polls_word' if poll_count != 1 else 'poll_word')}"
    if not polls:
        return i18n.word(lang, "summary_none", title=title)
    if latest:
        item = latest[0]
        first, last = item["first"]["estimate_pct"], item["estimate"]
        first_date = dt.date.fromisoformat(item["first"]["date"])
        last_date = dt.date.fromisoformat(item["date"])
        outcome = item["label"]
    else:
        mine = [p for p in polls if p["outcome"] == outcomes[0]] or polls
        mine = sorted(mine, key=lambda p: p["date"])
        first, last = mine[0]["pct"], mine[-1]["pct"]
        first_date, last_date = dt.date.fromisoformat(mine[0]["date"]), dt.date.fromisoformat(mine[-1]["date"])
        outcome = labels[mine[0]["outcome"]]
    values = {"title": title, "outcome": outcome, "who": who, "count": count,
              "first": i18n.pct(lang, first), "last": i18n.pct(lang, last),
              "first_date": i18n.month_year(lang, first_date), "last_date": i18n.month_year(lang, last_date)}
    if first_date == last_date:
        return i18n.word(lang, "summary_single", **values)
    if abs(round(last) - round(first)) < 1:
        return i18n.word(lang, "summary_flat", verb=i18n.word(lang, "held"), **values)
    verb = i18n.word(lang, "rose" if last > first else "fell")
    return i18n.word(lang, "summary_change", verb=verb, **values)
