"""Newsroom pages tested against REAL data: the repository's ``data/`` seed files for the Ukraine-war
polls (38 polls: KIIS, Levada Center, Rating Group, Gallup), loaded once per session the way
``make run`` does (``flask db upgrade``, ``flask data load``) into a database of their own, which the
tests only read. ``live_server`` serves that app on 127.0.0.1 (a random free port) for the browser tests.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from pollapp.extensions import db
from pollapp.models import Poll

from embed_support import KIIS_PEACE_POLL
from live_pollapp import served_in_thread
from own_database import migrated_app

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="session")
def real_app(tmp_path_factory) -> Iterator[Flask]:
    source = tmp_path_factory.mktemp("seed-subset")
    for name in ("pollsters.csv", "sponsors.csv", "series.json"):
        shutil.copy(DATA / name, source / name)
    (source / "polls").mkdir()
    shutil.copy(DATA / "polls" / "ukraine_war.csv", source / "polls" / "ukraine_war.csv")
    assets = str(tmp_path_factory.mktemp("chart-assets"))
    with migrated_app(tmp_path_factory.mktemp("charts"), "charts_test", CHART_ASSET_DIR=assets) as app:
        loaded = app.test_cli_runner().invoke(args=["data", "load", str(source)])
        assert loaded.exit_code == 0, loaded.output
        yield app


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
    with served_in_thread(real_app) as url:
        yield url
