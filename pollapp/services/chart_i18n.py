"""Words, number and date formats of newsroom charts, per language.

One table per language, nothing else: adding a language is adding an entry to ``LANGUAGES`` (its
words, and the d3 locale names vl-convert knows, which give Vega's number and date formats, so the
axis labels, tooltips and the text outside the chart agree). Series titles and outcome labels come from
the data and are not translated here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Language:
    code: str
    format_locale: str  # d3-format locale name (vl_convert.get_format_locale)
    time_format_locale: str  # d3-time-format locale name (vl_convert.get_time_format_locale)
    words: dict[str, str]


_EN = {
    "source": "Source",
    "polls_word": "polls",
    "poll_word": "poll",
    "trend_kalman": "trend: Kalman smoother, {level}% band",
    "trend_lowess": "trend: LOWESS smoother",
    "trend_weighted": "trend: weighted average",
    "trend_rolling": "trend: average of the latest polls",
    "band_word": "{level}% band",
    "methodology": "methodology",
    "pollster": "Pollster",
    "field_dates": "Field dates",
    "sample_size": "Sample size",
    "mode": "Mode",
    "value": "Value",
    "interval": "{level}% interval",
    "outcome": "Outcome",
    "date": "Date",
    "estimate": "Trend",
    "published": "Published",
    "population": "Population",
    "margin_of_error": "Margin of error",
    "not_reported": "not reported",
    "rose": "rose",
    "fell": "fell",
    "held": "stayed at about",
    "summary_change": "{title}: {outcome} {verb} from {first} in {first_date} to {last} in {last_date} ({who}, {count}).",
    "summary_flat": "{title}: {outcome} {verb} {last} from {first_date} to {last_date} ({who}, {count}).",
    "summary_single": "{title}: {outcome} {last} in {last_date} ({who}, {count}).",
    "summary_none": "{title}: no polls yet.",
    "no_trend": "no trend line: fewer than {min_polls} polls",
    "trend_failed": "no trend line: the model could not be fitted to these polls",
    "card_of": "{pct} of respondents: {answer}",
    "points": "points",
    "data_table": "Data table",
    "table_latest": "the latest {shown} of {total} rows",
    "download_all": "every poll (CSV)",
    "dots_sample": "dots: {shown} of {total} polls, evenly spread over time",
    "chart_label": "Chart",
    "embed": "Embed",
    "copy_snippet": "Copy this into your page:",
    "oembed_url": "oEmbed URL",
    "latest": "Latest",
    "gallery_title": "pollapp: poll charts for newsrooms",
    "full_methodology": "Full methodology",
    "question": "Question",
    "answers": "Answers",
    "sponsors": "Sponsors",
    "self_sponsored": "the pollster's own account",
    "all_series": "All series",
    "mode_phone_live": "live phone",
    "mode_ivr": "IVR",
    "mode_online_panel": "online panel",
    "mode_face_to_face": "face to face",
    "mode_text": "text message",
    "mode_mail": "mail",
    "mode_mixed": "mixed modes",
    "pop_adults": "adults",
    "pop_registered_voters": "registered voters",
    "pop_likely_voters": "likely voters",
    "pop_other": "other population",
    "moe_computed": "±{moe} points (computed, {level}%)",
    "moe_reported": "±{moe} points",
}

_UK = {
    "source": "Джерело",
    "polls_word": "опитувань",
    "poll_word": "опитування",
    "trend_kalman": "тренд: згладжування Калмана, смуга {level}%",
    "trend_lowess": "тренд: згладжування LOWESS",
    "trend_weighted": "тренд: зважене середнє",
    "trend_rolling": "тренд: середнє останніх опитувань",
    "band_word": "смуга {level}%",
    "methodology": "методологія",
    "pollster": "Дослідник",
    "field_dates": "Дати опитування",
    "sample_size": "Вибірка",
    "mode": "Метод",
    "value": "Значення",
    "interval": "Інтервал {level}%",
    "outcome": "Відповідь",
    "date": "Дата",
    "estimate": "Тренд",
    "published": "Опубліковано",
    "population": "Сукупність",
    "margin_of_error": "Похибка",
    "not_reported": "не вказано",
    "rose": "зросла",
    "fell": "знизилася",
    "held": "трималася на рівні близько",
    "summary_change": "{title}: частка «{outcome}» {verb} з {first} ({first_date}) до {last} ({last_date}) ({who}, {count}).",
    "summary_flat": "{title}: частка «{outcome}» {verb} {last} з {first_date} до {last_date} ({who}, {count}).",
    "summary_single": "{title}: «{outcome}» {last} ({last_date}) ({who}, {count}).",
    "summary_none": "{title}: опитувань ще немає.",
    "no_trend": "без лінії тренду: менше ніж {min_polls} опитувань",
    "trend_failed": "без лінії тренду: модель не вдалося оцінити за цими опитуваннями",
    "card_of": "{pct} респондентів: {answer}",
    "points": "п. п.",
    "data_table": "Таблиця даних",
    "table_latest": "останні {shown} з {total} рядків",
    "download_all": "усі опитування (CSV)",
    "dots_sample": "точки: {shown} з {total} опитувань, рівномірно в часі",
    "chart_label": "Графік",
    "embed": "Вбудувати",
    "copy_snippet": "Вставте це на свою сторінку:",
    "oembed_url": "Адреса oEmbed",
    "latest": "Останнє значення",
    "gallery_title": "pollapp: графіки опитувань для редакцій",
    "full_methodology": "Повна методологія",
    "question": "Питання",
    "answers": "Відповіді",
    "sponsors": "Замовники",
    "self_sponsored": "власним коштом дослідника",
    "all_series": "Усі серії",
    "mode_phone_live": "телефонне інтерв'ю",
    "mode_ivr": "автоматичне телефонне опитування",
    "mode_online_panel": "онлайн-панель",
    "mode_face_to_face": "особисте інтерв'ю",
    "mode_text": "SMS",
    "mode_mail": "поштою",
    "mode_mixed": "змішаний метод",
    "pop_adults": "дорослі",
    "pop_registered_voters": "зареєстровані виборці",
    "pop_likely_voters": "ймовірні виборці",
    "pop_other": "інша сукупність",
    "moe_computed": "±{moe} п. п. (розраховано, {level}%)",
    "moe_reported": "±{moe} п. п.",
}

LANGUAGES: dict[str, Language] = {
    "en": Language("en", "en-US", "en-US", _EN),
    "uk": Language("uk", "uk-UA", "uk-UA", _UK),
}
LANGUAGE_CODES = tuple(LANGUAGES)


def language(code: str | None) -> Language:
    return LANGUAGES[code or DEFAULT_LANGUAGE]


@lru_cache(maxsize=None)
def format_locale(code: str) -> dict[str, Any]:
    """d3-format locale of a language (for vl-convert and for vega-embed in the browser)."""
    import vl_convert

    return vl_convert.get_format_locale(LANGUAGES[code].format_locale)


@lru_cache(maxsize=None)
def time_format_locale(code: str) -> dict[str, Any]:
    import vl_convert

    return vl_convert.get_time_format_locale(LANGUAGES[code].time_format_locale)


def word(lang: str, key: str, **values: Any) -> str:
    text = LANGUAGES[lang].words.get(key) or _EN[key]
    return text.format(**values) if values else text


def number(lang: str, value: float | None, digits: int = 0) -> str:
    """A number in the language's format (decimal mark, thousands separator)."""
    if value is None:
        return "–"
    locale = format_locale(lang)
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", locale["decimal"]).replace("\x00", locale["thousands"])


def pct(lang: str, value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return number(lang, value, digits) + ("%" if lang == "en" else "\u00a0%")


def month_year(lang: str, day: dt.date) -> str:
    """'Jun 2025' / 'черв. 2025'."""
    return f"{time_format_locale(lang)['shortMonths'][day.month - 1]} {day.year}"


def day_month_year(lang: str, day: dt.date) -> str:
    """'17 Dec 2024' / '17 груд. 2024'."""
    return f"{day.day} {time_format_locale(lang)['shortMonths'][day.month - 1]} {day.year}"


def date_range(lang: str, start: dt.date | None, end: dt.date | None) -> str:
    """Field dates as a reader says them: '2–17 Dec 2024', '28 Nov – 5 Dec 2024'."""
    if start is None or end is None:
        return day_month_year(lang, end or start) if (end or start) else "–"
    if start == end:
        return day_month_year(lang, end)
    months = time_format_locale(lang)["shortMonths"]
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {months[end.month - 1]} {end.year}"
    if start.year == end.year:
        return f"{start.day} {months[start.month - 1]} – {end.day} {months[end.month - 1]} {end.year}"
    return f"{day_month_year(lang, start)} – {day_month_year(lang, end)}"


def modes(lang: str, codes: list[str] | None) -> str:
    if not codes:
        return word(lang, "not_reported")
    return ", ".join(LANGUAGES[lang].words.get(f"mode_{c}") or _EN.get(f"mode_{c}") or c.replace("_", " ") for c in codes)


def population(lang: str, code: str | None) -> str:
    if not code:
        return word(lang, "not_reported")
    return LANGUAGES[lang].words.get(f"pop_{code}") or _EN.get(f"pop_{code}") or code.replace("_", " ")
