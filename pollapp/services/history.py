"""Revision history of polls, recorded by session events so that no write path can skip it.

What is recorded: for every poll whose stored state may have changed in a transaction, a *snapshot* of
everything a series point, statistics row or export row of that poll depends on (its document as
:func:`pollapp.services.polls.poll_document` gives it, the pollster's name, its question ids by code,
its series memberships and whether it is deleted). A new revision is written only when the snapshot's
content hash differs from the poll's latest revision, so re-importing an unchanged file records nothing.

How: ``after_flush`` notes which polls the flushed Poll, Question, Answer, SeriesMember, SeriesMapping,
SeriesOutcome, Pollster and Sponsor objects belong to (cheap: ids only); ``before_commit`` flushes what is
left, then builds the snapshots of all noted polls in bulk (a few queries per chunk of 500 polls, never
one per poll) and inserts the revisions with Core ``executemany``. Writers that bypass the ORM (Core
INSERTs in a bulk importer) call :func:`mark_touched`. A rollback forgets everything noted.

Who and why come from ``session.info``, set by the edges: :func:`set_actor` (the API key or the CLI
command) and :func:`set_reason`. Services stay framework-free and never commit; this module neither.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import insert, inspect
from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.models import (
    Answer,
    Poll,
    PollRevision,
    PollRevisionSeries,
    Pollster,
    Question,
    RevisionAction,
    SeriesChangeKind,
    SeriesMapping,
    SeriesMember,
    SeriesOutcome,
    Sponsor,
)
from pollapp.services import session_events

ACTOR_KEY = "pollapp.history.actor"
PENDING_KEY = "pollapp.history.pending"
UNATTRIBUTED = "unattributed"
REASON_MAX_LENGTH = 500


@dataclass
class Actor:
    """Who writes (an API key's id and name, or a CLI command) and, optionally, why."""

    label: str = UNATTRIBUTED
    api_key_id: int | None = None
    reason: str | None = None


@dataclass
class _Pending:
    """Ids noted by ``after_flush`` until the commit resolves them to polls."""

    polls: set[int] = field(default_factory=set)
    refresh: set[int] = field(default_factory=set)  # polls written by Core statements: reload them
    questions: set[int] = field(default_factory=set)
    members: set[int] = field(default_factory=set)
    series: set[int] = field(default_factory=set)
    pollsters: set[int] = field(default_factory=set)
    sponsors: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return any((self.polls, self.questions, self.members, self.series, self.pollsters, self.sponsors))


# ---------------------------------------------------------------- the edges' interface


def set_actor(session: Session, label: str, *, api_key_id: int | None = None) -> None:
    """Attribute the session's next commit to ``label`` (an API key's name, ``cli: flask data load``)."""
    actor = _actor(session)
    actor.label, actor.api_key_id = label[:200], api_key_id


def set_reason(session: Session, reason: str | None) -> None:
    """Why the session's next commit changes polls ("corrected sample size per pollster's release")."""
    _actor(session).reason = reason or None


def current_actor(session: Session) -> Actor:
    """Who the session's next commit is attributed to (bulk writers record revisions with it)."""
    return _actor(session)


def mark_touched(session: Session, poll_ids: Iterable[int]) -> None:
    """Note polls written with Core statements (which no ORM event sees); they are snapshotted at commit."""
    ids = {int(i) for i in poll_ids}
    pending = _pending(session)
    pending.polls |= ids
    pending.refresh |= ids


def install() -> None:
    """Listen on every SQLAlchemy session (idempotent); called by the application factory."""
    session_events.listen({
        "after_flush": _after_flush,
        "before_commit": _before_commit,
        "after_commit": _forget,
        "after_soft_rollback": _forget_on_rollback,
    })


# ---------------------------------------------------------------- events


def _actor(session: Session) -> Actor:
    return session.info.setdefault(ACTOR_KEY, Actor())


def _pending(session: Session) -> _Pending:
    return session.info.setdefault(PENDING_KEY, _Pending())


def _after_flush(session: Session, flush_context: Any) -> None:
    pending: _Pending | None = None
    new, dirty = session.new, session.dirty  # each access builds a new set: read once
    for obj in itertools.chain(new, dirty, session.deleted):
        if not isinstance(obj, (Poll, Question, Answer, SeriesMember, SeriesMapping, SeriesOutcome, Pollster, Sponsor)):
            continue
        if pending is None:
            pending = _pending(session)
        state = inspect(obj).dict
        if isinstance(obj, Poll):
            _add(pending.polls, state.get("id"))
        elif isinstance(obj, Question):
            _add(pending.polls, state.get("poll_id"))
        elif isinstance(obj, Answer):
            _note_via_parent(state, "question", "poll_id", pending.polls, "question_id", pending.questions)
        elif isinstance(obj, SeriesMember):
            _add(pending.questions, state.get("question_id"))
        elif isinstance(obj, SeriesMapping):
            _note_via_parent(state, "member", "question_id", pending.questions, "member_id", pending.members)
        elif isinstance(obj, SeriesOutcome):
            if obj not in new:  # a new outcome maps no answer yet
                _add(pending.series, state.get("series_id"))
        elif obj in dirty and _changed(obj, "name", "slug"):  # Pollster, Sponsor
            _add(pending.pollsters if isinstance(obj, Pollster) else pending.sponsors, state.get("id"))


def _note_via_parent(
    state: dict[str, Any], parent: str, parent_key: str, found: set[int], own_key: str, fallback: set[int]
) -> None:
    """Note the id a loaded parent already knows (an answer's question's poll), or else the row's own
    foreign key, resolved to polls at commit (one query for all of them)."""
    loaded = state.get(parent)
    value = inspect(loaded).dict.get(parent_key) if loaded is not None else None
    if value is not None:
        found.add(value)
    else:
        _add(fallback, state.get(own_key))


def _add(ids: set[int], value: int | None) -> None:
    if value is not None:
        ids.add(value)


def _changed(obj: Any, *names: str) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _before_commit(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # the commit's own flush comes after this event: note its polls now
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    poll_ids = _resolve(session, pending)
    if poll_ids:
        record(session, poll_ids, refresh=pending.refresh)


def _forget(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
    session.info.pop(ACTOR_KEY, None)


def _forget_on_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the outermost transaction: nothing of it survives
        _forget(session)


def _resolve(session: Session, pending: _Pending) -> set[int]:
    ids = set(pending.polls)
    for lookup, source in (
        (repository.poll_ids_of_questions, pending.questions),
        (repository.poll_ids_of_members, pending.members),
        (repository.poll_ids_of_series, pending.series),
    ):
        for chunk in _chunks(sorted(source)):
            ids |= lookup(session, chunk)
    if pending.pollsters or pending.sponsors:
        ids |= repository.poll_ids_of_organisations(session, sorted(pending.pollsters), sorted(pending.sponsors))
    return ids


def _chunks(ids: Sequence[int], size: int = repository.CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


# ---------------------------------------------------------------- snapshots and revisions


def snapshot(poll: Poll, memberships: dict[str, Any]) -> dict[str, Any]:
    """What every series row of ``poll`` depends on, as plain JSON values (see the module docstring).

    ``memberships``: {series slug: {question code: {outcome code: {"position": p, "answers": [codes]}}}}.
    """
    from pollapp.services.polls import poll_document

    raw = {
        "poll_id": poll.id,
        "poll": poll_document(poll),
        "pollster_name": poll.pollster.name,
        "question_ids": {q.code: q.id for q in poll.questions},
        "series": memberships,
        "deleted": poll.deleted_at is not None,
    }
    return orjson.loads(canonical(raw))


def canonical(value: Any) -> bytes:
    """Canonical JSON: sorted keys, dates ISO 8601, floats in their shortest round-tripping form."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def content_hash(snap: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(snap)).hexdigest()


def _memberships(rows: Iterable[Any]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        outcome = (
            out.setdefault(row.poll_id, {})
            .setdefault(row.series, {})
            .setdefault(row.question, {})
            .setdefault(row.outcome, {"position": row.outcome_position, "answers": []})
        )
        outcome["answers"].append(row.answer)
    return out


def live_series(snap: dict[str, Any] | None) -> set[str]:
    """The series a snapshot's poll counts in (none when it is deleted)."""
    if snap is None or snap.get("deleted"):
        return set()
    return set(snap.get("series", {}))


def record(session: Session, poll_ids: Iterable[int], *, refresh: Iterable[int] = ()) -> int:
    """Write a revision for each of ``poll_ids`` whose snapshot changed; returns how many were written."""
    actor = _actor(session)
    now = dt.datetime.now(dt.timezone.utc)
    refresh = set(refresh)
    series_ids = repository.series_ids_by_slug(session)
    written = 0
    for chunk in _chunks(sorted(set(poll_ids))):
        polls = repository.polls_for_history(session, chunk, refresh=bool(refresh.intersection(chunk)))
        memberships = _memberships(repository.membership_rows(session, chunk))
        latest = repository.latest_revisions(session, chunk)
        snaps: dict[int, tuple[dict[str, Any], str]] = {}
        for poll in polls:
            snap = snapshot(poll, memberships.get(poll.id, {}))
            digest = content_hash(snap)
            if poll.id not in latest or latest[poll.id][2] != digest:
                snaps[poll.id] = (snap, digest)
        if not snaps:
            continue
        previous = repository.revision_snapshots(session, [latest[p][0] for p in snaps if p in latest])
        rows, links = [], []
        for poll_id, (snap, digest) in snaps.items():
            before = previous.get(latest[poll_id][0]) if poll_id in latest else None
            rows.append({
                "poll_id": poll_id,
                "revision": latest[poll_id][1] + 1 if poll_id in latest else 1,
                "action": _action(before, snap),
                "recorded_at": now,
                "api_key_id": actor.api_key_id,
                "actor": actor.label,
                "reason": actor.reason,
                "content_hash": digest,
                "snapshot": snap,
                "changes": diff(before, snap) if before is not None else [],
            })
            links.append(_series_kinds(before, snap, series_ids))
        table = PollRevision.__table__
        ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars().all()
        link_rows = [
            {"revision_id": rid, "series_id": sid, "kind": kind}
            for rid, kinds in zip(ids, links)
            for sid, kind in kinds.items()
        ]
        if link_rows:
            session.execute(insert(PollRevisionSeries.__table__), link_rows)
        written += len(rows)
    return written


def record_baseline(session: Session) -> int:
    """Revision 1 of every poll that has none (polls stored before history was recorded)."""
    return record(session, repository.poll_ids_without_revisions(session))


def _action(before: dict[str, Any] | None, after: dict[str, Any]) -> RevisionAction:
    if before is None:
        return RevisionAction.DELETE if after["deleted"] else RevisionAction.CREATE
    if after["deleted"] and not before["deleted"]:
        return RevisionAction.DELETE
    if before["deleted"] and not after["deleted"]:
        return RevisionAction.RESTORE
    return RevisionAction.UPDATE


def _series_kinds(
    before: dict[str, Any] | None, after: dict[str, Any], series_ids: dict[str, int]
) -> dict[int, SeriesChangeKind]:
    """What the revision did to each series the poll counted in before or after it."""
    was, now = live_series(before), live_series(after)
    kinds = {}
    for slug in was | now:
        if slug not in series_ids:  # the series itself was deleted
            continue
        if slug in now and slug not in was:
            kinds[series_ids[slug]] = SeriesChangeKind.ADDED
        elif slug in was and slug not in now:
            kinds[series_ids[slug]] = SeriesChangeKind.REMOVED
        else:
            kinds[series_ids[slug]] = SeriesChangeKind.CORRECTED
    return kinds


# ---------------------------------------------------------------- changes between snapshots


def _keyed(snap: dict[str, Any]) -> dict[str, Any]:
    """Questions and answers keyed by code, so that a change is named by codes, not list positions."""
    poll = dict(snap["poll"])
    poll["questions"] = {
        q["code"]: {**q, "answers": {a["code"]: a for a in q["answers"]}} for q in poll.get("questions", [])
    }
    return {**snap, "poll": poll}


def _escape(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Every difference as ``{path, from, to}``; paths are JSON Pointers into the snapshot with
    questions and answers addressed by code (``/poll/questions/q1/answers/yes/pct``)."""
    out: list[dict[str, Any]] = []
    _diff(_keyed(before), _keyed(after), "", out)
    return out


def _diff(a: Any, b: Any, path: str, out: list[dict[str, Any]]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            sub = f"{path}/{_escape(key)}"
            if key not in a:
                out.append({"path": sub, "from": None, "to": b[key]})
            elif key not in b:
                out.append({"path": sub, "from": a[key], "to": None})
            else:
                _diff(a[key], b[key], sub, out)
    elif a != b:
        out.append({"path": path, "from": a, "to": b})
