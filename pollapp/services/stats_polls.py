"""Statistics of single polls: every answer's interval (with simultaneous intervals and the lead).
The change between two polls is :mod:`.stats_compare`, which resolves each side's sample size with
the helpers here.

Shares are stored in percent and converted to proportions only here, on the way into
:mod:`pollapp.stats`, and back to percent on the way out. A poll without a known sample size (and no
margin of error to infer it from) gets its answers back with null intervals and a ``reason``,
question by question (another question of the same poll may have a base n).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pollapp.models import Poll, Question, SampleType
from pollapp.services import polls as poll_service
from pollapp.services.stats_inputs import (
    INTERVAL_METHODS,
    SIMULTANEOUS_METHODS,
    SampleInfo,
    enum_value,
    invalid,
    resolve_sample,
)
from pollapp.stats import STATS_VERSION, StatsInputError


def poll_intervals(
    session: Session, poll_id: int, *, method: str = "wilson", level: float = 0.95, simultaneous: str = "goodman"
) -> dict[str, Any]:
    """Every answer of every question (net answers included) with its interval; simultaneous
    intervals of single-choice questions; the lead between the top two substantive answers."""
    if method not in INTERVAL_METHODS:
        raise invalid("method", f"method must be one of {', '.join(INTERVAL_METHODS)}.")
    if simultaneous not in SIMULTANEOUS_METHODS:
        raise invalid("simultaneous", f"simultaneous must be one of {', '.join(SIMULTANEOUS_METHODS)}.")
    if not 0 < level < 1:
        raise invalid("level", "level must be strictly between 0 and 1 (e.g. 0.95).")
    from pollapp.stats.intervals import interval_label

    poll = poll_service.get_poll(session, poll_id)
    probability = poll.sample_type == SampleType.PROBABILITY
    questions = [
        _question_intervals(poll, q, method=method, level=level, simultaneous=simultaneous, probability=probability)
        for q in sorted(poll.questions, key=lambda q: q.position)
    ]
    return {
        "poll_id": poll.id,
        "pollster": poll.pollster.slug,
        "sample_type": enum_value(poll.sample_type),
        "interval_label": interval_label(probability),
        "label_note": _label_note(poll),
        "method": method,
        "level": level,
        "simultaneous_method": simultaneous,
        "stats_version": STATS_VERSION,
        "questions": questions,
    }


def _label_note(poll: Poll) -> str:
    if poll.sample_type == SampleType.PROBABILITY:
        return "Probability sample: the half-width is a margin of sampling error."
    what = "The sample type is not disclosed" if poll.sample_type is None else "Not a probability sample"
    return (
        f"{what}: following AAPOR, the interval is a modelled credibility interval (it assumes the "
        "weighted sample behaves like a random one), not a margin of sampling error."
    )


def _question_sample(poll: Poll, question: Question) -> SampleInfo:
    return resolve_sample(
        sample_size=poll.sample_size,
        base_n=question.base_n,
        design_effect=poll.design_effect,
        margin_of_error=poll.margin_of_error,
        confidence_level=poll.confidence_level,
    )


def _question_intervals(
    poll: Poll, question: Question, *, method: str, level: float, simultaneous: str, probability: bool
) -> dict[str, Any]:
    import pandas as pd

    from pollapp.stats.intervals import answer_intervals, simultaneous_ci

    sample = _question_sample(poll, question)
    answers = sorted(question.answers, key=lambda a: a.position)
    rows = [
        {
            "code": a.code,
            "label": a.label,
            "pct": a.pct,
            "substantive": a.substantive,
            "is_net": a.is_net,
            "components": [c.code for c in a.components],
            "lower_pct": None,
            "upper_pct": None,
            "margin_pct": None,
            "simultaneous_lower_pct": None,
            "simultaneous_upper_pct": None,
        }
        for a in answers
    ]
    out: dict[str, Any] = {
        "question_id": question.id,
        "code": question.code,
        "wording": question.wording,
        "multi_select": question.multi_select,
        "remainder_not_reported": question.remainder_not_reported,
        **_sample_dict(sample),
        "small_sample": None,
        "reason": None,
        "answers": rows,
        "simultaneous": {"method": simultaneous, "available": False, "reason": None},
        "lead": None,
        "lead_reason": None,
    }
    if sample.n_eff is None:
        out["reason"] = (
            "The sample size is not reported (neither for the question's base nor for the poll) and no "
            "margin of error is given to infer it from: intervals cannot be computed."
        )
        out["simultaneous"]["reason"] = out["lead_reason"] = out["reason"]
        return out
    shares = pd.Series([a.pct / 100.0 for a in answers], index=[a.code for a in answers])
    ci = answer_intervals(shares, sample.n_eff, method=method, level=level, probability_sample=probability)
    for row, (_, r) in zip(rows, ci.iterrows()):
        row["lower_pct"], row["upper_pct"], row["margin_pct"] = r["lower"] * 100, r["upper"] * 100, r["margin"] * 100
    out["small_sample"] = bool(ci["small_sample"].iloc[0])

    if question.multi_select:
        reason = "Multi-select question: the answers are not mutually exclusive."
        out["simultaneous"]["reason"] = out["lead_reason"] = reason
        return out
    simple = [a for a in answers if not a.is_net]
    try:
        sim = simultaneous_ci(
            pd.Series([a.pct / 100.0 for a in simple], index=[a.code for a in simple]),
            sample.n_eff,
            method=simultaneous,
            level=level,
        )
    except StatsInputError as exc:
        out["simultaneous"]["reason"] = exc.message
    else:
        out["simultaneous"]["available"] = True
        by_code = {row["code"]: row for row in rows}
        for code, r in sim.iterrows():
            by_code[code]["simultaneous_lower_pct"] = r["lower"] * 100
            by_code[code]["simultaneous_upper_pct"] = r["upper"] * 100
    out["lead"], out["lead_reason"] = _lead(simple, sample.n_eff, level)
    return out


def _lead(answers: list[Any], n_eff: float, level: float) -> tuple[dict[str, Any] | None, str | None]:
    from pollapp.stats.change import format_points
    from pollapp.stats.lead import lead

    ranked = sorted((a for a in answers if a.substantive), key=lambda a: (-a.pct, a.position))
    if len(ranked) < 2:
        return None, "Fewer than two substantive answers: no lead to compute."
    first, second = ranked[0], ranked[1]
    try:
        result = lead(first.pct / 100.0, second.pct / 100.0, n_eff, level=level)
    except StatsInputError as exc:
        return None, exc.message
    pts, moe = format_points(result.lead), format_points(result.margin)
    if pts == "0":
        sentence = f"'{first.label}' and '{second.label}' are tied; the margin of error of the lead is {moe} points."
    elif result.exceeds_margin:
        sentence = (
            f"'{first.label}' leads '{second.label}' by {pts} points, more than the margin of error "
            f"of the lead ({moe} points)."
        )
    else:
        sentence = (
            f"'{first.label}' leads '{second.label}' by {pts} points, within the margin of error of the "
            f"lead ({moe} points): not a clear lead."
        )
    return {
        "first": first.code,
        "first_label": first.label,
        "first_pct": first.pct,
        "second": second.code,
        "second_label": second.label,
        "second_pct": second.pct,
        "lead_pct": result.lead * 100,
        "se_pct": result.se * 100,
        "lower_pct": result.lower * 100,
        "upper_pct": result.upper * 100,
        "margin_pct": result.margin * 100,
        "exceeds_margin": result.exceeds_margin,
        "sentence": sentence,
    }, None


def _sample_dict(sample: SampleInfo) -> dict[str, Any]:
    return {
        "n": sample.n,
        "n_source": sample.n_source,
        "design_effect": sample.design_effect,
        "design_effect_source": sample.design_effect_source,
        "n_eff": sample.n_eff,
    }
