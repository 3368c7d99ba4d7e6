"""Pooled database connections are pinged before use only when they have sat idle.

SQLAlchemy's ``pool_pre_ping`` sends a ``SELECT 1`` on every checkout: on PostgreSQL one more round trip
for every request, a third of the database work of a cached read (whose only statement is the data
generation). A connection that was in use a moment ago is as good as a ping; the ones that may have
died unnoticed (a database restart, a failover, a proxy's idle timeout) are those that sat in the pool.
So the ping happens only after ``DATABASE_PING_AFTER`` seconds idle (``POLLAPP_DATABASE_PING_AFTER``,
default 1; ``0`` pings on every checkout, as ``pool_pre_ping`` did). A failed ping discards the
connection and the pool opens a fresh one (SQLAlchemy's documented pessimistic disconnect handling:
``DisconnectionError`` from a ``checkout`` listener). A connection that dies while in steady use fails
its request with a 503 (:func:`pollapp.api.problems.database_unavailable_to_problem`), and SQLAlchemy
then invalidates the pool, so the next request reconnects.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

CHECKED_IN = "pollapp.checked_in"  # monotonic time the connection went back to the pool


def ping_when_idle(engine: Engine, after: float) -> None:
    """Install the listeners on ``engine`` (whose ``pool_pre_ping`` should be off)."""

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info[CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get(CHECKED_IN)
        if idle_since is None or time.monotonic() - idle_since < after:
            return  # new (just connected), or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - any failure: this connection is not to be used
            raise exc.DisconnectionError(f"ping after idle failed: {error}") from error
