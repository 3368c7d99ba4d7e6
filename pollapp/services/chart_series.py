"""Newsroom charts: ONE Vega-Lite spec per chart, which every renderer uses unchanged.

The same spec is returned as JSON (``chart.vl.json``), drawn by vega-embed in the browser (embed pages,
gallery) and rendered to SVG/PNG/PDF by vl-convert on the server, so the picture a reader sees, the
image a social card shows and the file a print desk downloads cannot disagree. Everything the spec
needs is inside it: data (``datasets``), colours and fonts of the theme (``config``), the number and
date locale of the language (``config.locale``), the text summary (``description``, read by screen
readers), and the source line (a text mark, so it is in the SVG as text).

A series chart: the polls as dots (size by sample size, colour by pollster, tooltip with pollster, field
dates, n, mode, value and interval), the trend line of each outcome with its band, the latest value of each
line labelled, and the source line (pollsters, the trend method and band, a link to the methodology).

A poll card: the one result a story quotes, its interval as a whisker, the net breakdown (15% + 30% =
45%), and the disclosure line (pollster, field dates, n, mode, population, margin of error, methodology).

The series data come from the existing services: the points from :func:`pollapp.repository.series_points`
(the rows behind ``/series/{slug}/points``), the trend from :func:`pollapp.services.stats_series.series_trend`
(the ``/series/{slug}/trend`` result, shared through the same result cache). Nothing here imports Flask;
the HTTP edges (``pollapp.api.charts``, ``pollapp.embed``) pass a base URL for absolute links.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import InsufficientData, InvalidParameter, StatisticsUnavailable
from pollapp.services import chart_bounds
from pollapp.services import chart_i18n as i18n
from pollapp.services import chart_summaries as summaries
from pollapp.services import series as series_service
from pollapp.services.cache import ResultCache
from pollapp.services.chart_options import ChartOptions
from pollapp.services.chart_series_spec import series_spec
from pollapp.services.chart_spec_base import rounded
from pollapp.services.stats_inputs import resolve_samples
from pollapp.services.stats_params import trend_params
from pollapp.services.stats_series import series_trend, series_version

#: Largest number of trend rows per outcome put into a spec (the daily grid is thinned above it):
#: keeps a 25-year series' embed page small while the line still looks smooth at any embed width.
MAX_TREND_ROWS = 250
METHODOLOGY_PATH = "/methodology"


@dataclass
class SeriesChart:
    """A series chart: its spec and what an HTML page shows around it (title, summary, table)."""

    slug: str
    title: str
    summary: str
    source_lines: list[str]
    methodology_url: str
    spec: dict[str, Any]
    latest: list[dict[str, Any]]
    table: list[dict[str, Any]]
    poll_count: int
    pollsters: list[str]
    notes: list[str] = field(default_factory=list)
    table_total: int = 0  # rows before the table was cut to the latest (chart_bounds.MAX_TABLE_ROWS)
    download_url: str = ""  # every poll of the series, for a table that was cut


def series_chart(
    session: Session, slug: str, options: ChartOptions, *, base_url: str = "", cache: ResultCache | None = None
) -> SeriesChart:
    """The series chart of ``slug`` with ``options`` (404 unknown series, 400 unknown outcome)."""
    lang = options.lang
    series = series_service.get_series(session, slug)
    version = series_version(session, slug)
    labels = {o.code: o.label for o in series.outcomes}
    outcomes = list(options.outcomes) or [o.code for o in sorted(series.outcomes, key=lambda o: o.position)]
    unknown = [o for o in outcomes if o not in labels]
    if unknown:
        raise InvalidParameter(
            "outcome", f"Series '{slug}' has no outcome '{unknown[0]}' (it has: {', '.join(labels)})."
        )
    filters = repository.PointFilters(outcomes=outcomes, field_date_from=options.start_date,
                                      field_date_to=options.end_date)
    rows, _ = repository.series_points(session, series.id, filters, after=None, limit=None)
    polls = _poll_dots(rows, labels, lang)

    trend_rows: list[dict[str, Any]] = []
    latest: list[dict[str, Any]] = []
    notes: list[str] = []
    band_level = 95
    for code in outcomes:
        params = trend_params(method=options.method, outcome=code, start_date=options.start_date,
                              end_date=options.end_date)
        band_level = round(params.selection.level * 100)
        try:
            result = series_trend(session, slug, params, cache=cache, version=version).data
        except InsufficientData:
            notes.append(f"{labels[code]}: " + i18n.word(lang, "no_trend", min_polls=params.selection.min_polls))
            continue
        except StatisticsUnavailable:  # the model did not fit: the polls are still drawn, without a line
            notes.append(f"{labels[code]}: " + i18n.word(lang, "trend_failed"))
            continue
        grid = [g for g in result["grid"] if g.get("estimate_pct") is not None]
        if not grid:
            continue
        step = max(1, math.ceil(len(grid) / MAX_TREND_ROWS))
        kept = grid[::step] if grid[-1] is grid[::step][-1] else [*grid[::step], grid[-1]]
        for g in kept:
            trend_rows.append({
                "date": g["date"], "outcome": code, "estimate": rounded(g["estimate_pct"], 1),
                "lower": rounded(g.get("lower_pct"), 1), "upper": rounded(g.get("upper_pct"), 1),
            })
        last = grid[-1]
        latest.append({
            "outcome": code, "label": labels[code], "date": last["date"], "estimate": rounded(last["estimate_pct"]),
            "text": i18n.pct(lang, last["estimate_pct"]),
            "date_text": i18n.day_month_year(lang, dt.date.fromisoformat(last["date"])),
            "first": grid[0],
        })

    pollster_names = list(dict.fromkeys(p["pollster_name"] for p in sorted(polls, key=lambda p: p["date"])))
    poll_ids = {p["poll_id"] for p in polls}
    title = options.title or series.title
    methodology_url = f"{base_url}{METHODOLOGY_PATH}#trend"
    drawn = chart_bounds.sample_dots(polls)
    source_lines = summaries.source_lines(lang, pollster_names, len(poll_ids), options, band_level, methodology_url,
                                          has_band=any(r["lower"] is not None for r in trend_rows),
                                          no_trend_notes=notes if not trend_rows else [])
    if len(drawn) < len(polls) and options.show_polls:
        source_lines[0] += " · " + i18n.word(lang, "dots_sample", shown=i18n.number(lang, len({d["poll_id"] for d in drawn})),
                                             total=i18n.number(lang, len(poll_ids)))
    summary = summaries.series_summary(lang, title, labels, outcomes, latest, polls, pollster_names, len(poll_ids))
    spec = series_spec(options, title=title, summary=summary, source_lines=source_lines,
                       methodology_url=methodology_url, polls=drawn, trend=trend_rows, latest=latest,
                       outcome_labels={o: labels[o] for o in outcomes}, band_level=band_level)
    for item in latest:
        item.pop("first", None)
    ordered = sorted(polls, key=lambda p: (p["date"], p["poll_id"], p["outcome"]))
    table = [
        {**p, "outcome_label": labels[p["outcome"]], "mode_text": i18n.modes(lang, p["mode"].split(";") if p["mode"] else []),
         "value_text": i18n.pct(lang, p["pct"], 0 if p["pct"] == int(p["pct"]) else 1),
         "interval_text": (f"{i18n.number(lang, p['lower'])}–{i18n.pct(lang, p['upper'])}" if p["lower"] is not None
                           else i18n.word(lang, "not_reported")),
         "n_text": i18n.number(lang, p["n"]) if p["n"] else i18n.word(lang, "not_reported")}
        for p in chart_bounds.latest_rows(ordered)
    ]
    return SeriesChart(slug, title, summary, source_lines, methodology_url, spec, latest, table,
                       len(poll_ids), pollster_names, notes, len(ordered), f"{base_url}/api/v1/series/{slug}/data.csv")



def _poll_dots(rows: list[dict[str, Any]], labels: dict[str, str], lang: str) -> list[dict[str, Any]]:
    """One dot per (poll question, outcome) with its 95% Wilson interval.

    Kept compact (a 25-year series has thousands of dots and the embed page carries them all): codes
    instead of labels (the spec looks labels up in small tables), the tooltip's numbers formatted by
    Vega in the chart's locale; only the field dates are pre-formatted."""
    from pollapp.stats.intervals import proportion_ci

    dots: list[dict[str, Any]] = []
    n_effs = resolve_samples(
        sample_size=[r["sample_size"] for r in rows], base_n=[None] * len(rows),
        design_effect=[r["design_effect"] for r in rows], margin_of_error=[r["margin_of_error"] for r in rows],
        confidence_level=[None] * len(rows),
    ).n_eff.tolist()
    for r in rows:
        start, end = r["field_start_date"], r["field_end_date"]
        mid = start + (end - start) / 2
        dots.append({
            "poll_id": r["poll_id"], "outcome": r["outcome"], "pollster": r["pollster"],
            "pollster_name": r["pollster_name"], "date": mid.isoformat(), "pct": rounded(float(r["pct"]), 1),
            "n": r["sample_size"], "lower": None, "upper": None, "dates": i18n.date_range(lang, start, end),
            "mode": ";".join(r["modes"] or []),
        })
    known = [i for i, n in enumerate(n_effs) if n and n == n]  # NaN: unknown
    if known:
        p = [min(max(dots[i]["pct"] / 100.0, 0.0), 1.0) for i in known]
        ci = proportion_ci(p, [n_effs[i] for i in known], method="wilson", level=0.95)
        for i, lower, upper in zip(known, ci["lower"], ci["upper"]):
            dots[i]["lower"], dots[i]["upper"] = rounded(lower * 100, 1), rounded(upper * 100, 1)
    return dots
