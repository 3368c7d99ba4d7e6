"""Row versions (mapper ``version_id_col``) make the If-Match check and the write atomic: a write
that lands between our check and our UPDATE/DELETE makes ours fail with 412 and write nothing.
Simulated deterministically by moving the row's version on right after the check."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from factories import assert_problem, if_match, poll_doc, row_counts, simple_question
from pollapp.api import caching
from pollapp.extensions import db
from pollapp.models import Poll, Pollster, Series


def _version(app, model, **key) -> int:
    with app.app_context():
        return db.session.query(model.version).filter_by(**key).scalar()


def _race_after_the_check(monkeypatch, module, model, **key) -> None:
    """Another writer commits between the view's If-Match check and its write."""
    check = caching.check_if_match

    def check_then_someone_writes(*args, **kwargs):
        check(*args, **kwargs)
        table = model.__table__  # Core: the session's loaded copy keeps the version it read
        db.session.execute(update(table).where(*(table.c[k] == v for k, v in key.items())).values(version=table.c.version + 1))

    monkeypatch.setattr(module, "check_if_match", check_then_someone_writes)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_a_poll_write_that_loses_the_race_is_412_and_writes_nothing(client, app, auth, admin, poll, monkeypatch, method):
    from pollapp.api import polls

    url = f"/api/v1/polls/{poll['id']}"
    headers = if_match(client, url, admin if method == "DELETE" else auth)
    body = {"PUT": poll_doc(notes="Lost (synthetic)."), "PATCH": {"notes": "Lost (synthetic)."}}.get(method)
    before = row_counts(app)
    _race_after_the_check(monkeypatch, polls, Poll, id=poll["id"])

    response = client.open(url, method=method, json=body, headers=headers)

    assert_problem(response, 412)
    assert client.get(url).get_json() == poll
    assert row_counts(app) == before


def test_organisation_and_series_writes_check_the_version_too(client, app, auth, admin, pollster, monkeypatch):
    from pollapp.api import organisations, series

    _race_after_the_check(monkeypatch, organisations, Pollster, slug="kiis")
    url = "/api/v1/pollsters/kiis"
    assert_problem(client.patch(url, json={"notes": "Lost."}, headers=if_match(client, url, auth)), 412)
    assert_problem(client.delete(url, headers=if_match(client, url, admin)), 412)
    assert client.get(url).get_json() == pollster

    body = {"slug": "peace", "title": "Synthetic", "outcomes": [{"code": "closer", "label": "Closer"}]}
    assert client.post("/api/v1/series", json=body, headers=auth).status_code == 201
    _race_after_the_check(monkeypatch, series, Series, slug="peace")
    url = "/api/v1/series/peace"
    assert_problem(client.patch(url, json={"title": "Lost."}, headers=if_match(client, url, auth)), 412)
    assert_problem(client.delete(url, headers=if_match(client, url, admin)), 412)
    assert client.get(url).get_json()["title"] == "Synthetic"


def test_a_member_removal_that_loses_the_race_is_412(client, app, auth, poll, monkeypatch):
    from pollapp.api import series

    body = {"slug": "peace", "title": "Synthetic", "outcomes": [{"code": "closer", "label": "Closer"}]}
    assert client.post("/api/v1/series", json=body, headers=auth).status_code == 201
    question_id = poll["questions"][0]["id"]
    member = {"question_id": question_id, "outcomes": {"closer": ["closer"]}}
    assert client.post("/api/v1/series/peace/members", json=member, headers=auth).status_code == 200
    _race_after_the_check(monkeypatch, series, Series, slug="peace")

    url = f"/api/v1/series/peace/members/{question_id}"
    assert_problem(client.delete(url, headers=if_match(client, url, auth)), 412)
    assert len(client.get("/api/v1/series/peace/members").get_json()) == 1


def test_a_change_of_questions_only_moves_the_poll_version(client, app, auth, poll):
    url = f"/api/v1/polls/{poll['id']}"
    before = _version(app, Poll, id=poll["id"])
    response = client.patch(url, json={"questions": [simple_question()]}, headers=if_match(client, url, auth))
    assert response.status_code == 200, response.get_json()
    assert _version(app, Poll, id=poll["id"]) == before + 1
