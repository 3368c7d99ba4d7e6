"""Bulk writes through the raw driver (sqlite3 ``executemany`` or PostgreSQL ``COPY``) for the import
fast path, with the helpers it needs: id reservation, timestamps as the driver takes them, the
existing polls of a source and their latest snapshots.

Kept in one module because these writes bypass SQLAlchemy events: :func:`bulk_insert` is the one place
that marks the session as having changed data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, Text, and_, cast, func, select, text
from sqlalchemy.orm import Session

from pollapp.models import Poll, PollRevision
from pollapp.repository.history import CHUNK


# The import fast path (services.imports_fte_fast) writes through the DBAPI connection of the session's
# own transaction: sqlite3 ``executemany`` or PostgreSQL ``COPY ... FROM STDIN``, 3-10x faster than
# SQLAlchemy Core executemany. Such writes bypass SQLAlchemy events, so they all go through
# :func:`bulk_insert`, the one place that tells the rest of the app that data changed.
DATA_CHANGED_KEY = "pollapp.data_changed"


def bulk_insert(session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order, values as :func:`timestamp_value` and plain Python
    give them; JSON columns as JSON text) into ``table`` in the session's transaction.

    Marks the session: ``session.info["pollapp.data_changed"] = True`` (a before_commit hook that moves
    the data generation counter reads it; SQLAlchemy events never see these rows)."""
    session.info[DATA_CHANGED_KEY] = True
    if not rows:
        return
    driver = session.connection().connection.driver_connection
    names = ", ".join(f'"{c}"' for c in columns)
    if session.get_bind().dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    cursor = driver.cursor()
    try:
        cursor.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)
    finally:
        cursor.close()


def reserve_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys for ``table``, ascending, for rows :func:`bulk_insert` will write.

    PostgreSQL: taken from the id sequence (``nextval`` ``count`` times), so concurrent writers never
    collide. SQLite: max(id)+1 onwards, read inside the write transaction (the caller has written in
    it already, so SQLite's write lock keeps other writers out until the commit)."""
    if count <= 0:
        return []
    column = list(table.primary_key.columns)[0].name
    if session.get_bind().dialect.name == "postgresql":
        params = {"table": table.name, "column": column, "n": count}
        taken = "SELECT nextval(pg_get_serial_sequence(:table, :column)) AS v FROM generate_series(1, :n)"
        low, high = session.execute(text(f"SELECT min(v), max(v) FROM ({taken}) AS taken"), params).one()
        if high - low + 1 == count:  # no concurrent writer took a value in between: one range
            return list(range(low, high + 1))
        return sorted(session.execute(text(taken), params).scalars())  # pragma: no cover - a race
    session.execute(text(f'UPDATE "{table.name}" SET "{column}" = "{column}" WHERE 0'))  # takes the write lock
    start = session.execute(text(f'SELECT coalesce(max("{column}"), 0) + 1 FROM "{table.name}"')).scalar_one()
    return list(range(start, start + count))


def timestamp_value(session: Session, value: dt.datetime) -> Any:
    """A UTC timestamp as :func:`bulk_insert` must pass it: SQLite stores SQLAlchemy's text form
    (``YYYY-MM-DD HH:MM:SS.ffffff``, naive UTC), PostgreSQL takes the aware datetime."""
    value = value.astimezone(dt.timezone.utc)
    if session.get_bind().dialect.name == "postgresql":
        return value
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def poll_keys_by_source(session: Session, source: str) -> dict[str, tuple[int, bool]]:
    """source_id -> (poll id, deleted) of every poll imported from ``source`` (deleted ones too)."""
    query = select(Poll.source_id, Poll.id, Poll.deleted_at.is_not(None)).where(Poll.source == source)
    return {source_id: (poll_id, bool(deleted)) for source_id, poll_id, deleted in session.execute(query)}


def latest_snapshot_texts(session: Session, poll_ids: Sequence[int]) -> dict[int, str]:
    """poll id -> its latest revision's snapshot as JSON text (parsed by the caller with orjson, much
    faster than the driver's json); one query per :data:`CHUNK` polls."""
    out: dict[int, str] = {}
    ids = list(poll_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        latest = (
            select(PollRevision.poll_id, func.max(PollRevision.revision).label("revision"))
            .where(PollRevision.poll_id.in_(chunk))
            .group_by(PollRevision.poll_id)
            .subquery()
        )
        query = select(PollRevision.poll_id, cast(PollRevision.snapshot, Text)).join(
            latest, and_(PollRevision.poll_id == latest.c.poll_id, PollRevision.revision == latest.c.revision)
        )
        out.update((poll_id, snapshot) for poll_id, snapshot in session.execute(query))
    return out
