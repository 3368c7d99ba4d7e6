"""The Vega-Lite spec of a series chart: poll dots, trend lines with bands, the latest values, the source line."""

from __future__ import annotations

import json
from typing import Any

from pollapp.services import chart_i18n as i18n
from pollapp.services.chart_options import DEFAULT_HEIGHT, ChartOptions
from pollapp.services.chart_spec_base import THEME_COLOURS, base_spec


def compact_dots(dots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in d.items() if k != "pollster_name" and v is not None and v != ""} for d in dots]


def series_spec(options: ChartOptions, *, title: str, summary: str, source_lines: list[str],
                methodology_url: str, polls: list[dict[str, Any]], trend: list[dict[str, Any]],
                latest: list[dict[str, Any]], outcome_labels: dict[str, str], band_level: int) -> dict[str, Any]:
    lang = options.lang
    colours = THEME_COLOURS[options.theme]
    height = options.height or DEFAULT_HEIGHT
    spec = base_spec(options, title=title, subtitle=None, summary=summary, height=height)
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
        "polls": compact_dots(polls) if options.show_polls else [],
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
