"""The change between two polls (``GET /api/v1/compare``): in one series outcome or one question's
answer, the difference B minus A with its interval, a two-sided test, the sentence a journalist can
print, and warnings where the two polls are not like for like (pollster, wording, population, order,
sample type).

Shares are stored in percent and converted to proportions only here, on the way into
:mod:`pollapp.stats`, and back to percent on the way out. A poll without a known sample size (and no
margin of error to infer it from) cannot be compared: refused (422) with the reason. Each side's
sample size is resolved as for the poll's intervals (:mod:`.stats_polls`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import FieldError, InsufficientData, InvalidInput, NotFound
from pollapp.models import Poll, Question, SampleType
from pollapp.services import polls as poll_service
from pollapp.services import series as series_service
from pollapp.services.stats_inputs import (
    CHANGE_CI_METHODS,
    CHANGE_TEST_METHODS,
    DEFAULT_POPULATION_PREFERENCE,
    enum_value,
    invalid,
    stats_error,
)
from pollapp.services.stats_polls import _question_sample, _sample_dict
from pollapp.stats import STATS_VERSION, StatsInputError


COMPARE_PARAMETERS = (
    "poll_a", "poll_b", "series", "outcome", "question", "answer", "question_b", "answer_b",
    "level", "ci_method", "test_method",
)  # fmt: skip


def compare(
    session: Session,
    poll_a: int,
    poll_b: int,
    *,
    series: str | None = None,
    outcome: str | None = None,
    question: str | None = None,
    answer: str | None = None,
    question_b: str | None = None,
    answer_b: str | None = None,
    level: float = 0.95,
    ci_method: str = "newcomb",
    test_method: str = "agresti-caffo",
) -> dict[str, Any]:
    """Change from poll A to poll B in one series outcome (or one question's answer): difference,
    interval, two-sided test and the sentence a journalist can print."""
    from pollapp.stats.change import change

    if poll_a == poll_b:
        raise invalid("poll_b", "Compare two different polls: the test assumes independent samples.")
    if ci_method not in CHANGE_CI_METHODS:
        raise invalid("ci_method", f"ci_method must be one of {', '.join(CHANGE_CI_METHODS)}.")
    if test_method not in CHANGE_TEST_METHODS:
        raise invalid("test_method", f"test_method must be one of {', '.join(CHANGE_TEST_METHODS)}.")
    polls = {}
    for name, poll_id in (("poll_a", poll_a), ("poll_b", poll_b)):
        try:
            polls[name] = poll_service.get_poll(session, poll_id)
        except NotFound as exc:
            raise invalid(name, exc.detail) from None
    if outcome is not None:
        if question or answer or question_b or answer_b:
            raise invalid("outcome", "Give either outcome (with series) or question and answer codes, not both.")
        measure, sides = _outcome_sides(session, polls, series, outcome)
    else:
        if not (question and answer):
            raise InvalidInput(
                "Say what to compare: outcome (a series outcome) or question and answer (codes).",
                [FieldError(None, "Required unless question and answer are given.", "outcome")],
            )
        measure, sides = _answer_sides(polls, question, answer, question_b or question, answer_b or answer)
    for name, side in sides.items():
        if side["n_eff"] is None:
            raise InsufficientData(
                f"Poll {side['poll_id']} reports no sample size and no margin of error: the change cannot be tested.",
                [FieldError(None, "Sample size unknown.", name)],
            )
    a, b = sides["poll_a"], sides["poll_b"]
    try:
        result = change(a["pct"] / 100.0, a["n_eff"], b["pct"] / 100.0, b["n_eff"],
                        level=level, ci_method=ci_method, test_method=test_method)
    except StatsInputError as exc:
        raise stats_error(exc, COMPARE_PARAMETERS) from exc
    return {
        "measure": measure,
        "poll_a": a,
        "poll_b": b,
        "diff_pct": result.diff * 100,
        "lower_pct": result.lower * 100,
        "upper_pct": result.upper * 100,
        "margin_pct": result.margin * 100,
        "p_value": result.p_value,
        "significant": result.significant,
        "level": result.level,
        "ci_method": result.ci_method,
        "test_method": result.test_method,
        "sentence": result.sentence,
        "warnings": _compare_warnings(polls["poll_a"], polls["poll_b"], a, b),
        "stats_version": STATS_VERSION,
    }


def _outcome_sides(
    session: Session, polls: dict[str, Poll], series: str | None, outcome: str
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    ids = [polls["poll_a"].id, polls["poll_b"].id]
    if series is None:
        found = repository.series_slugs_with_outcome(session, ids, outcome)
        both = sorted(slug for slug, have in found.items() if have >= set(ids))
        if not both:
            raise invalid("outcome", f"No series maps both polls onto an outcome '{outcome}'.")
        if len(both) > 1:
            raise invalid("series", f"Several series measure '{outcome}' in both polls ({', '.join(both)}): name one.")
        series = both[0]
    try:
        found_series = series_service.get_series(session, series)
    except NotFound as exc:
        raise invalid("series", exc.detail) from None
    if outcome not in {o.code for o in found_series.outcomes}:
        codes = ", ".join(o.code for o in found_series.outcomes)
        raise invalid("outcome", f"Series '{series}' has no outcome '{outcome}' (it has: {codes}).")
    rows = repository.series_outcome_rows(session, found_series.id, [outcome], poll_ids=ids)
    rank = {p: i for i, p in enumerate(DEFAULT_POPULATION_PREFERENCE)}
    sides = {}
    for name, poll in polls.items():
        mine = sorted(
            (r for r in rows if r["poll_id"] == poll.id),
            key=lambda r: (rank.get(enum_value(r["population"]), len(rank)), r["question_id"]),
        )
        if not mine:
            raise invalid(name, f"Poll {poll.id} has no value for outcome '{outcome}' in series '{series}'.")
        row = mine[0]
        question = next(q for q in poll.questions if q.id == row["question_id"])
        sides[name] = _side(poll, question, float(row["pct"]))
    return {"series": series, "outcome": outcome, "question": None, "answer": None}, sides


def _answer_sides(
    polls: dict[str, Poll], question_a: str, answer_a: str, question_b: str, answer_b: str
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    sides = {}
    for name, qcode, acode, suffix in (
        ("poll_a", question_a, answer_a, ""),
        ("poll_b", question_b, answer_b, "_b"),
    ):
        poll = polls[name]
        question = next((q for q in poll.questions if q.code == qcode), None)
        q_param = "question_b" if suffix and question_b != question_a else "question"
        a_param = "answer_b" if suffix and answer_b != answer_a else "answer"
        if question is None:
            raise invalid(q_param, f"Poll {poll.id} has no question '{qcode}'.")
        answer = next((a for a in question.answers if a.code == acode), None)
        if answer is None:
            raise invalid(a_param, f"Question '{qcode}' of poll {poll.id} has no answer '{acode}'.")
        sides[name] = _side(poll, question, answer.pct, answer=answer.code)
    measure = {"series": None, "outcome": None, "question": question_a, "answer": answer_a}
    if (question_b, answer_b) != (question_a, answer_a):
        measure.update(question_b=question_b, answer_b=answer_b)
    return measure, sides


def _side(poll: Poll, question: Question, pct: float, answer: str | None = None) -> dict[str, Any]:
    return {
        "poll_id": poll.id,
        "pollster": poll.pollster.slug,
        "field_start_date": poll.field_start_date,
        "field_end_date": poll.field_end_date,
        "publication_date": poll.publication_date,
        "question_id": question.id,
        "question": question.code,
        "answer": answer,
        "pct": pct,
        **_sample_dict(_question_sample(poll, question)),
    }


def _compare_warnings(poll_a: Poll, poll_b: Poll, a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    warnings = []
    if poll_a.pollster_id != poll_b.pollster_id:
        warnings.append(
            "The polls are by different pollsters: the difference includes any difference between their "
            "house effects (see the series' house-effects)."
        )
    if a["question_id"] is not None and b["question_id"] is not None:
        qa = next(q for q in poll_a.questions if q.id == a["question_id"])
        qb = next(q for q in poll_b.questions if q.id == b["question_id"])
        if qa.wording.strip() != qb.wording.strip():
            warnings.append("The question wordings differ: part of the difference may be due to wording.")
        pop_a, pop_b = qa.population or poll_a.population, qb.population or poll_b.population
        if pop_a != pop_b:
            warnings.append(f"The populations differ ({enum_value(pop_a)} vs {enum_value(pop_b)}).")
    if poll_a.field_end_date > poll_b.field_end_date:
        warnings.append("Poll A was fielded after poll B: the change is read from A to B as requested.")
    for name, poll in (("A", poll_a), ("B", poll_b)):
        if poll.sample_type != SampleType.PROBABILITY:
            warnings.append(
                f"Poll {name} is not documented as a probability sample: its uncertainty is a modelled "
                "credibility interval, not a margin of sampling error."
            )
    return warnings
