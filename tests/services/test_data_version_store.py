"""The data version stored by the writing transaction (issue 7, pollapp.services.data_version_store):
after every kind of write it equals the hash of the series' point rows at the series' current
fingerprint, reads take it without hashing, and a write that bypasses the store is hashed on read,
never served stale. SYNTHETIC polls."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import delete, update

from pollapp import repository
from pollapp.extensions import db
from pollapp.models import Answer, Poll, Series, SeriesDataVersion, utcnow
from pollapp.services import data_generation, data_version, data_version_store, stats_inputs_store
from pollapp.services.stats_series_polls import _rows_frame

from factories import PEACE_SERIES as SERIES, create_pollster, if_match, poll_doc

MAPPING = {"closer": ["significantly_closer", "slightly_closer"], "further": ["slightly_further", "significantly_further"],
           "undecided": ["no_change_or_undecided"]}
POINTS = "/api/v1/series/peace-closer/points"


@pytest.fixture
def polls(client, auth, poll) -> list[dict]:
    assert client.post("/api/v1/series", json=SERIES, headers=auth).status_code == 201
    create_pollster(client, auth, "rating", name="Synthetic Rating", country="UA")
    second = client.post("/api/v1/polls", json=poll_doc(pollster="rating", field_start_date="2025-01-10",
                                                       field_end_date="2025-01-15", publication_date=None), headers=auth)
    assert second.status_code == 201, second.get_json()
    created = [poll, second.get_json()]
    for p in created:
        response = client.post("/api/v1/series/peace-closer/members",
                               json={"question_id": p["questions"][0]["id"], "outcomes": MAPPING}, headers=auth)
        assert response.status_code == 200, response.get_json()
    return created


def state(app) -> tuple[SeriesDataVersion | None, str, str]:
    """(the stored row, the series' fingerprint now, the version hashed from its rows now)."""
    with app.app_context():
        series_id = db.session.query(Series.id).filter_by(slug="peace-closer").scalar()
        row = db.session.get(SeriesDataVersion, series_id)
        return row, data_version.fingerprint(db.session, series_id), data_version.hash_and_pack_series(db.session, series_id)[0]


def fresh_version(app) -> str:
    """The stored version is the hash at the current fingerprint, and the statistics' rows stored with it
    are those the statistics' SELECT reads now."""
    row, fingerprint, hashed = state(app)
    assert row is not None and row.fingerprint == fingerprint and row.version == hashed
    assert row.stat_inputs_format == stats_inputs_store.FORMAT
    with app.app_context():
        outcomes = [o.code for o in db.session.get(Series, row.series_id).outcomes]
        selected = repository.series_outcome_stat_columns(db.session, row.series_id, outcomes)
    stored, selected = _rows_frame(stats_inputs_store.unpack(row.stat_inputs)), _rows_frame(selected)
    assert len(stored) == len(selected)
    if len(selected):
        pd.testing.assert_frame_equal(stored, selected.assign(tracking=selected["tracking"].astype(bool)))
    return hashed


def test_every_write_through_the_api_leaves_the_stored_version_fresh(app, client, auth, admin, polls):
    seen = [fresh_version(app)]
    poll_url = f"/api/v1/polls/{polls[0]['id']}"
    questions = poll_doc()["questions"]
    questions[0]["answers"][0]["pct"] = 16
    writes = [
        ("answer", lambda: client.patch(poll_url, json={"questions": questions}, headers=if_match(client, poll_url, auth))),
        ("methodology", lambda: client.patch(poll_url, json={"sample_size": 1200}, headers=if_match(client, poll_url, auth))),
        ("pollster name", lambda: client.patch("/api/v1/pollsters/rating", json={"name": "Synthetic Rating Group"},
                                               headers=if_match(client, "/api/v1/pollsters/rating", auth))),
        ("soft delete", lambda: client.delete(poll_url, headers=if_match(client, poll_url, admin))),
        ("member removed", lambda: client.delete(
            f"/api/v1/series/peace-closer/members/{polls[1]['questions'][0]['id']}",
            headers=if_match(client, f"/api/v1/series/peace-closer/members/{polls[1]['questions'][0]['id']}", auth))),
    ]
    for name, write in writes:
        response = write()
        assert response.status_code in (200, 204), (name, response.get_json())
        version = fresh_version(app)
        assert version not in seen, name  # each of these writes changes the points
        seen.append(version)
        assert client.get(POINTS).headers["Pollapp-Data-Version"] == version


def test_core_statements_and_raw_writers_refresh_every_series(app, polls):
    before = fresh_version(app)
    with app.app_context():  # a Core UPDATE names no rows: every series is checked at commit
        db.session.execute(update(Answer).where(Answer.code == "slightly_closer").values(pct=31))
        db.session.execute(update(Poll).values(updated_at=utcnow()))  # as every writer does: the fingerprint moves
        db.session.commit()
    after_core = state(app)
    assert after_core[0].version == after_core[2] != before
    with app.app_context():  # a raw-driver writer says so with mark_changed
        db.session.connection().exec_driver_sql("UPDATE answers SET pct = 29 WHERE code = 'slightly_closer'")
        db.session.connection().exec_driver_sql("UPDATE series SET updated_at = CURRENT_TIMESTAMP")
        data_generation.mark_changed(db.session)
        db.session.commit()
    assert fresh_version(app) not in (before, after_core[2])


def test_reads_take_the_stored_version_without_hashing(app, client, polls, monkeypatch):
    stored = fresh_version(app)

    def no_hash(*args, **kwargs):
        raise AssertionError("the stored version was not used")

    monkeypatch.setattr(repository, "series_point_stat_rows", no_hash)
    monkeypatch.setattr(data_version, "version_of", no_hash)
    app.extensions.pop("pollapp.stats_cache", None)  # nothing cached in this process either
    trend = client.get("/api/v1/series/peace-closer/trend?outcome=closer&min_polls=2")
    assert trend.headers["Pollapp-Data-Version"] == stored, trend.get_json()
    assert trend.get_json()["data_version"] == stored


def test_a_write_that_bypasses_the_store_is_hashed_on_read_not_served_stale(app, client, polls):
    stored = fresh_version(app)
    with app.app_context():  # no session event sees this, and nobody says so: the store keeps the old pair
        db.session.connection().exec_driver_sql("UPDATE answers SET pct = 44 WHERE code = 'slightly_closer'")
        db.session.connection().exec_driver_sql("UPDATE polls SET updated_at = CURRENT_TIMESTAMP")
        db.session.commit()
    row, fingerprint, hashed = state(app)
    assert row.version == stored and row.fingerprint != fingerprint and hashed != stored
    assert client.get(POINTS).headers["Pollapp-Data-Version"] == hashed


def test_only_the_series_written_are_rehashed(app, client, auth, polls, monkeypatch):
    fresh_version(app)
    hashed: list[int] = []
    real = data_version.hash_and_pack_series
    monkeypatch.setattr(data_version, "hash_and_pack_series",
                        lambda session, series_id: hashed.append(series_id) or real(session, series_id))
    other = client.post("/api/v1/polls", json=poll_doc(field_end_date="2024-12-18"), headers=auth)  # in no series
    assert other.status_code == 201 and hashed == []
    url = f"/api/v1/polls/{polls[1]['id']}"
    assert client.patch(url, json={"sample_size": 700}, headers=if_match(client, url, auth)).status_code == 200
    assert len(hashed) == 1
    with app.app_context():  # refreshing a series whose stored version is current hashes nothing
        assert data_version_store.refresh(db.session, set(hashed)) == []


def test_a_large_write_checks_every_series(app, client, auth, polls, monkeypatch):
    before = fresh_version(app)
    monkeypatch.setattr(data_version_store, "MAX_IDS", 0)  # any write is "large": no IN list of its ids
    url = f"/api/v1/polls/{polls[0]['id']}"
    assert client.patch(url, json={"sample_size": 640}, headers=if_match(client, url, auth)).status_code == 200
    assert fresh_version(app) != before


def test_flask_data_versions_stores_what_an_upgrade_left_out(app, runner, polls):
    version = fresh_version(app)
    with app.app_context():  # as after upgrading from 0.1.0: nothing stored
        db.session.execute(delete(SeriesDataVersion))
        db.session.commit()
    assert state(app)[0] is None
    result = runner.invoke(args=["data", "versions"])
    assert result.exit_code == 0 and "data versions: 1 stored, 0 already current" in result.output
    assert fresh_version(app) == version
    again = runner.invoke(args=["data", "versions"])
    assert "data versions: 0 stored, 1 already current" in again.output
    with app.app_context():  # as after upgrading from 0.2: versions stored, the statistics' rows not
        db.session.execute(update(SeriesDataVersion).values(stat_inputs=None, stat_inputs_format=None))
        db.session.commit()
    assert "data versions: 1 stored, 0 already current" in runner.invoke(args=["data", "versions"]).output
    assert fresh_version(app) == version


def test_a_savepoint_defers_the_refresh_to_the_outer_commit(app, polls, monkeypatch):
    before = fresh_version(app)
    hashed: list[int] = []
    real = data_version.hash_and_pack_series
    monkeypatch.setattr(data_version, "hash_and_pack_series",
                        lambda session, series_id: hashed.append(series_id) or real(session, series_id))
    with app.app_context():
        with db.session.begin_nested():
            db.session.execute(update(Poll).values(updated_at=utcnow()))
            db.session.execute(update(Answer).where(Answer.code == "slightly_closer").values(pct=12))
        assert hashed == []
        db.session.commit()
    assert len(hashed) == 1 and fresh_version(app) != before
