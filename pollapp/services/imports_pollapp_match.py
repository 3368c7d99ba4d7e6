"""The natural keys of a pollapp poll file: which stored poll each poll of the file updates, if any.

By ``source`` + ``source_id`` when the poll has them; else the stored poll without a source that has
the same pollster and field dates and shares a question wording. Ambiguous matches, and two polls of
the file that match each other, are reported rather than guessed (see :mod:`.imports_pollapp`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.models import Poll
from pollapp.services import polls as poll_service
from pollapp.services.imports_pollapp_records import FileProblems, _Record


def _wordings(doc: dict[str, Any]) -> set[str]:
    return {q["wording"] for q in doc["questions"]}


def _match(session: Session, records: list[_Record], problems: FileProblems) -> list[tuple[_Record, Poll | None]]:
    """Each record with the stored poll it updates (None: a new poll), by natural key."""
    known: dict[str, dict[str, Poll]] = {}
    seen_keys: dict[tuple[str, str], _Record] = {}
    keyless = [r for r in records if r.valid and r.valid.get("source") is None]
    candidates: dict[tuple[str, Any, Any], list[Poll]] = {}
    for poll in repository.polls_without_source(session, sorted({r.valid["pollster"] for r in keyless if r.valid})):
        candidates.setdefault((poll.pollster.slug, poll.field_start_date, poll.field_end_date), []).append(poll)
    claimed: dict[int, _Record] = {}
    in_file: dict[tuple[str, Any, Any], list[_Record]] = {}
    out: list[tuple[_Record, Poll | None]] = []
    for record in records:
        doc = record.valid
        assert doc is not None
        if doc.get("source") is not None:
            key = (doc["source"], doc["source_id"])
            if key in seen_keys:
                problems.at(record, ["source_id"], f"source '{key[0]}' and source_id '{key[1]}' are also those of the poll "
                            f"{_where(seen_keys[key])}; each poll appears once.")
                continue
            seen_keys[key] = record
            if doc["source"] not in known:
                known[doc["source"]] = poll_service.polls_from_source(session, doc["source"])
            out.append((record, known[doc["source"]].get(doc["source_id"])))
            continue
        dates = (doc["pollster"], doc["field_start_date"], doc["field_end_date"])
        wordings = _wordings(doc)
        twins = [r for r in in_file.get(dates, []) if _wordings(r.valid) & wordings]  # type: ignore[arg-type]
        if twins:
            problems.at(record, [], f"same pollster, field dates and a question wording as the poll {_where(twins[0])}, and "
                        "neither has a source and source_id to tell them apart; merge them or give them source and source_id.")
            continue
        in_file.setdefault(dates, []).append(record)
        matches = [p for p in candidates.get(dates, []) if {q.wording for q in p.questions} & wordings]
        if len(matches) > 1:
            problems.at(record, [], f"matches {len(matches)} stored polls (ids {', '.join(str(p.id) for p in matches)}) with the same "
                        "pollster, field dates and a question wording; give the polls source and source_id.")
            continue
        if matches and matches[0].id in claimed:
            problems.at(record, [], f"updates the same stored poll {matches[0].id} as {_where(claimed[matches[0].id])}.")
            continue
        if matches:
            claimed[matches[0].id] = record
        out.append((record, matches[0] if matches else None))
    return out


def _where(record: _Record) -> str:
    return f"on row {record.line}" if record.index is None else f"at index {record.index}"
