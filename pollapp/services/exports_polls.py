"""Poll downloads in pollapp's own layout (:mod:`pollapp.services.poll_layout`): ``polls.csv`` (one
row per answer) and ``polls.json`` (an array of poll documents), both re-importable by
``flask data import`` / ``POST /api/v1/imports`` to the same data.

Streamed in constant memory: polls are read ``CHUNK`` at a time by a keyset query
(:func:`pollapp.repository.poll_chunks`) with their series memberships, encoded and yielded; nothing
goes row by row through marshmallow. Framework-free: the view wraps the generators in a response.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.models import Poll
from pollapp.services import poll_layout
from pollapp.services.polls import poll_document

CHUNK = 200  # polls per query and per chunk of output
FORMATS = {"csv": "text/csv", "json": "application/json"}
LAYOUT_VERSION = 1  # bump when the files' layout or encoding changes (part of the downloads' ETag)


def documents(session: Session, filters: repository.PollFilters, *, sort: str) -> Iterator[dict[str, Any]]:
    """Every matching poll as an import document (see the module docstring of poll_layout)."""
    for chunk in repository.poll_chunks(session, filters, sort=sort, size=CHUNK):
        memberships = _memberships(session, chunk)
        for poll in chunk:
            yield _document(poll, memberships)


def csv_chunks(session: Session, filters: repository.PollFilters, *, sort: str) -> Iterator[bytes]:
    """UTF-8 CSV, header first, one row per answer, one chunk per ``CHUNK`` polls."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(poll_layout.NAMES)
    count = 0
    for chunk in repository.poll_chunks(session, filters, sort=sort, size=CHUNK):
        memberships = _memberships(session, chunk)
        for poll in chunk:
            writer.writerows(rows(poll.id, _document(poll, memberships)))
        count += 1
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if not count:
        yield buffer.getvalue().encode()


def json_chunks(session: Session, filters: repository.PollFilters, *, sort: str) -> Iterator[bytes]:
    """A JSON array of poll documents, one document per chunk."""
    yield b"["
    for i, doc in enumerate(documents(session, filters, sort=sort)):
        yield (b",\n" if i else b"\n") + orjson.dumps(doc)
    yield b"\n]\n"


def filename(series: str | None, fmt: str, today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    return f"pollapp-polls{'-' + series if series else ''}-{today.isoformat()}.{fmt}"


def rows(poll_key: Any, doc: dict[str, Any]) -> Iterator[list[str]]:
    """The CSV rows (one per answer, columns in ``poll_layout.NAMES`` order) of one document."""
    poll_cells = [_poll_cell(c, poll_key, doc) for c in poll_layout.POLL]
    for question in doc["questions"]:
        question_cells = [_cell(question.get(c.field)) for c in poll_layout.QUESTION]  # type: ignore[arg-type]
        for answer in question["answers"]:
            answer_cells = [_cell(answer.get(c.field)) for c in poll_layout.ANSWER]  # type: ignore[arg-type]
            series = answer.get("series", [])
            membership = [
                poll_layout.LIST_SEPARATOR.join(m["series"] for m in series),
                poll_layout.LIST_SEPARATOR.join(m["outcome"] for m in series),
            ]
            yield poll_cells + question_cells + answer_cells + membership


# ---------------------------------------------------------------- internals


def _poll_cell(column: poll_layout.Column, poll_key: Any, doc: dict[str, Any]) -> str:
    if column.name == "poll_key":
        return str(poll_key)
    if column.type == "names":
        return poll_layout.join_names(doc[column.name])
    return _cell(doc.get(column.name))


def _cell(value: Any) -> str:
    """A value as the CSV holds it: None empty, booleans lower case, dates ISO, lists joined by ``;``,
    floats in their shortest round-tripping form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return poll_layout.LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)


def _memberships(session: Session, polls: list[Poll]) -> dict[int, list[dict[str, str]]]:
    """answer id -> the series outcomes it counts towards, ordered by series slug."""
    members = repository.series_members_of_polls(session, [p.id for p in polls])
    slugs = repository.series_slugs_by_id(session, sorted({m.series_id for m in members}))
    out: dict[int, list[dict[str, str]]] = {}
    for member in members:
        for mapping in member.mappings:
            out.setdefault(mapping.answer_id, []).append({"series": slugs[member.series_id], "outcome": mapping.outcome.code})
    for entries in out.values():
        entries.sort(key=lambda m: (m["series"], m["outcome"]))
    return out


def _document(poll: Poll, memberships: dict[int, list[dict[str, str]]]) -> dict[str, Any]:
    base = poll_document(poll)
    partners = sorted(poll.partners, key=lambda p: p.slug)
    sponsors = sorted(poll.sponsors, key=lambda s: s.slug)
    doc: dict[str, Any] = {
        "pollster": base.pop("pollster"),
        "pollster_name": poll.pollster.name,
        "partner_pollsters": base.pop("partner_pollsters"),
        "partner_pollster_names": [p.name for p in partners],
        "sponsors": base.pop("sponsors"),
        "sponsor_names": [s.name for s in sponsors],
        **base,
    }
    answer_ids = {(q.code, a.code): a.id for q in poll.questions for a in q.answers}  # codes are unique
    for question in doc["questions"]:
        for answer in question["answers"]:
            answer["series"] = memberships.get(answer_ids[(question["code"], answer["code"])], [])
    return doc
