"""Test fixtures: an app with a fresh database per test, a client, an API key and document factories.

Building an app costs about 0.25 s (flask-smorest generates the OpenAPI description of every view),
which was more than half of the suite's time: one app per database is built once per session and
every test gets it back reset - an empty database, the configuration as it was built, and none of the
caches earlier requests filled (``app.extensions`` keys added after creation are dropped).

The database is SQLite (a new file per test) unless ``TEST_DATABASE_URL`` names another, e.g.
PostgreSQL; ``make test`` runs the suite once on each. On SQLite each test gets a copy of an empty
database made once per session. On PostgreSQL the schema is created once per
session (``create_all`` is allowed in tests only; the migration test checks it equals the
migrations) and every table is emptied (and its id sequence restarted) before each test.

On PostgreSQL the app's pooled connections (and the hit path's detached generation reader) are kept
from test to test instead of being disposed: closing and reopening them cost about 40 ms twice per
test. That is safe because a connection goes back to the pool rolled back (the pool's reset), the
app sets no session state on it (no ``SET``, advisory lock or temporary table), the schema it has
prepared statements for is never dropped during the session, and a dead one is replaced on checkout
(``pool_pre_ping``). A test that disposes the engine itself still can. On SQLite the file is
replaced under the connections, so they are disposed (cheap: no server round trip).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text

from pollapp import create_app
from pollapp.extensions import db
from pollapp.models import Base

from factories import KIIS_LIKE_POLL, make_key, poll_doc  # noqa: F401  (synthetic documents; see factories.py)
from own_database import RealData

STATEMENT_TIMEOUT_MS = 60_000
# Writes in tests do not wait out the data generation's lease (20 ms per write by default): every app a
# test builds, and every CLI or server process it starts, reads this. tests/api/test_generation_lease.py
# tests the lease and the wait; tests/test_scale_out.py runs its servers with the production default.
os.environ["POLLAPP_GENERATION_LEASE_MS"] = "0"
# Rate limits are off in every app the tests build (a suite makes thousands of requests from one
# address); tests/api/test_rate_limits.py switches them on for its own apps.
os.environ.setdefault("POLLAPP_RATELIMIT_ENABLED", "false")
_server_schema_ready = False
_server_reset_sql: list[str] = []


_shared_apps: dict[str, tuple[Flask, dict[str, Any], frozenset[str]]] = {}


@pytest.fixture(scope="session")
def sqlite_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("db") / "test.db"


@pytest.fixture
def database_url(sqlite_path: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{sqlite_path}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An empty SQLite database with the schema, made once and copied for each test (copying a file
    is ten times faster than creating the tables)."""
    path = tmp_path_factory.mktemp("template") / "schema.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


def _shared_app(database_url: str) -> Flask:
    """The session's app for ``database_url``, reset for a new test (see the module docstring)."""
    if database_url not in _shared_apps:
        config: dict[str, Any] = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False}
        if database_url.startswith("postgresql"):
            # A runaway query fails its test after a minute instead of hanging the run (a statistics query
            # once ran for 9 minutes on a database whose planner statistics said its tables were empty).
            config["SQLALCHEMY_ENGINE_OPTIONS"] = {
                "pool_pre_ping": True,
                "connect_args": {"options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"},
            }
        built = create_app(config)
        _shared_apps[database_url] = (built, dict(built.config), frozenset(built.extensions))
    app, config_as_built, extensions_as_built = _shared_apps[database_url]
    app.config.clear()
    app.config.update(config_as_built)
    for key in set(app.extensions) - extensions_as_built:
        del app.extensions[key]
    return app


@pytest.fixture
def app(database_url: str, sqlite_template: Path) -> Iterator[Flask]:
    global _server_schema_ready
    app = _shared_app(database_url)
    sqlite = database_url.startswith("sqlite")
    with app.app_context():
        db.session.remove()
        if sqlite:
            db.engine.dispose()
            shutil.copyfile(sqlite_template, make_url(database_url).database)
        else:
            if not _server_schema_ready:
                with db.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
                db.create_all()
                with db.engine.connect() as conn:
                    sequences = conn.execute(
                        text("SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'")
                    ).scalars()
                    _server_reset_sql.extend(f'DELETE FROM "{t.name}"' for t in reversed(Base.metadata.sorted_tables)
                                            if t.name != "data_generation")  # one seeded row; only ever grows
                    _server_reset_sql.extend(f'ALTER SEQUENCE "{name}" RESTART' for name in sequences)
                _server_schema_ready = True
            # DELETE + sequence restart in one round trip: 4x faster than TRUNCATE on these small tables
            with db.engine.begin() as conn:
                conn.exec_driver_sql("; ".join(_server_reset_sql))
    yield app
    with app.app_context():
        db.session.remove()
        if sqlite:
            db.engine.dispose()


@pytest.fixture(scope="session")
def real_data(tmp_path_factory) -> Iterator[RealData]:
    """The repository's data/ loaded once per session; modules take fresh copies (own_database.RealData)."""
    loaded = RealData(tmp_path_factory.mktemp("real-data"))
    yield loaded
    loaded.close()


@pytest.fixture
def more_apps(app: Flask) -> Iterator[Any]:
    """Builds more app instances on the test's database (as more servers or workers would be), with
    rate limits off unless the config given says otherwise; each is torn down after the test."""
    built: list[Flask] = []

    def build(**config: Any) -> Flask:
        built.append(create_app({
            "TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SQLALCHEMY_ENGINE_OPTIONS": app.config["SQLALCHEMY_ENGINE_OPTIONS"], "RATELIMIT_ENABLED": False,
            "GENERATION_LEASE_MS": app.config["GENERATION_LEASE_MS"],  # one lease per database
            **config,
        }))
        return built[-1]

    yield build
    for each in built:
        with each.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def auth(app: Flask) -> dict[str, str]:
    """Headers carrying a write key."""
    return {"Authorization": f"Bearer {make_key(app)}"}


@pytest.fixture
def admin(app: Flask) -> dict[str, str]:
    """Headers carrying an admin key (deletes need the admin scope)."""
    return {"Authorization": f"Bearer {make_key(app, 'admin')}"}


@pytest.fixture
def pollster(client: FlaskClient, auth: dict[str, str]) -> dict[str, Any]:
    response = client.post(
        "/api/v1/pollsters",
        json={"slug": "kiis", "name": "Kyiv International Institute of Sociology", "country": "UA"},
        headers=auth,
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def poll(client: FlaskClient, auth: dict[str, str], pollster: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/polls", json=poll_doc(), headers=auth)
    assert response.status_code == 201, response.get_json()
    return response.get_json()
