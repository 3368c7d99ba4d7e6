"""Newsroom pages tested against REAL data: the repository's ``data/`` seed files for the Ukraine-war
polls (38 polls: KIIS, Levada Center, Rating Group, Gallup), loaded once per session the way
``make run`` does (``flask db upgrade``, ``flask data load``) into a database of their own, which the
tests only read. ``live_server`` serves that app on 127.0.0.1 (a random free port) for the browser tests.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text
from werkzeug.serving import make_server

from pollapp import create_app
from pollapp.extensions import db
from pollapp.models import Poll

from embed_support import KIIS_PEACE_POLL

DATA = Path(__file__).resolve().parents[2] / "data"
SERVER_URL = os.environ.get("TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def real_app(tmp_path_factory) -> Iterator[Flask]:
    source = tmp_path_factory.mktemp("seed-subset")
    for name in ("pollsters.csv", "sponsors.csv", "series.json"):
        shutil.copy(DATA / name, source / name)
    (source / "polls").mkdir()
    shutil.copy(DATA / "polls" / "ukraine_war.csv", source / "polls" / "ukraine_war.csv")
    config = {"TESTING": True, "CHART_ASSET_DIR": str(tmp_path_factory.mktemp("chart-assets"))}
    schema = None
    if SERVER_URL and not SERVER_URL.startswith("sqlite"):
        schema = f"charts_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(SERVER_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        config["SQLALCHEMY_DATABASE_URI"] = SERVER_URL
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": f"-csearch_path={schema}"}}
    else:
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path_factory.mktemp('charts') / 'charts.db'}"
    app = create_app(config)
    try:
        runner = app.test_cli_runner()
        upgraded = runner.invoke(args=["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        loaded = runner.invoke(args=["data", "load", str(source)])
        assert loaded.exit_code == 0, loaded.output
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture(scope="session")
def real_client(real_app: Flask):
    return real_app.test_client()


@pytest.fixture(scope="session")
def peace_poll_id(real_app: Flask) -> int:
    with real_app.app_context():
        poll_id = db.session.scalar(select(Poll.id).where(Poll.source_id == KIIS_PEACE_POLL))
        db.session.remove()
    assert poll_id is not None
    return poll_id


@pytest.fixture(scope="session")
def live_server(real_app: Flask) -> Iterator[str]:
    """The real-data app on 127.0.0.1, a free port chosen by the OS, in a background thread."""
    server = make_server("127.0.0.1", 0, real_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
