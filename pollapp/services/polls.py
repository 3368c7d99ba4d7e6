"""Polls as whole documents: create, replace (keeping question and answer identity), delete, read, list.

Deleting is a soft delete (``deleted_at``): the poll disappears from every list, series, statistic and
export, answers 410 Gone, and keeps its revision history (recorded by :mod:`pollapp.services.history`).
An upsert of a deleted poll's natural key (an import of a file that still holds it) restores it: the
file is the source of truth, and the restore is recorded as such.

A poll document is the validated dict produced by the poll schema: methodology fields, references to
pollster/partners/sponsors by slug, and questions with their answers. Replacing a poll matches
questions and answers by code, so series memberships and their answer mappings survive edits.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import Conflict, FieldError, Gone, InvalidInput, NotFound
from pollapp.models import Answer, DatePrecision, Poll, Pollster, Population, Question, SampleType, Sponsor
from pollapp.services.pagination import Page, decode_cursor, encode_cursor

POLL_FIELDS = (
    "self_sponsored",
    "field_start_date",
    "field_end_date",
    "field_dates_precision",
    "publication_date",
    "country",
    "region",
    "population",
    "population_description",
    "coverage_exclusions",
    "sample_size",
    "sample_type",
    "sampling_frame",
    "recruitment",
    "data_collection",
    "modes",
    "languages",
    "weighted",
    "weighting_variables",
    "design_effect",
    "margin_of_error",
    "confidence_level",
    "response_rate",
    "response_rate_formula",
    "quality_procedures",
    "limitations",
    "partisan",
    "internal",
    "tracking",
    "source_url",
    "report_url",
    "topline_url",
    "crosstab_url",
    "notes",
    "source",
    "source_id",
)
QUESTION_FIELDS = (
    "code",
    "wording",
    "wording_exact",
    "wording_en",
    "language",
    "preceding_context",
    "position",
    "population",
    "base_description",
    "base_n",
    "split_variant",
    "multi_select",
    "remainder_not_reported",
    "notes",
)
ANSWER_FIELDS = ("code", "label", "pct", "position", "substantive", "notes")
ENUM_FIELDS: dict[str, type[enum.Enum]] = {
    "population": Population,
    "sample_type": SampleType,
    "field_dates_precision": DatePrecision,
}


def _as_enum(name: str, value: Any) -> Any:
    """Documents may carry enum members or their values; the model always gets members."""
    if value is None or name not in ENUM_FIELDS:
        return value
    return ENUM_FIELDS[name](value)


def _plain(value: Any) -> Any:
    """Enum members become their values so JSON list columns hold plain strings."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def get_poll(session: Session, poll_id: int) -> Poll:
    """The poll; 404 if it never existed, 410 if it was deleted (its history stays readable)."""
    poll = repository.poll_by_id(session, poll_id)
    if poll is None:
        raise NotFound(f"No poll with id {poll_id}.")
    if poll.deleted_at is not None:
        raise Gone(
            f"Poll {poll_id} was deleted on {poll.deleted_at:%Y-%m-%d %H:%M} UTC; "
            f"its revision history remains at /api/v1/polls/{poll_id}/history."
        )
    return poll


def create_poll(
    session: Session, doc: dict[str, Any], *, flush: bool = True, organisations: Organisations | None = None
) -> Poll:
    """Create a poll with its questions and answers (the caller commits or rolls back).

    ``flush=False`` lets bulk loaders insert many polls in one flush (SQLAlchemy then batches the
    INSERTs); they must have checked the natural key themselves."""
    if flush:
        _check_source_free(session, doc, current=None)
    poll = Poll()
    _apply(session, poll, doc, organisations)
    session.add(poll)
    if flush:
        session.flush()
    return poll


def replace_poll(
    session: Session, poll: Poll, doc: dict[str, Any], *, organisations: Organisations | None = None
) -> Poll:
    """Replace every field, question and answer of ``poll`` by ``doc`` (PUT semantics)."""
    _check_source_free(session, doc, current=poll)
    _apply(session, poll, doc, organisations)
    poll.updated_at = dt.datetime.now(dt.timezone.utc)  # also when only questions/answers changed (data version)
    session.flush()
    return poll


def delete_poll(session: Session, poll: Poll) -> None:
    """Soft delete: hide the poll everywhere, keep its row and history (see the module docstring)."""
    poll.deleted_at = dt.datetime.now(dt.timezone.utc)
    session.flush()


def upsert_poll(
    session: Session,
    doc: dict[str, Any],
    *,
    known: dict[str, Poll] | None = None,
    organisations: Organisations | None = None,
) -> tuple[str, Poll]:
    """Create or update the poll with ``doc``'s natural key (source, source_id).

    Returns ``("created" | "updated" | "unchanged", poll)``; an unchanged poll is not written. A deleted
    poll with this key is restored (reported as updated; its history records a ``restore``).
    ``known`` (source_id -> poll, from :func:`polls_from_source`) spares a bulk loader one query per
    poll and one flush per new poll; ``organisations`` (from :func:`organisations_by_slug`) spares it
    the pollster and sponsor queries of every created or changed poll.
    """
    if doc.get("source") is None:
        raise InvalidInput("An upsert needs the natural key source + source_id.", [FieldError("/source", "Required.")])
    if known is None:
        existing = repository.poll_by_source(session, doc["source"], doc["source_id"])
    else:
        existing = known.get(doc["source_id"])
    if existing is None:
        poll = create_poll(session, doc, flush=known is None, organisations=organisations)
        if known is not None:
            known[doc["source_id"]] = poll
        return "created", poll
    if existing.deleted_at is not None:
        existing.deleted_at = None
    elif poll_document(existing) == normalized_document(doc):
        return "unchanged", existing
    return "updated", replace_poll(session, existing, doc, organisations=organisations)


@dataclass
class Organisations:
    """Pollsters and sponsors by slug, looked up once for a bulk load instead of once per poll."""

    pollsters: dict[str, Pollster]
    sponsors: dict[str, Sponsor]


def organisations_by_slug(session: Session, pollsters: Sequence[str], sponsors: Sequence[str]) -> Organisations:
    return Organisations(
        repository.pollsters_by_slugs(session, list(pollsters)), repository.sponsors_by_slugs(session, list(sponsors))
    )


def polls_from_source(session: Session, source: str) -> dict[str, Poll]:
    """Every poll imported from ``source``, by source_id, fully loaded (for bulk upserts)."""
    return {p.source_id: p for p in repository.polls_by_source(session, source)}  # type: ignore[misc]


def list_polls(
    session: Session, filters: repository.PollFilters, *, sort: str, cursor: str | None, limit: int
) -> Page[Poll]:
    after = page_after(cursor, sort)
    rows, total = repository.list_polls(session, filters, sort=sort, after=after, limit=limit)
    return Page(rows[:limit], next_page_cursor(rows, sort=sort, limit=limit), total)


def page_after(cursor: str | None, sort: str) -> tuple[dt.date, int] | None:
    """The keyset position a poll list's ``cursor`` names (400 if it belongs to another list or sort)."""
    return decode_cursor(cursor, f"polls:{sort}", (dt.date, int)) if cursor else None  # type: ignore[return-value]


def next_page_cursor(rows: Sequence[Any], *, sort: str, limit: int) -> str | None:
    """The cursor of the page after ``rows`` (``limit + 1`` polls or poll rows fetched), None on the last."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    key = last.field_end_date
    if sort.lstrip("-") == "publication_date" and last.publication_date is not None:
        key = last.publication_date
    return encode_cursor(f"polls:{sort}", (key, last.id))


def poll_document(poll: Poll) -> dict[str, Any]:
    """The poll as the document that would recreate it (PATCH merges onto it; upserts compare with it)."""
    doc: dict[str, Any] = {"pollster": poll.pollster.slug}
    doc["partner_pollsters"] = sorted(p.slug for p in poll.partners)
    doc["sponsors"] = sorted(s.slug for s in poll.sponsors)
    for name in POLL_FIELDS:
        doc[name] = _plain(getattr(poll, name))
    doc["questions"] = []
    for question in sorted(poll.questions, key=lambda q: q.position):
        q = {name: _plain(getattr(question, name)) for name in QUESTION_FIELDS}
        q["answers"] = [
            {**{name: getattr(a, name) for name in ANSWER_FIELDS}, "components": [c.code for c in a.components]}
            for a in sorted(question.answers, key=lambda a: a.position)
        ]
        doc["questions"].append(q)
    return doc


def normalized_document(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` in :func:`poll_document`'s shape, for comparing an incoming document with a stored poll."""
    out: dict[str, Any] = {
        "pollster": doc["pollster"],
        "partner_pollsters": sorted(doc.get("partner_pollsters", [])),
        "sponsors": sorted(doc.get("sponsors", [])),
    }
    for name in POLL_FIELDS:
        out[name] = _plain(doc.get(name))
    out["questions"] = []
    for question in sorted(doc["questions"], key=lambda q: q["position"]):
        q = {name: _plain(question.get(name)) for name in QUESTION_FIELDS}
        q["answers"] = [
            {**{name: a.get(name) for name in ANSWER_FIELDS}, "components": list(a.get("components", []))}
            for a in sorted(question["answers"], key=lambda a: a["position"])
        ]
        out["questions"].append(q)
    return out


# ---------------------------------------------------------------- internals


def _check_source_free(session: Session, doc: dict[str, Any], current: Poll | None) -> None:
    if doc.get("source") is None:
        return
    other = repository.poll_by_source(session, doc["source"], doc["source_id"])
    if other is not None and other is not current:
        deleted = " (deleted; importing its source restores it)" if other.deleted_at is not None else ""
        raise Conflict(
            f"Poll {other.id}{deleted} already has source '{doc['source']}' and source_id '{doc['source_id']}'.",
            [FieldError("/source_id", "Already used by another poll.")],
        )


def _apply(session: Session, poll: Poll, doc: dict[str, Any], organisations: Organisations | None = None) -> None:
    """Set ``poll`` from ``doc``: references, scalar fields, then questions matched by code."""
    errors: list[FieldError] = []
    partner_slugs = doc.get("partner_pollsters", [])
    sponsor_slugs = doc.get("sponsors", [])
    if organisations is None:
        pollster = repository.pollster_by_slug(session, doc["pollster"])
        partners = repository.pollsters_by_slugs(session, partner_slugs)
        sponsors = repository.sponsors_by_slugs(session, sponsor_slugs)
    else:
        pollster = organisations.pollsters.get(doc["pollster"])
        partners = {s: organisations.pollsters[s] for s in partner_slugs if s in organisations.pollsters}
        sponsors = {s: organisations.sponsors[s] for s in sponsor_slugs if s in organisations.sponsors}
    if pollster is None:
        errors.append(FieldError("/pollster", f"No pollster with slug '{doc['pollster']}'."))
    for i, slug in enumerate(partner_slugs):
        if slug not in partners:
            errors.append(FieldError(f"/partner_pollsters/{i}", f"No pollster with slug '{slug}'."))
        elif slug == doc["pollster"]:
            errors.append(FieldError(f"/partner_pollsters/{i}", "The conducting pollster is not its own partner."))
    for i, slug in enumerate(sponsor_slugs):
        if slug not in sponsors:
            errors.append(FieldError(f"/sponsors/{i}", f"No sponsor with slug '{slug}'."))
    if errors:
        raise InvalidInput("The poll refers to unknown organisations.", errors)

    poll.pollster = pollster  # type: ignore[assignment]
    poll.partners = [partners[s] for s in dict.fromkeys(partner_slugs)]
    poll.sponsors = [sponsors[s] for s in dict.fromkeys(sponsor_slugs)]
    for name in POLL_FIELDS:
        value = doc.get(name)
        if name in ("modes", "languages", "weighting_variables"):
            value = _plain(value or [])
        elif name in ("self_sponsored", "partisan", "internal", "tracking"):
            value = bool(value)
        elif name == "field_dates_precision" and value is None:
            continue
        setattr(poll, name, _as_enum(name, value))
    _apply_questions(session, poll, doc["questions"])


def _apply_questions(session: Session, poll: Poll, questions: list[dict[str, Any]]) -> None:
    existing = {q.code: q for q in poll.questions}
    kept: list[Question] = []
    for qdoc in questions:
        question = existing.get(qdoc["code"]) or Question()
        for name in QUESTION_FIELDS:
            setattr(question, name, _as_enum(name, qdoc.get(name)))
        _apply_answers(session, question, qdoc["answers"])
        kept.append(question)
    poll.questions = kept


def _apply_answers(session: Session, question: Question, answers: list[dict[str, Any]]) -> None:
    existing = {a.code: a for a in question.answers}
    by_code: dict[str, Answer] = {}
    for adoc in answers:
        answer = existing.get(adoc["code"]) or Answer()
        for name in ANSWER_FIELDS:
            setattr(answer, name, adoc.get(name))
        by_code[adoc["code"]] = answer
    for adoc in answers:
        by_code[adoc["code"]].components = [by_code[c] for c in adoc.get("components", [])]
    question.answers = list(by_code.values())
