"""A database outage: API reads answer 503 problem+json with Retry-After, /readyz says 503 and why,
/healthz stays 200, newsroom pages show a friendly 503 page; when the database is back the SAME app
answers 200 (dead pooled connections are replaced: pollapp.dbpool), with no restart.

SQLite always: the database file's directory does not exist yet (unreachable), then it is created
and migrated. PostgreSQL when ``TEST_DATABASE_URL`` names one (the CI's second pass): a database of
the test's own, migrated, then closed to connections and its sessions killed
(``pg_terminate_backend``), then opened again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, make_url, text

from factories import PROBLEM
from pollapp import create_app
from pollapp.extensions import db

SERVER_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if SERVER_URL.startswith("postgresql") else [])
LEAKS = ("Traceback", "sqlite", "psycopg", "SELECT", "unable to open", "does not allow", "/tmp/")


def upgrade(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output


@pytest.fixture(params=BACKENDS)
def outage(request, tmp_path: Path) -> Iterator[tuple[Flask, Callable[[], None], Callable[[], None]]]:
    """(app, take the database down, bring it back); the app starts with the database up or down."""
    if request.param == "sqlite":
        folder = tmp_path / "not-yet"
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'polls.db'}"})

        def back() -> None:
            folder.mkdir(exist_ok=True)
            upgrade(app)

        yield app, lambda: None, back  # starts down: the file cannot be opened
        with app.app_context():
            db.engine.dispose()
        return
    url = make_url(SERVER_URL)
    name = f"{url.database}_outage"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url.set(database=name).render_as_string(hide_password=False)})
    upgrade(app)

    def allow(allowed: bool) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(allowed).lower()}'))
            if not allowed:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name})

    try:
        with app.app_context():  # a pooled connection exists, as in a running server
            db.session.execute(text("SELECT 1"))
            db.session.remove()
        yield app, lambda: allow(False), lambda: allow(True)
    finally:
        with app.app_context():
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def assert_unavailable(response) -> dict:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    assert response.headers["Retry-After"].isdigit()
    assert response.headers["Cache-Control"] == "no-store"
    text_ = response.get_data(as_text=True)
    assert not [leak for leak in LEAKS if leak in text_], text_
    return response.get_json()


def test_an_outage_gives_503_and_the_same_app_recovers_when_the_database_is_back(outage):
    app, down, back = outage
    client = app.test_client()
    down()

    assert_unavailable(client.get("/api/v1/polls"))
    assert_unavailable(client.get("/api/v1/series/any/points"))
    assert "database does not answer" in assert_unavailable(client.get("/readyz"))["detail"]
    assert client.get("/healthz").status_code == 200  # the process is fine: do not restart it
    page = client.get("/embed/series/any")
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert page.headers["Retry-After"].isdigit() and "temporarily unavailable" in page.get_data(as_text=True)
    assert not [leak for leak in LEAKS if leak in page.get_data(as_text=True)]
    assert_unavailable(client.get("/charts/series/any.svg"))

    back()

    assert client.get("/readyz").status_code == 200
    listing = client.get("/api/v1/polls")
    assert listing.status_code == 200 and listing.get_json()["total"] == 0
    assert client.get("/").status_code == 200
