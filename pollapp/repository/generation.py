"""The data generation counter (:mod:`pollapp.services.data_generation`): read in or outside the
session's transaction, bumped by every write, raised by a restore.

A module of its own: it is one row read on every cached request (through the driver's SQL, not the
ORM), with nothing in common with the domain queries."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.engine import Engine
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


class CommittedGenerationReader:
    """The committed data generation read on a connection of its own, outside the pool.

    Why: it is the only statement of a cached hit served by :mod:`pollapp.web.hit_path`, and through the
    pool (checkout, SQLAlchemy's connection and result objects, checkin and reset) it costs several
    times the SELECT itself. The process keeps one driver connection, taken from ``engine`` (so its
    connect events apply: SQLite pragmas, PostgreSQL options) and detached from the pool, in autocommit
    on PostgreSQL (one round trip, no transaction held; SQLite's driver opens none for a SELECT).
    Threads take turns on it (a lock around a sub-millisecond read): one connection per thread would
    leak one with every thread a threaded server starts and ends. It is made again after a fork
    (another process id); ``engine.dispose()`` closes it, as it closes the pool's; and any error closes
    it: the caller then takes the ordinary path, which meets the same error and answers it.

    ``lease`` (seconds, 0: none): a value read is answered again, without a SELECT, until ``lease``
    after the moment its SELECT was sent. That is safe because every commit that moves the generation
    waits as long before it returns (:mod:`pollapp.services.data_generation`): a request that starts
    after a write's response was sent finds either no value or one whose SELECT was sent after the
    commit, on every instance. Under load this turns one round trip per cached hit into one per lease
    per process."""

    def __init__(self, engine: Engine, lease: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._lock = threading.RLock()
        self._connection: Any = None
        self._pool: Any = None
        self._pid = 0
        self._lease = max(float(lease), 0.0)
        self.clock = clock  # a test may give the reader a clock of its own
        self._known: int | None = None
        self._known_until = 0.0
        self.connects = 0  # connections opened so far (tests, diagnostics)
        self.selects = 0  # SELECTs sent so far (tests, diagnostics)
        event.listen(engine, "engine_disposed", self._disposed)

    @property
    def lease(self) -> float:
        return self._lease

    def read(self) -> int:
        """The generation, or an exception from the driver (the connection is then closed)."""
        with self._lock:
            pool, pid = self._engine.pool, os.getpid()
            if self._connection is None or self._pool is not pool or self._pid != pid:
                self._drop(pid)
                self._connection, self._pool, self._pid = self._connect(), pool, pid
            elif self._known is not None and self.clock() < self._known_until:
                return self._known
            connection = self._connection
            asked = self.clock()  # before the SELECT is sent: the lease never outlasts what it saw
            try:
                cursor = connection.cursor()
                try:
                    cursor.execute(_DATA_GENERATION_SQL)
                    row = cursor.fetchone()
                finally:
                    cursor.close()
            except Exception:
                self._drop(pid)
                raise
            self.selects += 1
            value = int(row[0]) if row else 0
            if self._lease:
                self._known, self._known_until = value, asked + self._lease
        return value

    def _disposed(self, engine: Engine) -> None:
        with self._lock:
            self._drop(os.getpid())

    def _drop(self, pid: int) -> None:
        """Forget the connection; close it only in the process that opened it (a forked child leaves
        its parent's socket alone)."""
        connection, self._connection = self._connection, None
        self._known = None
        if connection is not None and self._pid == pid:
            _close_quietly(connection)

    def _connect(self) -> Any:
        proxied = self._engine.raw_connection()
        proxied.detach()  # ours until closed: the pool neither counts it nor resets it
        connection = proxied.dbapi_connection
        if self._engine.dialect.name == "postgresql":
            connection.autocommit = True
        self.connects += 1
        return connection


def _close_quietly(connection: Any) -> None:
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is dropped either way
        pass


def data_generation_stamp(session: Session) -> tuple[int, dt.datetime | None]:
    """The generation and the instant of the commit that set it (None before the first data change),
    read together in the session's transaction: a data version that names a state of the database."""
    row = session.execute(
        select(DataGeneration.value, DataGeneration.changed_at).where(DataGeneration.id == 1)
    ).first()
    return (int(row[0]), row[1]) if row else (0, None)
