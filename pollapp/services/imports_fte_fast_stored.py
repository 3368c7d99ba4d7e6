"""Stored polls met again by the FiveThirtyEight fast path (a re-import): each is compared with its
latest revision's snapshot, which the history keeps equal to the stored state. An unchanged poll is
touched by nothing; a changed, deleted or never-recorded one goes through the per-poll upsert of
:mod:`.imports_fte` (rare, and it keeps question and answer ids as before).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.services import imports_fte as fte
from pollapp.services.import_files import ImportReport, Problems, Validators
from pollapp.services.imports_fte_fast_documents import CHUNK_POLLS, _outcomes, document
from pollapp.services.imports_fte_frame import FteFrame


def _changed(session: Session, old: Iterator[dict[str, Any]], stored: dict[str, tuple[int, bool]], organisations: Any, series: Any) -> list[dict[str, Any]]:
    """The stored polls whose snapshot the import would change (or that have none to compare with);
    latest snapshots are read :data:`CHUNK_POLLS` polls at a time (memory stays flat)."""
    outcomes = _outcomes(series) if series is not None else {}
    changed = []
    for chunk in fte._chunks(old, CHUNK_POLLS):
        texts = repository.latest_snapshot_texts(session, [stored[p["source_id"]][0] for p in chunk])
        for p in chunk:
            poll_id, deleted = stored[p["source_id"]]
            text = texts.get(poll_id)
            if deleted or text is None:
                changed.append(p)
                continue
            snap = orjson.loads(text)
            doc = document(p)
            codes = [q["code"] for q in doc["questions"]]
            same = (
                snap["poll"] == doc
                and not snap["deleted"]
                and snap["pollster_name"] == organisations.pollsters[p["pollster"]].name
                and sorted(snap["question_ids"]) == sorted(codes)
                and (series is None or snap["series"].get(series.slug) == {code: outcomes for code in codes})
            )
            if not same:
                changed.append(p)
    return changed


def _per_poll(session: Session, frame: FteFrame, changed: list[dict[str, Any]], validators: Validators,
              organisations: Any, known: tuple[set[str], set[str]], series: Any, report: ImportReport) -> None:
    """Changed stored polls through the per-poll path (ORM upserts keep question and answer ids)."""
    wanted = {p["source_id"] for p in changed}
    from pollapp.services.imports_fte_rows import USED

    grouped: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
    pid = frame.columns["poll_id"]
    for row in frame.order.tolist():
        poll_id = pid.values[pid.codes[row]]
        if poll_id in wanted:
            cells = tuple(frame.columns[c].values[frame.columns[c].codes[row]] for c in USED)
            grouped.setdefault(poll_id, []).append((row + 2, cells))
    problems = Problems("")
    # the per-poll path counts bases and notes itself: take them back out, they were counted above
    bases, notes = Counter(report.bases), Counter(report.notes)
    for chunk in fte._chunks(list(grouped), fte.CHUNK_POLLS):
        fte._import_chunk(session, chunk, grouped, validators, organisations, known, series, report, problems)
    report.bases, report.notes = bases, notes
    problems.raise_if_any()
    session.flush()
