"""API keys on writes: every POST/PUT/PATCH/DELETE under /api/v1 answers 401 (with
WWW-Authenticate) without a valid key and 403 with a read-only key, writing nothing; reads are public."""

from __future__ import annotations

import re

import pytest

from factories import assert_problem, create_sponsor, make_key, poll_doc, row_counts
from pollapp.extensions import db
from pollapp.services import keys

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# The write endpoints issue 2 defines; the route table may add more, and those are checked too.
KNOWN_WRITES = {
    ("POST", "/api/v1/pollsters"),
    ("PUT", "/api/v1/pollsters/<slug>"),
    ("PATCH", "/api/v1/pollsters/<slug>"),
    ("DELETE", "/api/v1/pollsters/<slug>"),
    ("POST", "/api/v1/sponsors"),
    ("PUT", "/api/v1/sponsors/<slug>"),
    ("PATCH", "/api/v1/sponsors/<slug>"),
    ("DELETE", "/api/v1/sponsors/<slug>"),
    ("POST", "/api/v1/polls"),
    ("PUT", "/api/v1/polls/<int:poll_id>"),
    ("PATCH", "/api/v1/polls/<int:poll_id>"),
    ("DELETE", "/api/v1/polls/<int:poll_id>"),
    ("POST", "/api/v1/series"),
    ("PATCH", "/api/v1/series/<slug>"),
    ("DELETE", "/api/v1/series/<slug>"),
    ("POST", "/api/v1/series/<slug>/members"),
    ("DELETE", "/api/v1/series/<slug>/members/<int:question_id>"),
}


@pytest.fixture
def world(client, auth, poll) -> dict:
    """Every resource exists under the slug 'kiis', so each write would succeed with a key."""
    create_sponsor(client, auth, "kiis")
    client.post(
        "/api/v1/series",
        json={"slug": "kiis", "title": "Synthetic", "outcomes": [{"code": "closer", "label": "Closer"}]},
        headers=auth,
    )
    client.post(
        "/api/v1/series/kiis/members",
        json={"question_id": poll["questions"][0]["id"], "outcomes": {"closer": ["closer"]}},
        headers=auth,
    )
    return {"slug": "kiis", "poll_id": poll["id"], "question_id": poll["questions"][0]["id"]}


def write_routes(app) -> list[tuple[str, str]]:
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods & WRITE_METHODS
    }
    return sorted(routes)


def concrete(rule: str, world: dict) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(world[m.group(1)]), rule)


def body_for(method: str, rule: str) -> dict | None:
    if method in ("DELETE",):
        return None
    if "/polls" in rule:
        return poll_doc()
    if rule.endswith("/members"):
        return {"question_id": 1, "outcomes": {"closer": ["closer"]}}
    return {"slug": "kiis", "name": "Synthetic", "title": "Synthetic", "outcomes": [{"code": "a", "label": "A"}]}


def test_the_route_table_has_every_known_write(app):
    assert KNOWN_WRITES <= set(write_routes(app))


def _assert_refused(client, world, headers: dict, status: int) -> None:
    before = row_counts(client.application)
    routes = write_routes(client.application)
    for method, rule in routes:
        response = client.open(
            concrete(rule, world), method=method, json=body_for(method, rule), headers=headers
        )
        problem = assert_problem(response, status)
        assert problem["detail"], (method, rule)
        if status == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), (method, rule)
    assert row_counts(client.application) == before


def test_every_write_without_a_key_is_401(client, world):
    _assert_refused(client, world, {}, 401)


def test_every_write_with_a_wrong_key_is_401(client, world):
    for header in (
        "Bearer pa_00000000_not-a-real-key",
        "Bearer ",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Token pa_00000000_x",
        "pa_00000000_x",
    ):
        _assert_refused(client, world, {"Authorization": header}, 401)


def test_every_write_with_a_revoked_key_is_401(client, app, world):
    token = make_key(app, name="to-revoke")
    with app.app_context():
        keys.revoke(db.session, "to-revoke")
        db.session.commit()

    _assert_refused(client, world, {"Authorization": f"Bearer {token}"}, 401)


def test_every_write_with_a_read_scope_key_is_403(client, app, world):
    token = make_key(app, scope="read")
    _assert_refused(client, world, {"Authorization": f"Bearer {token}"}, 403)


def test_a_key_with_whitespace_or_another_case_of_scheme_works(client, app, pollster):
    token = make_key(app)
    response = client.post(
        "/api/v1/sponsors", json={"slug": "gazette", "name": "Synthetic"}, headers={"Authorization": f"bearer   {token} "}
    )
    assert response.status_code == 201


def test_admin_keys_can_write(client, app):
    token = make_key(app, scope="admin")
    response = client.post("/api/v1/pollsters", json={"slug": "kiis", "name": "Synthetic"}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201


def test_a_key_records_when_it_was_last_used(client, app):
    from pollapp.models import ApiKey

    token = make_key(app, name="usage")
    client.post("/api/v1/pollsters", json={"slug": "kiis", "name": "Synthetic"}, headers={"Authorization": f"Bearer {token}"})
    with app.app_context():
        key = db.session.query(ApiKey).filter_by(name="usage").one()
        assert key.last_used_at is not None


def test_a_revoked_key_stops_working_at_once(client, app):
    token = make_key(app, name="soon-revoked")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/pollsters", json={"slug": "a", "name": "Synthetic"}, headers=headers).status_code == 201
    with app.app_context():
        keys.revoke(db.session, "soon-revoked")
        db.session.commit()
    assert_problem(client.post("/api/v1/pollsters", json={"slug": "b", "name": "Synthetic"}, headers=headers), 401)


def test_auth_is_checked_before_the_body(client, world):
    """No key and an invalid body: 401, not 422 (the body of an anonymous client is not examined)."""
    response = client.post("/api/v1/polls", json={"nonsense": True})
    assert_problem(response, 401)


def test_reads_are_public(client, world):
    for url in (
        "/api/v1/pollsters",
        "/api/v1/pollsters/kiis",
        "/api/v1/sponsors",
        "/api/v1/sponsors/kiis",
        "/api/v1/polls",
        f"/api/v1/polls/{world['poll_id']}",
        "/api/v1/series",
        "/api/v1/series/kiis",
        "/api/v1/series/kiis/members",
        "/api/v1/series/kiis/points",
        "/api/v1/openapi.json",
        "/api/v1/docs",
    ):
        assert client.get(url).status_code == 200, url


def test_reads_ignore_a_bad_key(client, world):
    assert client.get("/api/v1/polls", headers={"Authorization": "Bearer wrong"}).status_code == 200
