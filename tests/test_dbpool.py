"""Idle pooled connections are pinged before use, busy ones are not (pollapp.dbpool); on PostgreSQL
(``TEST_DATABASE_URL``) a connection killed while idle is replaced instead of failing the request."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from pollapp.dbpool import CHECKED_IN, ping_when_idle

SERVER_URL = os.environ.get("TEST_DATABASE_URL", "")


def test_only_a_connection_idle_longer_than_the_setting_is_pinged(tmp_path, monkeypatch):
    engine = create_engine(f"sqlite:///{tmp_path / 'ping.db'}")
    pings: list[object] = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda dbapi_connection: pings.append(dbapi_connection) or True)
    ping_when_idle(engine, after=60.0)
    with engine.connect() as conn:  # a new connection: never pinged
        conn.execute(text("SELECT 1"))
    with engine.connect() as conn:  # back in the pool a moment ago: not pinged
        conn.execute(text("SELECT 1"))
    assert pings == []

    record = engine.pool._pool.queue[0]  # the pooled connection, made to look idle for two minutes
    record.info[CHECKED_IN] -= 120
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert len(pings) == 1
    engine.dispose()


@pytest.mark.skipif(not SERVER_URL.startswith("postgresql"), reason="needs TEST_DATABASE_URL (PostgreSQL)")
@pytest.mark.parametrize("after", [0.0, 3600.0])
def test_a_connection_killed_while_idle_is_replaced_when_the_ping_is_due(after):
    engine = create_engine(SERVER_URL)
    ping_when_idle(engine, after=after)
    admin = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            first = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})

        if after == 0.0:  # due: the dead connection is found by the ping and replaced
            with engine.connect() as conn:
                assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != first
        else:  # control: not due, the dead connection is handed out and its first statement fails
            with pytest.raises(Exception), engine.connect() as conn:
                conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()
        admin.dispose()
