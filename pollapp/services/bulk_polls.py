"""Write many validated poll documents at once with Core executemany inserts (SQLAlchemy's
"insertmanyvalues": a few multi-row INSERT ... RETURNING statements per table) instead of one ORM
object graph per poll.

Why: building ``Poll``/``Question``/``Answer`` objects and flushing them through the unit of work costs
about 1 ms per poll and keeps every object in the session; the bulk path writes a chunk of polls in a
handful of statements and keeps nothing. It applies exactly what ``services.polls._apply`` applies
(same fields, same defaults, same enum and list handling); the caller has validated the documents and
checked their natural keys, as for ``create_poll(flush=False)``.

Bulk writes bypass the ORM unit of work, so session events never see them: :func:`_touched` is the
one place that must tell the revision history which polls were written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import FieldError, InvalidInput
from pollapp.models import (
    Answer,
    DatePrecision,
    Poll,
    Question,
    SeriesMapping,
    SeriesMember,
    answer_components,
    poll_partners,
    poll_sponsors,
    utcnow,
)
from pollapp.services import history
from pollapp.services.polls import ANSWER_FIELDS, POLL_FIELDS, QUESTION_FIELDS, Organisations, _as_enum, _plain

LIST_FIELDS = ("modes", "languages", "weighting_variables")
ANALYZE_AFTER = 1000  # polls written by one bulk load before the planner statistics are refreshed
WRITTEN_TABLES = ("polls", "questions", "answers", "poll_sponsors", "series_members", "series_mappings")
FLAG_FIELDS = ("self_sponsored", "partisan", "internal", "tracking")


@dataclass
class InsertedPoll:
    """Ids of one inserted poll: its own, and per question (document order) the question id and the
    answer ids by answer code (what a series mapping needs)."""

    poll_id: int
    questions: list[tuple[int, dict[str, int]]]


def _touched(session: Session, poll_ids: Sequence[int]) -> None:
    """Polls written by a bulk (Core) write: the revision history snapshots them at commit (ORM
    session events do not fire for Core statements)."""
    history.mark_touched(session, poll_ids)


def insert_polls(session: Session, docs: Sequence[dict[str, Any]], organisations: Organisations) -> list[InsertedPoll]:
    """Insert ``docs`` (validated poll documents, natural keys known to be free); returns their ids in
    order. Raises InvalidInput naming an unknown pollster or sponsor (nothing is inserted then)."""
    if not docs:
        return []
    now = utcnow()
    poll_rows = [_poll_row(i, doc, organisations, now) for i, doc in enumerate(docs)]
    poll_ids = _insert_returning(session, Poll, poll_rows)

    links = [
        {"poll_id": poll_id, "sponsor_id": organisations.sponsors[slug].id}
        for poll_id, doc in zip(poll_ids, docs)
        for slug in dict.fromkeys(doc.get("sponsors", []))
    ]
    if links:
        session.execute(insert(poll_sponsors), links)
    partners = [
        {"poll_id": poll_id, "pollster_id": organisations.pollsters[slug].id}
        for poll_id, doc in zip(poll_ids, docs)
        for slug in dict.fromkeys(doc.get("partner_pollsters", []))
    ]
    if partners:
        session.execute(insert(poll_partners), partners)

    question_docs = [(poll_id, q) for poll_id, doc in zip(poll_ids, docs) for q in doc["questions"]]
    question_ids = _insert_returning(
        session,
        Question,
        [{"poll_id": poll_id, **{n: _as_enum(n, q.get(n)) for n in QUESTION_FIELDS}} for poll_id, q in question_docs],
    )
    answer_docs = [(qid, a) for qid, (_, q) in zip(question_ids, question_docs) for a in q["answers"]]
    answer_ids = _insert_returning(
        session, Answer, [{"question_id": qid, **{n: a.get(n) for n in ANSWER_FIELDS}} for qid, a in answer_docs]
    )

    answers_by_question: dict[int, dict[str, int]] = {}
    for answer_id, (qid, a) in zip(answer_ids, answer_docs):
        answers_by_question.setdefault(qid, {})[a["code"]] = answer_id
    components = [
        {"net_answer_id": answers_by_question[qid][a["code"]], "component_answer_id": answers_by_question[qid][c]}
        for qid, a in answer_docs
        for c in a.get("components", [])
    ]
    if components:
        session.execute(insert(answer_components), components)

    out = [InsertedPoll(poll_id, []) for poll_id in poll_ids]
    by_poll = {p.poll_id: p for p in out}
    for qid, (poll_id, _) in zip(question_ids, question_docs):
        by_poll[poll_id].questions.append((qid, answers_by_question.get(qid, {})))
    _touched(session, poll_ids)
    return out


def insert_members(session: Session, series_id: int, members: Sequence[tuple[int, Sequence[tuple[int, int]]]]) -> int:
    """Add questions to a series: ``members`` is ``(question_id, [(answer_id, outcome_id), ...])``.

    The caller bumps the series' ``updated_at`` (its data version), as ``series.map_question`` does."""
    if not members:
        return 0
    member_ids = _insert_returning(session, SeriesMember, [{"series_id": series_id, "question_id": q} for q, _ in members])
    mappings = [
        {"member_id": member_id, "answer_id": answer_id, "outcome_id": outcome_id}
        for member_id, (_, pairs) in zip(member_ids, members)
        for answer_id, outcome_id in pairs
    ]
    if mappings:
        session.execute(insert(SeriesMapping), mappings)
    _touched(session, repository.poll_ids_of_questions(session, [q for q, _ in members]))
    return len(member_ids)


def _insert_returning(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """executemany INSERT ... RETURNING id, ids in the order of ``rows`` (insertmanyvalues batches)."""
    if not rows:
        return []
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def _poll_row(index: int, doc: dict[str, Any], organisations: Organisations, now: Any) -> dict[str, Any]:
    pollster = organisations.pollsters.get(doc["pollster"])
    errors = [] if pollster is not None else [FieldError(f"/{index}/pollster", f"No pollster with slug '{doc['pollster']}'.")]
    errors += [
        FieldError(f"/{index}/sponsors/{i}", f"No sponsor with slug '{slug}'.")
        for i, slug in enumerate(doc.get("sponsors", []))
        if slug not in organisations.sponsors
    ]
    errors += [
        FieldError(f"/{index}/partner_pollsters/{i}", f"No pollster with slug '{slug}'.")
        for i, slug in enumerate(doc.get("partner_pollsters", []))
        if slug not in organisations.pollsters
    ]
    if errors:
        raise InvalidInput("The poll refers to unknown organisations.", errors)
    row: dict[str, Any] = {"pollster_id": pollster.id, "created_at": now, "updated_at": now}  # type: ignore[union-attr]
    for name in POLL_FIELDS:
        value = doc.get(name)
        if name in LIST_FIELDS:
            value = _plain(value or [])
        elif name in FLAG_FIELDS:
            value = bool(value)
        elif name == "field_dates_precision" and value is None:
            value = DatePrecision.DAY
        row[name] = _as_enum(name, value)
    return row


def refresh_statistics(session: Session, polls_written: int) -> None:
    """After a large bulk load on PostgreSQL, ANALYZE the tables it filled (inside the transaction,
    which sees its own rows).

    Why: until autovacuum gets to them, the planner plans on the statistics from before the load; when
    those said "empty" (e.g. analyzed after everything was deleted), every estimate becomes one row and
    the statistics queries pick nested loops that re-run an aggregate per row (minutes on a few thousand
    polls). SQLite plans without table statistics; nothing to do there."""
    if polls_written < ANALYZE_AFTER or session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text(f"ANALYZE {', '.join(WRITTEN_TABLES)}"))
