"""What every chart spec shares: the Vega-Lite schema, the theme colours, the top-level spec (title,
size, autosize, locale, fonts, legends) and the rounding of the numbers a spec carries."""

from __future__ import annotations

from typing import Any

from pollapp.services import chart_i18n as i18n

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
#: Widest legend column (symbol, label and padding), in pixels. A legend gets as many columns as fit in
#: the plot's width and each label is cut to its column, so a legend is never wider than the plot: one
#: row in a wide frame, one entry per row in a 360 px phone iframe (issue 5's newsroom embeds).
LEGEND_COLUMN = 240
#: Symbol, its gap and the column padding: what a legend column holds besides its label.
LEGEND_ENTRY_EXTRA = 30

THEME_COLOURS = {
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

_LEGEND_COLUMNS = f"max(1, floor(width / {LEGEND_COLUMN}))"
#: Width of a title character (16 px, weight 600), in pixels, on the wide side of the average (DejaVu Sans
#: Bold, the usual Linux fallback, is wide): how many characters a line of ``width`` holds.
TITLE_CHAR_WIDTH = 10
#: The title (the ``chart_title`` parameter) broken into lines at spaces, as many characters a line as
#: fit in the plot's width: a question wording as title stays whole on a phone. Vega has no word wrap;
#: the ``limit`` still cuts a single word longer than a line.
_TITLE_LINES = ("split(trim(replace(chart_title, regexp('(.{1,' + max(8, floor(width / "
                f"{TITLE_CHAR_WIDTH})) + '}})(\\\\s+|$)', 'g'), '$1\\n')), '\\n')")


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def base_spec(options: Any, *, title: str, subtitle: str | None, summary: str, height: int) -> dict[str, Any]:
    """The top level of every chart spec. Sizes that depend on the frame (title and legend label limits,
    legend columns) are Vega expressions of ``width``, so one spec fits a 320 px phone iframe and a
    1,200 px static image alike, in the browser and in vl-convert."""
    colours = THEME_COLOURS[options.theme]
    spec: dict[str, Any] = {
        "$schema": VEGA_LITE_SCHEMA,
        "description": summary,
        # Wrapped and cut to the plot's width (the title starts where the plot does): a long title must
        # not widen the chart past a narrow frame.
        "params": [{"name": "chart_title", "value": title}],
        "title": {"text": {"expr": _TITLE_LINES}, "anchor": "start", "frame": "group", "offset": 12,
                  "limit": {"expr": "width"}},
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
                       "orient": "top", "direction": "horizontal", "title": None,
                       # ``width`` is the plot's width, re-evaluated when a container chart is resized.
                       "columns": {"expr": _LEGEND_COLUMNS},
                       "labelLimit": {"expr": f"max(40, width / {_LEGEND_COLUMNS} - {LEGEND_ENTRY_EXTRA})"},
                       "columnPadding": 12, "layout": {"top": {"anchor": "start", "direction": "vertical", "margin": 4}}},
            "text": {"color": colours["text"]},
        },
    }
    if subtitle:
        spec["title"]["subtitle"] = subtitle
    return spec
