"""A poll card: the one result a story quotes, its interval as a whisker, the net breakdown (15% + 30% =
45%), and the disclosure line (pollster, field dates, n, mode, population, margin of error, methodology)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from pollapp.exceptions import InvalidParameter
from pollapp.services import chart_i18n as i18n
from pollapp.services import polls as poll_service
from pollapp.services.chart_options import DEFAULT_CARD_HEIGHT, CardOptions
from pollapp.services.chart_spec_base import THEME_COLOURS, base_spec, rounded
from pollapp.services.stats_inputs import enum_value
from pollapp.services.stats_polls import poll_intervals


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
    spec = card_spec(options, title=title, headline=f"{headline} {answer.label}", summary=summary, parts=parts,
                     whisker={"pct": answer.pct, "lower": rounded(row["lower_pct"], 1),
                              "upper": rounded(row["upper_pct"], 1),
                              "text": (f"{i18n.number(lang, row['lower_pct'])}–{i18n.pct(lang, row['upper_pct'])}"
                                       if row["lower_pct"] is not None else i18n.word(lang, "not_reported"))},
                     disclosure=disclosure, methodology_url=methodology_url)
    return PollCard(poll.id, question.code, answer.code, title, headline, summary, wording, parts, disclosure,
                    methodology_url, spec)


def card_spec(options: CardOptions, *, title: str, headline: str, summary: str, parts: list[dict[str, Any]],
              whisker: dict[str, Any], disclosure: list[str], methodology_url: str) -> dict[str, Any]:
    lang = options.lang
    colours = THEME_COLOURS[options.theme]
    height = options.height or DEFAULT_CARD_HEIGHT
    spec = base_spec(options, title=title, subtitle=None, summary=summary, height=height)
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
