"""Revision history on the REAL seed data (``data/``): loading records one revision per poll with the
CLI as author, loading again records nothing, and ``as_of`` = now rebuilds EXACTLY the rows the SQL
paths give for every seeded series (points and statistics rows: same values, types and order)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from pollapp import repository
from pollapp.extensions import db
from pollapp.models import Poll, PollRevision, RevisionAction, Series
from pollapp.services import data_version, history, history_asof
from own_database import LOAD_REASON

DATA = Path(__file__).resolve().parent.parent.parent / "data"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, real_data) -> Iterator[tuple[Flask, list]]:
    """The first load (``--reason "initial load"``) is the session's (``real_data``), copied for this
    module; the second, with no reason, runs here on the copy."""
    assert real_data.first_load.exit_code == 0 and LOAD_REASON == "initial load"
    with real_data.copy(tmp_path_factory.mktemp("history"), "history_test") as app:
        runner = app.test_cli_runner()
        results = []
        for args in (None, ["data", "load", str(DATA)]):
            if args:
                result = runner.invoke(args=args)
                assert result.exit_code == 0, result.output
            with app.app_context():
                results.append(db.session.scalar(select(func.count()).select_from(PollRevision)))
                db.session.remove()
        yield app, results


def test_the_load_records_one_create_per_poll_by_the_cli_and_reloading_records_nothing(seeded):
    app, (after_first, after_second) = seeded
    with app.app_context():
        polls = db.session.scalar(select(func.count()).select_from(Poll))
        actions = set(db.session.execute(select(PollRevision.action, PollRevision.actor, PollRevision.reason)))
    assert after_first == polls >= 1400
    assert after_second == after_first, "an unchanged reload writes no revision"
    assert actions == {(RevisionAction.CREATE, "cli: flask data load", "initial load")}


def test_as_of_now_reproduces_every_seeded_series_exactly(seeded):
    app, _ = seeded
    now = dt.datetime.now(dt.timezone.utc)
    with app.app_context():
        every = list(db.session.scalars(select(Series).order_by(Series.slug)))
        assert len(every) >= 7
        for series in every:
            current, total = repository.series_points(db.session, series.id, repository.PointFilters(), after=None,
                                                      limit=None)
            rebuilt, rebuilt_total = history_asof.series_points(db.session, series, repository.PointFilters(), as_of=now)
            assert total == rebuilt_total > 0, series.slug
            assert rebuilt == current, series.slug
            assert [type(v) for v in rebuilt[0].values()] == [type(v) for v in current[0].values()], series.slug
            outcomes = [o.code for o in series.outcomes]
            assert history_asof.series_outcome_rows(db.session, series, outcomes, as_of=now) == \
                repository.series_outcome_rows(db.session, series.id, outcomes), series.slug
            assert data_version.series_data_version(db.session, series, as_of=now) == \
                data_version.series_data_version(db.session, series), series.slug


def test_as_of_before_the_load_is_empty(seeded):
    app, _ = seeded
    with app.app_context():
        first = db.session.scalar(select(func.min(PollRevision.recorded_at)))
        series = db.session.scalars(select(Series).where(Series.slug == "russia-putin-approval")).one()
        rows, total = history_asof.series_points(db.session, series, repository.PointFilters(),
                                                 as_of=first - dt.timedelta(microseconds=1))
    assert (rows, total) == ([], 0)


def test_core_writers_mark_their_polls(app, client, auth, poll):
    """A bulk path writing with Core statements is recorded once it names its polls (mark_touched)."""
    from pollapp.models import Answer

    with app.app_context():
        db.session.execute(Answer.__table__.update().where(Answer.code == "slightly_further").values(pct=8.0))
        history.mark_touched(db.session, [poll["id"]])
        db.session.commit()
    items = client.get(f"/api/v1/polls/{poll['id']}/history").get_json()["items"]
    assert items[0]["changes"] == [
        {"path": "/poll/questions/peace_closer/answers/slightly_further/pct", "from": 9.0, "to": 8.0}
    ]


def test_a_rollback_records_nothing(app, client, auth, poll):
    with app.app_context():
        stored = db.session.get(Poll, poll["id"])
        stored.notes = "never committed"
        db.session.flush()
        db.session.rollback()
        stored = db.session.get(Poll, poll["id"])
        stored.sample_size = 1001
        history.set_actor(db.session, "synthetic script")
        db.session.commit()
    items = client.get(f"/api/v1/polls/{poll['id']}/history").get_json()["items"]
    assert [i["actor"] for i in items] == ["synthetic script", "test-write"]
    assert [c["path"] for c in items[0]["changes"]] == ["/poll/sample_size"]


def test_history_baseline_records_polls_stored_before_history(app, runner, client, auth, poll):
    with app.app_context():
        db.session.execute(PollRevision.__table__.delete())
        db.session.commit()

    result = runner.invoke(args=["data", "history-baseline"])
    again = runner.invoke(args=["data", "history-baseline"])

    assert result.exit_code == 0 and "revisions: 1 recorded" in result.output
    assert "revisions: 0 recorded" in again.output
    (item,) = client.get(f"/api/v1/polls/{poll['id']}/history").get_json()["items"]
    assert item["action"] == "create" and item["actor"] == "cli: flask data history-baseline"


def test_cli_reason_is_limited(runner):
    result = runner.invoke(args=["data", "load", str(DATA), "--reason", "x" * 501])
    assert result.exit_code == 1 and "--reason" in result.output


def test_an_upsert_of_a_deleted_polls_natural_key_restores_it(admin, app, client, auth, pollster):
    from factories import poll_doc, if_match

    from pollapp.services import polls

    doc = poll_doc(source="synthetic-file", source_id="row-1")
    created = client.post("/api/v1/polls", json=doc, headers=auth).get_json()
    assert client.delete(f"/api/v1/polls/{created['id']}", headers=if_match(client, f"/api/v1/polls/{created['id']}", admin)).status_code == 204
    with app.app_context():
        from pollapp.schemas.polls import PollInSchema

        status, poll = polls.upsert_poll(db.session, PollInSchema().load(doc))
        history.set_actor(db.session, "cli: flask data import")
        history.set_reason(db.session, "re-imported")
        db.session.commit()
    assert status == "updated"
    assert client.get(f"/api/v1/polls/{created['id']}").status_code == 200
    items = client.get(f"/api/v1/polls/{created['id']}/history").get_json()["items"]
    assert [i["action"] for i in items] == ["restore", "delete", "create"]
    assert items[0]["changes"] == [{"path": "/deleted", "from": True, "to": False}]
    assert (items[0]["actor"], items[0]["reason"]) == ("cli: flask data import", "re-imported")
