"""The SYNTHETIC benchmark generator (``bench/fill.py``) makes a database the app serves as it serves
real data: a SMALL fill (1,000 polls) on SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` names
one (in a schema of its own, dropped afterwards)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, make_url, select, text

from pollapp import create_app
from pollapp.extensions import db
from pollapp.models import Poll, PollRevision
from pollapp.services import history

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import fill  # noqa: E402
from fill_rows import SIZES  # noqa: E402

from own_database import SERVER_URL  # noqa: E402

# One backend per pass of the suite: SQLite, or the server the PostgreSQL pass names.
BACKENDS = ["server"] if SERVER_URL and not SERVER_URL.startswith("sqlite") else ["sqlite"]


@pytest.fixture(scope="module", params=BACKENDS)
def filled(request, tmp_path_factory) -> Iterator[tuple[str, dict[str, int]]]:
    """A database URL filled with the small size, and the row counts written."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fill') / 'small.db'}"
        yield url, fill.fill(url, SIZES["small"], quiet=True)
        return
    schema = f"fill_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(SERVER_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(SERVER_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        url_text = url.render_as_string(hide_password=False)
        yield url_text, fill.fill(url_text, SIZES["small"], quiet=True)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def served(filled):
    url, counts = filled
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    yield app, counts
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_fill_writes_the_small_shape(served):
    app, counts = served
    assert counts["polls"] == 1_000
    assert 8 <= counts["answers"] / counts["polls"] <= 12  # the large size: about a million answers
    assert counts["poll_sponsors"] and counts["poll_partners"] and counts["answer_components"]
    assert counts["poll_revisions"] > counts["polls"]  # corrections and deletions have a second revision
    with app.app_context():
        deleted = db.session.scalar(select(Poll.id).where(Poll.deleted_at.is_not(None)).limit(1))
        assert deleted is not None


def test_history_agrees_with_what_the_app_would_record(served):
    """Every poll's latest stored revision has the snapshot and hash the app computes for it: recording
    the polls again writes nothing (all corrected and deleted polls, and the first 200 others)."""
    app, _ = served
    with app.app_context():
        several = select(PollRevision.poll_id).where(PollRevision.revision > 1)
        ids = sorted(set(db.session.scalars(several)) | set(range(1, 201)))
        assert len(ids) > 220
        try:
            assert history.record(db.session, ids) == 0
        finally:
            db.session.rollback()


def test_the_app_serves_the_filled_database(served):
    app, counts = served
    client = app.test_client()
    page = client.get("/api/v1/polls?limit=200")
    assert page.status_code == 200, page.get_json()
    body = page.get_json()
    assert len(body["items"]) == 200 and body["next_cursor"]
    with app.app_context():
        live = db.session.scalar(select(Poll.id).where(Poll.deleted_at.is_(None)).order_by(Poll.id.desc()).limit(1))
        assert body["total"] == db.session.query(Poll).filter(Poll.deleted_at.is_(None)).count() < counts["polls"]
    assert client.get(f"/api/v1/polls/{live}").status_code == 200
    slug = "synthetic-xa-approval-6"
    points = client.get(f"/api/v1/series/{slug}/points?limit=200")
    assert points.status_code == 200 and len(points.get_json()["items"]) == 200
    trend = client.get(f"/api/v1/series/{slug}/trend?outcome=approve")
    assert trend.status_code == 200, trend.get_json()
    assert client.get(f"/embed/series/{slug}").status_code == 200
    assert client.get(f"/api/v1/series/{slug}/changes").status_code == 200


def test_the_list_filters_have_their_indexes(filled):
    """Migration 0005: the ``sponsor`` filter and pollster lookups of partners use an index (found
    missing by bench/bench_plans.py: sequential scans of the link tables at 100,000 polls)."""
    url, _ = filled
    engine = create_engine(url)
    try:
        found = {(table, tuple(ix["column_names"])) for table in ("poll_sponsors", "poll_partners", "polls")
                 for ix in inspect(engine).get_indexes(table)}
    finally:
        engine.dispose()
    assert ("poll_sponsors", ("sponsor_id",)) in found
    assert ("poll_partners", ("pollster_id",)) in found
    assert ("polls", ("field_end_date", "id")) in found  # the default keyset order
