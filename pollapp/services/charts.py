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
import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import InsufficientData, InvalidParameter, StatisticsUnavailable
from pollapp.services import chart_bounds
from pollapp.services import chart_i18n as i18n
from pollapp.services import polls as poll_service
from pollapp.services import series as series_service
from pollapp.services.cache import ResultCache
from pollapp.services.stats_inputs import TREND_METHODS, enum_value, resolve_sample
from pollapp.services.stats_params import trend_params
from pollapp.services.stats_polls import poll_intervals
from pollapp.services.stats_series import series_trend, series_version
from pollapp.stats import STATS_VERSION

#: Bump when the spec's shape or look changes: it is part of every chart ETag.
CHART_VERSION = "2"
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
THEMES = ("light", "dark")
DEFAULT_HEIGHT = 380
DEFAULT_CARD_HEIGHT = 300
DEFAULT_WIDTH = 640  # static renderings and oEmbed when no width is asked for
MIN_SIZE, MAX_SIZE = 120, 2000
#: Largest number of trend rows per outcome put into a spec (the daily grid is thinned above it):
#: keeps a 25-year series' embed page small while the line still looks smooth at any embed width.
MAX_TREND_ROWS = 250
METHODOLOGY_PATH = "/methodology"

_THEME_COLOURS = {
    "light": {
        "background": "#ffffff", "text": "#1b1b1f", "muted": "#5b5e66", "grid": "#e4e5e8",
        "outcomes": ["#1f5fa8", "#c0392b", "#6b6e75", "#2e8b57", "#8e44ad", "#b7791f"],
        "pollsters": "tableau10", "parts": ["#1f5fa8", "#6f9fd8", "#a9c6ea", "#d4e3f5"],
    },
    "dark": {
        "background": "#16181d", "text": "#eceef2", "muted": "#a9adb6", "grid": "#33363d",
        "outcomes": ["#7fb3ff", "#ff8a7a", "#b9bcc4", "#6fdc9c", "#d2a8e6", "#f2c46b"],
        "pollsters": "set2", "parts": ["#7fb3ff", "#4f86cc", "#32609c", "#22446e"],
    },
}


# ---------------------------------------------------------------- options


@dataclass(frozen=True)
class ChartOptions:
    """Every option of a chart URL, normalised (the ETag and cache key are built from it)."""

    outcomes: tuple[str, ...] = ()
    method: str = "kalman"
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    height: int | None = None
    width: int | None = None  # None: as wide as its container (embeds); a number for static images
    theme: str = "light"
    show_polls: bool = True
    show_band: bool = True
    title: str | None = None
    lang: str = i18n.DEFAULT_LANGUAGE

    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, default=str)


def chart_options(
    *,
    outcome: Any = None,
    method: str | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    height: int | None = None,
    width: int | None = None,
    theme: str | None = None,
    show_polls: bool | None = None,
    show_band: bool | None = None,
    title: str | None = None,
    lang: str | None = None,
) -> ChartOptions:
    """Normalise chart arguments; a value that cannot work is a 400 naming the parameter."""
    if method is not None and method not in TREND_METHODS:
        raise InvalidParameter("method", f"method must be one of {', '.join(TREND_METHODS)}.")
    if theme is not None and theme not in THEMES:
        raise InvalidParameter("theme", f"theme must be one of {', '.join(THEMES)}.")
    if lang is not None and lang not in i18n.LANGUAGE_CODES:
        raise InvalidParameter("lang", f"lang must be one of {', '.join(i18n.LANGUAGE_CODES)}.")
    for name, value in (("height", height), ("width", width)):
        if value is not None and not MIN_SIZE <= value <= MAX_SIZE:
            raise InvalidParameter(name, f"{name} must be between {MIN_SIZE} and {MAX_SIZE} pixels.")
    if start_date and end_date and start_date > end_date:
        raise InvalidParameter("start_date", "start_date must not be after end_date.")
    if isinstance(outcome, str):
        outcome = [outcome]
    return ChartOptions(
        outcomes=tuple(dict.fromkeys(outcome or ())),
        method=method or "kalman",
        start_date=start_date,
        end_date=end_date,
        height=height,
        width=width,
        theme=theme or "light",
        show_polls=True if show_polls is None else bool(show_polls),
        show_band=True if show_band is None else bool(show_band),
        title=(title or "").strip() or None,
        lang=lang or i18n.DEFAULT_LANGUAGE,
    )


# ---------------------------------------------------------------- versions and ETags


def data_version(session: Session, slug: str) -> str:
    """The series' data version (404 if unknown): the ONE place charts learn it, so that it can be
    re-pointed (e.g. to the exports' content hash) without touching the views."""
    version = series_version(session, slug)
    return f"{version.digest}:{version.definition}"


def poll_data_version(session: Session, poll_id: int) -> str:
    poll = poll_service.get_poll(session, poll_id)
    return f"{poll.id}:{poll.updated_at.isoformat()}:{poll.pollster.updated_at.isoformat()}"


def chart_etag(version: str, kind: str, options: Any, *extra: Any) -> str:
    """ETag of a chart representation: data version + kind (spec, svg, png, embed page...) + options +
    the chart and statistics versions. Computed before any poll is loaded."""
    key = options.key() if hasattr(options, "key") else json.dumps(options, sort_keys=True, default=str)
    basis = json.dumps([CHART_VERSION, STATS_VERSION, version, kind, key, [str(e) for e in extra]])
    return hashlib.sha256(basis.encode()).hexdigest()[:40]


# ---------------------------------------------------------------- series chart


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
                "date": g["date"], "outcome": code, "estimate": _round(g["estimate_pct"], 1),
                "lower": _round(g.get("lower_pct"), 1), "upper": _round(g.get("upper_pct"), 1),
            })
        last = grid[-1]
        latest.append({
            "outcome": code, "label": labels[code], "date": last["date"], "estimate": _round(last["estimate_pct"]),
            "text": i18n.pct(lang, last["estimate_pct"]),
            "date_text": i18n.day_month_year(lang, dt.date.fromisoformat(last["date"])),
            "first": grid[0],
        })

    pollster_names = list(dict.fromkeys(p["pollster_name"] for p in sorted(polls, key=lambda p: p["date"])))
    poll_ids = {p["poll_id"] for p in polls}
    title = options.title or series.title
    methodology_url = f"{base_url}{METHODOLOGY_PATH}#trend"
    drawn = chart_bounds.sample_dots(polls)
    source_lines = _source_lines(lang, pollster_names, len(poll_ids), options, band_level, methodology_url,
                                 has_band=any(r["lower"] is not None for r in trend_rows),
                                 no_trend_notes=notes if not trend_rows else [])
    if len(drawn) < len(polls) and options.show_polls:
        source_lines[0] += " · " + i18n.word(lang, "dots_sample", shown=i18n.number(lang, len({d["poll_id"] for d in drawn})),
                                             total=i18n.number(lang, len(poll_ids)))
    summary = _series_summary(lang, title, labels, outcomes, latest, polls, pollster_names, len(poll_ids))
    spec = _series_spec(options, title=title, summary=summary, source_lines=source_lines,
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


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _poll_dots(rows: list[dict[str, Any]], labels: dict[str, str], lang: str) -> list[dict[str, Any]]:
    """One dot per (poll question, outcome) with its 95% Wilson interval.

    Kept compact (a 25-year series has thousands of dots and the embed page carries them all): codes
    instead of labels (the spec looks labels up in small tables), the tooltip's numbers formatted by
    Vega in the chart's locale; only the field dates are pre-formatted."""
    from pollapp.stats.intervals import proportion_ci

    dots: list[dict[str, Any]] = []
    n_effs: list[float | None] = []
    for r in rows:
        start, end = r["field_start_date"], r["field_end_date"]
        mid = start + (end - start) / 2
        sample = resolve_sample(sample_size=r["sample_size"], base_n=None, design_effect=r["design_effect"],
                                margin_of_error=r["margin_of_error"], confidence_level=None)
        n_effs.append(sample.n_eff)
        dots.append({
            "poll_id": r["poll_id"], "outcome": r["outcome"], "pollster": r["pollster"],
            "pollster_name": r["pollster_name"], "date": mid.isoformat(), "pct": _round(float(r["pct"]), 1),
            "n": r["sample_size"], "lower": None, "upper": None, "dates": i18n.date_range(lang, start, end),
            "mode": ";".join(r["modes"] or []),
        })
    known = [i for i, n in enumerate(n_effs) if n]
    if known:
        p = [min(max(dots[i]["pct"] / 100.0, 0.0), 1.0) for i in known]
        ci = proportion_ci(p, [n_effs[i] for i in known], method="wilson", level=0.95)
        for i, lower, upper in zip(known, ci["lower"], ci["upper"]):
            dots[i]["lower"], dots[i]["upper"] = _round(lower * 100, 1), _round(upper * 100, 1)
    return dots


def _compact_dots(dots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in d.items() if k != "pollster_name" and v is not None and v != ""} for d in dots]


def _source_lines(lang: str, pollsters: list[str], poll_count: int, options: ChartOptions, level: int,
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


def _series_summary(lang: str, title: str, labels: dict[str, str], outcomes: list[str],
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


def _base_spec(options: Any, *, title: str, subtitle: str | None, summary: str, height: int) -> dict[str, Any]:
    colours = _THEME_COLOURS[options.theme]
    spec: dict[str, Any] = {
        "$schema": VEGA_LITE_SCHEMA,
        "description": summary,
        "title": {"text": title, "anchor": "start", "frame": "group", "offset": 12},
        "width": options.width if options.width else "container",
        "height": height,
        "autosize": {"type": "fit", "contains": "padding", "resize": True},
        "padding": {"left": 8, "right": 8, "top": 8, "bottom": 8},
        "background": colours["background"],
        "config": {
            "locale": {"number": i18n.format_locale(options.lang), "time": i18n.time_format_locale(options.lang)},
            "font": "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif",
            "view": {"stroke": None},
            "title": {"color": colours["text"], "subtitleColor": colours["muted"], "fontSize": 16,
                      "subtitleFontSize": 12, "fontWeight": 600},
            "axis": {"labelColor": colours["muted"], "titleColor": colours["muted"], "gridColor": colours["grid"],
                     "domainColor": colours["grid"], "tickColor": colours["grid"], "labelFontSize": 11},
            "legend": {"labelColor": colours["text"], "titleColor": colours["muted"], "labelFontSize": 11,
                       "orient": "top", "direction": "horizontal", "title": None, "labelLimit": 240,
                       "columnPadding": 12, "layout": {"top": {"anchor": "start", "direction": "vertical", "margin": 4}}},
            "text": {"color": colours["text"]},
        },
    }
    if subtitle:
        spec["title"]["subtitle"] = subtitle
    return spec


def _series_spec(options: ChartOptions, *, title: str, summary: str, source_lines: list[str],
                 methodology_url: str, polls: list[dict[str, Any]], trend: list[dict[str, Any]],
                 latest: list[dict[str, Any]], outcome_labels: dict[str, str], band_level: int) -> dict[str, Any]:
    lang = options.lang
    colours = _THEME_COLOURS[options.theme]
    height = options.height or DEFAULT_HEIGHT
    spec = _base_spec(options, title=title, subtitle=None, summary=summary, height=height)
    x = {"field": "date", "type": "temporal", "title": None, "scale": {"type": "utc"},
         "axis": {"format": "%b %Y", "labelOverlap": True, "tickCount": 6, "grid": False}}
    y_axis = {"title": None, "format": ".0f", "labelExpr": "datum.label + '%'" if lang == "en" else
              "datum.label + ' %'", "tickCount": 5}
    y_scale = {"zero": True, "nice": True}
    labels = list(outcome_labels.values())
    label_outcome = [{"lookup": "outcome", "from": {"data": {"name": "outcome_labels"}, "key": "code",
                                                    "fields": ["label"]}, "as": ["outcome_label"]}]
    outcome_color = {"field": "outcome_label", "type": "nominal", "title": i18n.word(lang, "outcome"),
                     "scale": {"domain": labels, "range": colours["outcomes"][: max(1, len(labels))]}}
    layers: list[dict[str, Any]] = []
    if trend and options.show_band and any(r["lower"] is not None for r in trend):
        layers.append({
            "name": "band",
            "data": {"name": "trend"},
            "transform": label_outcome,
            "mark": {"type": "area", "opacity": 0.18, "interpolate": "monotone"},
            "encoding": {"x": x, "y": {"field": "lower", "type": "quantitative", "scale": y_scale, "axis": y_axis},
                         "y2": {"field": "upper"}, "color": outcome_color},
        })
    if trend:
        layers.append({
            "name": "trend",
            "data": {"name": "trend"},
            "transform": label_outcome,
            "mark": {"type": "line", "strokeWidth": 2.5, "interpolate": "monotone"},
            "encoding": {"x": x, "y": {"field": "estimate", "type": "quantitative", "scale": y_scale, "axis": y_axis},
                         "color": outcome_color},
        })
    if polls and options.show_polls:
        t = lambda key, **v: i18n.word(lang, key, **v)  # noqa: E731
        unit = "%" if lang == "en" else "\u00a0%"
        not_reported = json.dumps(t("not_reported"), ensure_ascii=False)
        known_n = sorted(p["n"] for p in polls if p["n"])
        typical_n = known_n[len(known_n) // 2] if known_n else 1000
        layers.append({
            "name": "polls",
            "data": {"name": "polls"},
            "transform": [
                {"lookup": "outcome", "from": {"data": {"name": "outcome_labels"}, "key": "code", "fields": ["label"]},
                 "as": ["outcome_label"]},
                {"lookup": "pollster", "from": {"data": {"name": "pollster_names"}, "key": "code", "fields": ["name"]},
                 "as": ["pollster_name"]},
                {"lookup": "mode", "from": {"data": {"name": "mode_labels"}, "key": "code", "fields": ["label"]},
                 "as": ["mode_text"], "default": t("not_reported")},
                {"calculate": f"isValid(datum.n) ? datum.n : {typical_n}", "as": "size_n"},
                {"calculate": f"isValid(datum.n) ? format(datum.n, ',') : {not_reported}", "as": "n_text"},
                {"calculate": f"format(datum.pct, datum.pct % 1 ? '.1f' : '.0f') + '{unit}'", "as": "value_text"},
                {"calculate": f"isValid(datum.lower) ? format(datum.lower, '.0f') + '–' + format(datum.upper, '.0f')"
                              f" + '{unit}' : {not_reported}", "as": "interval_text"},
            ],
            "mark": {"type": "circle", "opacity": 0.6, "stroke": colours["background"], "strokeWidth": 0.5,
                     "cursor": "pointer"},
            "encoding": {
                "x": x,
                "y": {"field": "pct", "type": "quantitative", "scale": y_scale, "axis": y_axis},
                "fill": {"field": "pollster_name", "type": "nominal", "title": t("pollster"),
                         "scale": {"scheme": colours["pollsters"]}},
                "size": {"field": "size_n", "type": "quantitative", "title": t("sample_size"),
                         "scale": {"range": [24, 120], "zero": False}, "legend": None},
                "tooltip": [
                    {"field": "pollster_name", "title": t("pollster")},
                    {"field": "outcome_label", "title": t("outcome")},
                    {"field": "dates", "title": t("field_dates")},
                    {"field": "n_text", "title": t("sample_size")},
                    {"field": "mode_text", "title": t("mode")},
                    {"field": "value_text", "title": t("value")},
                    {"field": "interval_text", "title": t("interval", level=95)},
                ],
            },
        })
    if trend:
        layers.append({
            "name": "latest",
            "data": {"name": "latest"},
            "transform": label_outcome,
            "mark": {"type": "text", "align": "left", "dx": 5, "fontWeight": 700, "fontSize": 13},
            "encoding": {"x": x, "y": {"field": "estimate", "type": "quantitative", "scale": y_scale},
                         "text": {"field": "text"}, "color": outcome_color},
        })
    layers.append({
        "name": "source",
        "data": {"name": "source"},
        "mark": {"type": "text", "align": "left", "baseline": "top", "fontSize": 11, "lineHeight": 15,
                 "color": colours["muted"], "limit": {"expr": "width"}},
        "encoding": {"text": {"field": "lines"}, "x": {"value": 0}, "y": {"value": {"expr": "height + 30"}},
                     "href": {"value": methodology_url}},
    })
    spec["datasets"] = {
        "polls": _compact_dots(polls) if options.show_polls else [],
        "outcome_labels": [{"code": code, "label": label} for code, label in outcome_labels.items()],
        "pollster_names": [{"code": c, "name": n} for c, n in {p["pollster"]: p["pollster_name"] for p in polls}.items()],
        "mode_labels": [{"code": m, "label": i18n.modes(lang, m.split(";") if m else [])}
                        for m in sorted({p["mode"] for p in polls})],
        "trend": trend,
        "latest": [{k: item[k] for k in ("outcome", "date", "estimate", "text")} for item in latest],
        "source": [{"lines": source_lines}],
    }
    spec["layer"] = layers
    return spec


# ---------------------------------------------------------------- poll card


@dataclass(frozen=True)
class CardOptions:
    question: str | None = None
    answer: str | None = None
    height: int | None = None
    width: int | None = None
    theme: str = "light"
    title: str | None = None
    lang: str = i18n.DEFAULT_LANGUAGE

    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, default=str)


def card_options(*, question: str | None = None, answer: str | None = None, height: int | None = None,
                 width: int | None = None, theme: str | None = None, title: str | None = None,
                 lang: str | None = None) -> CardOptions:
    base = chart_options(height=height, width=width, theme=theme, title=title, lang=lang)
    return CardOptions(question or None, answer or None, base.height, base.width, base.theme, base.title, base.lang)


@dataclass
class PollCard:
    poll_id: int
    question_code: str
    answer_code: str
    title: str
    headline: str
    summary: str
    wording: str
    parts: list[dict[str, Any]]
    disclosure: list[str]
    methodology_url: str
    spec: dict[str, Any]


def poll_card(session: Session, poll_id: int, options: CardOptions, *, base_url: str = "") -> PollCard:
    """The card of one answer of one question of a poll (404 unknown poll, 400 unknown question/answer)."""
    lang = options.lang
    poll = poll_service.get_poll(session, poll_id)
    questions = sorted(poll.questions, key=lambda q: q.position)
    if options.question is None:
        question = questions[0]
    else:
        found = [q for q in questions if q.code == options.question]
        if not found:
            raise InvalidParameter("question", f"Poll {poll_id} has no question '{options.question}' "
                                   f"(it has: {', '.join(q.code for q in questions)}).")
        question = found[0]
    answers = sorted(question.answers, key=lambda a: a.position)
    if options.answer is None:
        # The quotable number: the largest net answer if there is one, else the largest substantive answer.
        nets = [a for a in answers if a.components]
        pool = nets or [a for a in answers if a.substantive] or answers
        answer = max(pool, key=lambda a: a.pct)
    else:
        found_a = [a for a in answers if a.code == options.answer]
        if not found_a:
            raise InvalidParameter("answer", f"Question '{question.code}' has no answer '{options.answer}' "
                                   f"(it has: {', '.join(a.code for a in answers)}).")
        answer = found_a[0]
    stats = poll_intervals(session, poll_id)
    row = next(a for q in stats["questions"] if q["question_id"] == question.id
               for a in q["answers"] if a["code"] == answer.code)
    components = sorted(answer.components, key=lambda a: a.position) or [answer]
    parts, start = [], 0.0
    for c in components:
        parts.append({"label": c.label, "pct": c.pct, "start": start, "end": start + c.pct,
                      "text": i18n.pct(lang, c.pct), "mid": start + c.pct / 2})
        start += c.pct
    headline = i18n.pct(lang, answer.pct)
    breakdown = " + ".join(f"{p['text']} {p['label']}" for p in parts) if len(parts) > 1 else ""
    methodology_url = f"{base_url}/polls/{poll.id}"
    level = round((poll.confidence_level or 95))
    if poll.margin_of_error:
        moe = i18n.word(lang, "moe_reported", moe=i18n.number(lang, poll.margin_of_error, 1))
    elif row["margin_pct"] is not None:
        moe = i18n.word(lang, "moe_computed", moe=i18n.number(lang, row["margin_pct"], 1), level=95)
    else:
        moe = i18n.word(lang, "not_reported")
    n = question.base_n or poll.sample_size
    population = poll.population_description or i18n.population(lang, enum_value(poll.population))
    disclosure = [
        f"{poll.pollster.name} · {i18n.date_range(lang, poll.field_start_date, poll.field_end_date)} · "
        f"n = {i18n.number(lang, n) if n else i18n.word(lang, 'not_reported')} · {i18n.modes(lang, list(poll.modes or []))}",
        f"{i18n.word(lang, 'population')}: {population} · {i18n.word(lang, 'margin_of_error')}: {moe}",
        f"{i18n.word(lang, 'methodology')}: {methodology_url}",
    ]
    wording = question.wording_en if (lang == "en" and question.wording_en) else question.wording
    title = options.title or wording
    summary = f"{headline} — {answer.label}" + (f" ({breakdown})" if breakdown else "") + \
        f". {poll.pollster.name}, {i18n.date_range(lang, poll.field_start_date, poll.field_end_date)}."
    spec = _card_spec(options, title=title, headline=f"{headline} {answer.label}", summary=summary, parts=parts,
                      whisker={"pct": answer.pct, "lower": _round(row["lower_pct"], 1),
                               "upper": _round(row["upper_pct"], 1),
                               "text": (f"{i18n.number(lang, row['lower_pct'])}–{i18n.pct(lang, row['upper_pct'])}"
                                        if row["lower_pct"] is not None else i18n.word(lang, "not_reported"))},
                      disclosure=disclosure, methodology_url=methodology_url)
    return PollCard(poll.id, question.code, answer.code, title, headline, summary, wording, parts, disclosure,
                    methodology_url, spec)


def _card_spec(options: CardOptions, *, title: str, headline: str, summary: str, parts: list[dict[str, Any]],
               whisker: dict[str, Any], disclosure: list[str], methodology_url: str) -> dict[str, Any]:
    lang = options.lang
    colours = _THEME_COLOURS[options.theme]
    height = options.height or DEFAULT_CARD_HEIGHT
    spec = _base_spec(options, title=title, subtitle=None, summary=summary, height=height)
    spec["title"]["limit"] = {"expr": "width"}
    t = lambda key, **v: i18n.word(lang, key, **v)  # noqa: E731
    x = {"type": "quantitative", "scale": {"domain": [0, 100], "nice": False}, "title": None}
    # Rows of the card as fractions of the plot height (known only after autosize fits the text in).
    def at(fraction: float, offset: float = 0) -> dict[str, Any]:
        return {"value": {"expr": f"height * {fraction} + {offset}"}}

    bar_top, bar_bottom, bar_mid, whisker_y = 0.30, 0.62, 0.46, 0.86
    part_tooltip = [{"field": "label", "title": t("outcome")}, {"field": "text", "title": t("value")}]
    layers: list[dict[str, Any]] = [
        {   # the headline number
            "name": "headline",
            "data": {"values": [{"text": headline}]},
            "mark": {"type": "text", "align": "left", "baseline": "middle", "fontSize": 28, "fontWeight": 700,
                     "limit": {"expr": "width"}},
            "encoding": {"text": {"field": "text"}, "x": {"value": 0}, "y": at(0.08)},
        },
        {   # the answer, as its parts when it is a net answer
            "name": "parts",
            "data": {"name": "parts"},
            "mark": {"type": "rect", "stroke": colours["background"], "strokeWidth": 1, "cursor": "pointer"},
            "encoding": {
                "x": {**x, "field": "start", "axis": {"format": ".0f", "values": [0, 25, 50, 75, 100],
                                                      "labelExpr": "datum.label + '%'", "grid": True}},
                "x2": {"field": "end"},
                "y": at(bar_top), "y2": at(bar_bottom),
                "fill": {"field": "label", "type": "nominal", "sort": None, "legend": None,
                         "scale": {"range": colours["parts"]}},
                "tooltip": part_tooltip,
            },
        },
        {
            "name": "part_labels",
            "data": {"name": "parts"},
            "transform": [{"filter": "datum.pct >= 6"}],
            "mark": {"type": "text", "baseline": "middle", "fontWeight": 600, "color": "#ffffff"},
            "encoding": {"x": {**x, "field": "mid"}, "y": at(bar_mid), "text": {"field": "text"},
                         "tooltip": part_tooltip},
        },
    ]
    if whisker["lower"] is not None:
        layers += [
            {
                "name": "whisker",
                "data": {"name": "whisker"},
                "mark": {"type": "rule", "strokeWidth": 2, "color": colours["text"]},
                "encoding": {"x": {**x, "field": "lower"}, "x2": {"field": "upper"}, "y": at(whisker_y),
                             "tooltip": [{"field": "text", "title": t("interval", level=95)}]},
            },
            {
                "name": "whisker_ends",
                "data": {"name": "whisker_ends"},
                "mark": {"type": "rule", "strokeWidth": 2, "color": colours["text"]},
                "encoding": {"x": {**x, "field": "x"}, "y": at(whisker_y, -6), "y2": at(whisker_y, 6)},
            },
            {
                "name": "estimate",
                "data": {"name": "whisker"},
                "mark": {"type": "point", "filled": True, "size": 60, "color": colours["text"]},
                "encoding": {"x": {**x, "field": "pct"}, "y": at(whisker_y)},
            },
        ]
    layers.append({
        "name": "disclosure",
        "data": {"name": "disclosure"},
        "mark": {"type": "text", "align": "left", "baseline": "top", "fontSize": 11, "lineHeight": 15,
                 "color": colours["muted"], "limit": {"expr": "width"}},
        "encoding": {"text": {"field": "lines"}, "x": {"value": 0}, "y": {"value": {"expr": "height + 30"}},
                     "href": {"value": methodology_url}},
    })
    spec["datasets"] = {
        "parts": parts,
        "whisker": [whisker],
        "whisker_ends": [{"x": whisker["lower"]}, {"x": whisker["upper"]}] if whisker["lower"] is not None else [],
        "disclosure": [{"lines": disclosure}],
    }
    spec["layer"] = layers
    return spec


# ---------------------------------------------------------------- static renderings


IMAGE_FORMATS = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}


def render(spec: dict[str, Any], fmt: str, *, scale: float = 1.0) -> bytes:
    """The spec drawn by vl-convert (no browser): SVG text, PNG or PDF bytes. The spec carries its
    locale and theme, so nothing else is passed."""
    import vl_convert

    if fmt == "svg":
        return vl_convert.vegalite_to_svg(spec).encode()
    if fmt == "png":
        return vl_convert.vegalite_to_png(spec, scale=scale)
    if fmt == "pdf":
        return vl_convert.vegalite_to_pdf(spec)
    raise ValueError(f"unknown image format {fmt!r}")


def static_spec(spec: dict[str, Any], width: int | None) -> dict[str, Any]:
    """A static image has no container: give the spec a width (the default one when none was asked)."""
    if spec.get("width") == "container":
        return {**spec, "width": width or DEFAULT_WIDTH}
    return spec


# ---------------------------------------------------------------- poll page


def poll_methodology(session: Session, poll_id: int) -> dict[str, Any]:
    """Everything a poll page discloses: the poll document (every methodology field, the questions
    with their exact wording and answers), the pollster and sponsors by name, and the AAPOR disclosure
    assessment (score and missing items)."""
    from pollapp.services import disclosure

    poll = poll_service.get_poll(session, poll_id)
    doc = poll_service.poll_document(poll)
    fields = [(name.replace("_", " "), value) for name, value in doc.items()
              if name not in ("questions", "pollster") and value not in (None, [], "")]
    return {
        "poll_id": poll.id,
        "pollster": poll.pollster.name,
        "partners": sorted(p.name for p in poll.partners),
        "sponsors": sorted(s.name for s in poll.sponsors),
        "fields": fields,
        "questions": doc["questions"],
        "disclosure": disclosure.assess(poll),
    }
