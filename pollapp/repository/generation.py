"""The data generation counter (:mod:`pollapp.services.data_generation`): read in or outside the
session's transaction, bumped by every write, raised by a restore.

A module of its own: it is one row read on every cached request (through the driver's SQL, not the
ORM), with nothing in common with the domain queries."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, scoped_session

from pollapp.models import DataGeneration


_DATA_GENERATION_SQL = "SELECT value FROM data_generation WHERE id = 1"


def data_generation(session: Session) -> int:
    """The data generation: one primary-key SELECT (0 if the row is missing), in the session's transaction.
    On every cached read, so it skips the ORM's statement machinery (a third of a cached hit's time
    through ``session.execute``)."""
    row = session.connection().exec_driver_sql(_DATA_GENERATION_SQL).first()
    return int(row[0]) if row else 0


def committed_data_generation(session: Session) -> int:
    """The last committed data generation; outside any transaction when the session has none open yet.

    A cached read's only statement: in the session's transaction it costs PostgreSQL three round trips
    (BEGIN, the SELECT, the pool's ROLLBACK on return); on a pooled connection in autocommit it is one.
    What it returns is the same under READ COMMITTED (each statement sees the last commit either way)
    and on SQLite (whose driver opens no transaction for a SELECT). A session already in a transaction
    (it has read or written) is asked in that transaction, which may hold its own uncommitted bump."""
    if (session() if isinstance(session, scoped_session) else session).in_transaction():
        return data_generation(session)
    with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        row = connection.exec_driver_sql(_DATA_GENERATION_SQL).first()
    return int(row[0]) if row else 0


def bump_data_generation(session: Session, at: dt.datetime) -> None:
    """``value = value + 1`` in the session's transaction (the row lock orders concurrent writers);
    the row is created if a database lacks it."""
    result = session.execute(
        update(DataGeneration).where(DataGeneration.id == 1).values(value=DataGeneration.value + 1, changed_at=at),
        execution_options={"synchronize_session": False},
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.execute(insert(DataGeneration).values(id=1, value=1, changed_at=at))


def raise_data_generation(session: Session, floor: int) -> None:
    """``value = max(value, floor)`` (a restore continues after the dumped database's generation)."""
    session.execute(
        update(DataGeneration).where(DataGeneration.id == 1, DataGeneration.value < floor).values(value=floor),
        execution_options={"synchronize_session": False},
    )


def data_generation_stamp(session: Session) -> tuple[int, dt.datetime | None]:
    """The generation and the instant of the commit that set it (None before the first data change),
    read together in the session's transaction: a data version that names a state of the database."""
    row = session.execute(
        select(DataGeneration.value, DataGeneration.changed_at).where(DataGeneration.id == 1)
    ).first()
    return (int(row[0]), row[1]) if row else (0, None)
