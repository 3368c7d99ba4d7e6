"""Query pieces every other repository module shares: the live-poll condition, the poll loading
options, the portable JSON-list filter, the row-count and rows-as-dicts helpers.

Kept apart (and importing no sibling) so the topical modules can all use them without import cycles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Select, cast, func, select
from sqlalchemy.orm import Session, selectinload

from pollapp.models import Answer, Poll, Question


#: A poll that is not soft-deleted. Every read of polls for lists, series points, statistics, exports
#: and data versions applies it; only single-poll reads (to answer 410) and history see deleted polls.
LIVE = Poll.deleted_at.is_(None)


def _poll_loading() -> list[Any]:
    return [
        selectinload(Poll.pollster),
        selectinload(Poll.sponsors),
        selectinload(Poll.partners),
        selectinload(Poll.questions).selectinload(Question.answers).selectinload(Answer.components),
    ]


def _json_list_contains(column: Any, value: str) -> Any:
    """Portable "JSON list contains a token" for the enum-checked token lists (modes, tags):
    the serialised list contains the quoted token on both SQLite and PostgreSQL."""
    return cast(column, String).like(f'%"{value}"%')


def _dicts(result: Any) -> list[dict[str, Any]]:
    """A Core result's rows as dicts (``dict(row._mapping)`` rebuilds the keys for every row: several
    times slower on the tens of thousands of rows of a large series)."""
    keys = tuple(result.keys())
    return [dict(zip(keys, row)) for row in result]


def _count(session: Session, query: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
