"""A page of polls as JSON bytes, built from plain SQL rows instead of ORM objects and marshmallow.

Why: the list page is the API's largest routinely requested document (up to 500 polls with their
questions and answers). Loading it as ORM objects and dumping it through ``PollPageSchema`` costs
about 22 us per serialised row (issue 7; ``shared/notes/performance.md``), several times the
SELECTs themselves. Here five set-based SELECTs (page, sponsors, partners, questions, answers,
components: :func:`pollapp.repository.poll_page_rows` and friends) are assembled into the very
dicts the schema would produce, in its field order, and encoded once with orjson.

The contract is ``pollapp.schemas.polls_out.PollOutSchema``: same keys in the same order, same types
(floats as floats, enums by value, dates and timestamps in ISO 8601), same nulls and the same
disclosure assessment (:func:`pollapp.services.disclosure.assess`, fed light row objects).
``tests/api/test_fast_serialization.py`` checks that the bytes equal Flask's encoding of the schema's
dump for real and edge-case polls, so the body-digest ETags keep their meaning.
"""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.services.disclosure import presence, shared_assessment
from pollapp.services.polls import next_page_cursor, page_after

# PollOutSchema's fields between ``sponsors`` and ``disclosure``, in its order: ``polls`` columns.
POLL_FIELDS = (
    "self_sponsored", "field_start_date", "field_end_date", "field_dates_precision", "publication_date",
    "country", "region", "population", "population_description", "coverage_exclusions", "sample_size",
    "sample_type", "sampling_frame", "recruitment", "data_collection", "modes", "languages", "weighted",
    "weighting_variables", "design_effect", "margin_of_error", "confidence_level", "response_rate",
    "response_rate_formula", "quality_procedures", "limitations", "partisan", "internal", "tracking",
    "source_url", "report_url", "topline_url", "crosstab_url", "notes", "source", "source_id",
)
_POLL_COLUMNS = ("id", *POLL_FIELDS, "created_at", "updated_at")
_FIELDS_END = 1 + len(POLL_FIELDS)
# QuestionOutSchema's fields before ``answers``; AnswerOutSchema's before ``is_net``.
QUESTION_FIELDS = (
    "id", "code", "wording", "wording_exact", "wording_en", "language", "preceding_context", "position",
    "population", "base_description", "base_n", "split_variant", "multi_select", "remainder_not_reported", "notes",
)
ANSWER_COLUMNS = ("code", "label", "pct", "position", "substantive", "notes")
_LISTS = ("modes", "languages", "weighting_variables")  # JSON columns, read as their JSON text
_FLOATS = ("design_effect", "margin_of_error", "confidence_level", "response_rate")
NO_COMPONENTS: tuple[str, ...] = ()  # shared by every plain answer (orjson writes it as []): no empty list per answer


def poll_page_json(
    session: Session, filters: repository.PollFilters, *, sort: str, cursor: str | None, limit: int
) -> bytes:
    """The body of ``GET /polls`` (``{items, next_cursor, total}``), byte for byte what Flask's JSON
    provider makes of ``PollPageSchema().dump(list_polls(...))``, trailing newline included."""
    rows, total = repository.poll_page_rows(
        session, filters, columns=_POLL_COLUMNS, sort=sort, after=page_after(cursor, sort), limit=limit
    )
    page = {
        "items": poll_documents(session, rows[:limit]),
        "next_cursor": next_page_cursor(rows, sort=sort, limit=limit),
        "total": total,
    }
    return orjson.dumps(page, option=orjson.OPT_APPEND_NEWLINE)


def poll_documents(session: Session, rows: list[Any]) -> list[dict[str, Any]]:
    """``PollOutSchema`` dumps of the polls in ``rows`` (from :func:`repository.poll_page_rows` with
    ``_POLL_COLUMNS``). Values go to orjson as the database driver gives them: orjson writes dates and
    aware timestamps in ISO 8601 and enums by value, as the schema's fields do; the float columns are
    made floats (marshmallow's Float would turn a stored integer into one)."""
    ids = [row[0] for row in rows]
    sponsor_rows, partner_rows = repository.poll_organisation_rows(session, ids)
    question_rows, answer_rows, component_rows = repository.poll_question_rows(
        session, ids, question_columns=QUESTION_FIELDS, answer_columns=ANSWER_COLUMNS
    )
    sponsors: defaultdict[int, list[dict[str, str]]] = defaultdict(list)
    partners: defaultdict[int, list[dict[str, str]]] = defaultdict(list)
    for poll_id, slug, name in sponsor_rows:
        sponsors[poll_id].append({"slug": slug, "name": name})
    for poll_id, slug, name in partner_rows:
        partners[poll_id].append({"slug": slug, "name": name})
    components: defaultdict[int, list[str]] = defaultdict(list)
    for net_id, code in component_rows:
        components[net_id].append(code)
    answers: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for question_id, answer_id, code, label, pct, position, substantive, notes in answer_rows:
        parts = components.get(answer_id, NO_COMPONENTS)
        answers[question_id].append({
            "code": code, "label": label, "pct": float(pct), "position": position, "substantive": substantive,
            "is_net": bool(parts), "components": parts, "notes": notes,
        })  # fmt: skip
    questions: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in question_rows:
        doc = dict(zip(QUESTION_FIELDS, row[1:]))
        doc["answers"] = answers.get(doc["id"], [])
        questions[row[0]].append(doc)
    return [_poll(row, sponsors.get(row[0], []), partners.get(row[0], []), questions.get(row[0], [])) for row in rows]


def _poll(row: Any, sponsors: list[dict[str, str]], partners: list[dict[str, str]],
          questions: list[dict[str, Any]]) -> dict[str, Any]:
    fields = dict(zip(POLL_FIELDS, row[1:_FIELDS_END]))
    for name in _LISTS:
        fields[name] = None if fields[name] is None else orjson.loads(fields[name])
    for name in _FLOATS:
        if fields[name] is not None:
            fields[name] = float(fields[name])
    view = SimpleNamespace(**fields, sponsors=sponsors, questions=[_QuestionView(q) for q in questions])
    return {
        "id": row[0],
        "pollster": {"slug": row.pollster_slug, "name": row.pollster_name},
        "partner_pollsters": partners,
        "sponsors": sponsors,
        **fields,
        "disclosure": shared_assessment(presence(view)),
        "questions": questions,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


class _QuestionView:
    """What :func:`pollapp.services.disclosure.assess` reads of a question."""

    __slots__ = ("wording_exact", "answers")

    def __init__(self, doc: dict[str, Any]) -> None:
        self.wording_exact = doc["wording_exact"]
        self.answers = doc["answers"]
