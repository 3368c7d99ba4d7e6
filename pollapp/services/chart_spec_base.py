"""What every chart spec shares: the Vega-Lite schema, the theme colours, the top-level spec (title,
size, autosize, locale, fonts, legends) and the rounding of the numbers a spec carries."""

from __future__ import annotations

from typing import Any

from pollapp.services import chart_i18n as i18n

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"

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


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def base_spec(options: Any, *, title: str, subtitle: str | None, summary: str, height: int) -> dict[str, Any]:
    colours = THEME_COLOURS[options.theme]
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
