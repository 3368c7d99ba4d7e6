"""Reading the revision history: a poll's revisions (newest first) and a series' changelog (oldest
first: what was added, corrected and removed since a given instant)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import NotFound
from pollapp.models import PollRevision
from pollapp.services.pagination import Page, decode_cursor, encode_cursor
from pollapp.services.series import get_series


def poll_history(session: Session, poll_id: int, *, cursor: str | None, limit: int) -> Page[PollRevision]:
    """Revisions of a poll, newest first; deleted polls included (their history is what remains)."""
    kind = f"history:{poll_id}"
    before = decode_cursor(cursor, kind, (int,))[0] if cursor else None
    rows, total = repository.poll_revisions(session, poll_id, before=before, limit=limit)
    if total == 0 and not repository.poll_exists(session, poll_id):
        raise NotFound(f"No poll with id {poll_id}.")
    next_cursor = encode_cursor(kind, (rows[limit - 1].revision,)) if len(rows) > limit else None
    return Page(rows[:limit], next_cursor, total)


def series_changes(
    session: Session, slug: str, *, since: dt.datetime | None, cursor: str | None, limit: int
) -> Page[dict[str, Any]]:
    """Revisions of polls that entered, changed in or left the series, oldest first."""
    series = get_series(session, slug)
    kind = f"changes:{slug}:{since.isoformat() if since else ''}"
    after = decode_cursor(cursor, kind, (dt.datetime, int)) if cursor else None
    rows, total = repository.series_changes(session, series.id, since=since, after=after, limit=limit)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = encode_cursor(kind, (last.recorded_at, last.id))
    items = [
        {
            "poll_id": revision.poll_id,
            "revision": revision.revision,
            "recorded_at": revision.recorded_at,
            "kind": change_kind,
            "action": revision.action,
            "actor": revision.actor,
            "reason": revision.reason,
            "changed_paths": [c["path"] for c in revision.changes or []],
        }
        for revision, change_kind in rows[:limit]
    ]
    return Page(items, next_cursor, total)
