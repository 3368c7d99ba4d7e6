"""Conditional requests: a strong ETag on every GET, 304 on ``If-None-Match`` (with ETag and
Cache-Control), 412 on a stale ``If-Match`` for every write. Synthetic data."""

from __future__ import annotations

import pytest

from factories import assert_problem, create_sponsor, poll_doc, row_counts, if_match


@pytest.fixture
def world(client, auth, poll) -> dict:
    create_sponsor(client, auth, "gazette")
    client.post(
        "/api/v1/series",
        json={"slug": "peace", "title": "Synthetic peace", "outcomes": [{"code": "closer", "label": "Closer"}]},
        headers=auth,
    )
    client.post(
        "/api/v1/series/peace/members",
        json={"question_id": poll["questions"][0]["id"], "outcomes": {"closer": ["closer"]}},
        headers=auth,
    )
    return poll


def read_urls(poll_id: int) -> list[str]:
    return [
        "/api/v1/pollsters",
        "/api/v1/pollsters/kiis",
        "/api/v1/sponsors",
        "/api/v1/sponsors/gazette",
        "/api/v1/polls",
        "/api/v1/polls?pollster=kiis&sort=publication_date",
        f"/api/v1/polls/{poll_id}",
        "/api/v1/series",
        "/api/v1/series/peace",
        "/api/v1/series/peace/members",
        "/api/v1/series/peace/points",
        "/api/v1/openapi.json",
    ]


def test_every_get_has_a_strong_etag_and_cache_control(client, world):
    for url in read_urls(world["id"]):
        response = client.get(url)
        assert response.status_code == 200, url
        etag = response.headers.get("ETag", "")
        assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10, (url, etag)
        assert not etag.startswith("W/"), url
        assert response.headers["Cache-Control"].startswith("public, max-age="), url
        assert client.get(url).headers["ETag"] == etag, f"{url}: the ETag is stable"


def test_if_none_match_gives_304_with_etag_and_cache_control(client, world):
    for url in read_urls(world["id"]):
        first = client.get(url)
        etag = first.headers["ETag"]

        response = client.get(url, headers={"If-None-Match": etag})

        assert response.status_code == 304, url
        assert response.get_data() == b""
        assert response.headers["ETag"] == etag
        assert response.headers["Cache-Control"] == first.headers["Cache-Control"]


def test_if_none_match_with_a_list_or_star(client, world):
    url = f"/api/v1/polls/{world['id']}"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": "*"}).status_code == 304
    weak = client.get(url, headers={"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304, "If-None-Match compares weakly (RFC 9110 13.1.2)"


def test_other_etags_get_the_full_body(client, world):
    url = f"/api/v1/polls/{world['id']}"
    response = client.get(url, headers={"If-None-Match": '"not-the-current-one"'})
    assert response.status_code == 200 and response.get_json()["id"] == world["id"]


def test_the_etag_changes_when_the_representation_does(client, auth, world):
    poll_url = f"/api/v1/polls/{world['id']}"
    before = {url: client.get(url).headers["ETag"] for url in (poll_url, "/api/v1/polls", "/api/v1/series/peace/points")}

    client.patch("/api/v1/pollsters/kiis", json={"name": "Renamed (synthetic)"}, headers=if_match(client, "/api/v1/pollsters/kiis", auth))

    for url, etag in before.items():
        response = client.get(url, headers={"If-None-Match": etag})
        assert response.status_code == 200, f"{url} shows the pollster's new name"
        assert response.headers["ETag"] != etag


def test_a_list_etag_changes_when_an_item_is_added(client, auth, world):
    etag = client.get("/api/v1/sponsors").headers["ETag"]
    create_sponsor(client, auth, "another")
    assert client.get("/api/v1/sponsors", headers={"If-None-Match": etag}).status_code == 200


def test_errors_and_writes_are_not_cached(client, auth, world):
    assert client.get("/api/v1/polls/999999").headers["Cache-Control"] == "no-store"
    response = client.patch("/api/v1/sponsors/gazette", json={"notes": "x"}, headers=if_match(client, "/api/v1/sponsors/gazette", auth))
    assert response.headers["Cache-Control"] == "no-store"


# ---------------------------------------------------------------- If-Match on writes


def _writes(poll_id: int) -> list[tuple[str, str, dict | None]]:
    return [
        ("PUT", "/api/v1/pollsters/kiis", {"slug": "kiis", "name": "Changed (synthetic)"}),
        ("PATCH", "/api/v1/pollsters/kiis", {"notes": "Changed (synthetic)."}),
        ("PUT", "/api/v1/sponsors/gazette", {"slug": "gazette", "name": "Changed (synthetic)"}),
        ("PATCH", "/api/v1/sponsors/gazette", {"notes": "Changed (synthetic)."}),
        ("DELETE", "/api/v1/sponsors/gazette", None),
        ("PUT", f"/api/v1/polls/{poll_id}", poll_doc(notes="Changed (synthetic).")),
        ("PATCH", f"/api/v1/polls/{poll_id}", {"notes": "Changed (synthetic)."}),
        ("DELETE", f"/api/v1/polls/{poll_id}", None),
        ("PATCH", "/api/v1/series/peace", {"title": "Changed (synthetic)"}),
        ("DELETE", "/api/v1/series/peace", None),
    ]


WRITE_IDS = ["put-pollster", "patch-pollster", "put-sponsor", "patch-sponsor", "delete-sponsor", "put-poll",
             "patch-poll", "delete-poll", "patch-series", "delete-series"]  # fmt: skip


@pytest.mark.parametrize("index", range(len(WRITE_IDS)), ids=WRITE_IDS)
def test_if_match_stale_is_412_then_current_succeeds(client, auth, admin, world, index):
    method, url, body = _writes(world["id"])[index]
    key = admin if method == "DELETE" else auth
    stale = client.get(url).headers["ETag"]
    # someone else changes the resource in between
    field = "description" if "/series/" in url else "notes"
    other = client.patch(url, json={field: "Someone else's change (synthetic)."}, headers=if_match(client, url, auth))
    assert other.status_code == 200, other.get_json()
    current = client.get(url)
    assert current.headers["ETag"] != stale
    before = row_counts(client.application)

    response = client.open(url, method=method, json=body, headers={**key, "If-Match": stale})

    problem = assert_problem(response, 412)
    assert "If-Match" in problem["detail"]
    assert client.get(url).get_json() == current.get_json(), "nothing changed"
    assert row_counts(client.application) == before

    response = client.open(url, method=method, json=body, headers={**key, "If-Match": current.headers["ETag"]})

    assert response.status_code in (200, 204), response.get_json()
    if method == "DELETE":
        assert client.get(url).status_code == (410 if url.startswith("/api/v1/polls/") else 404)  # polls: soft delete
        return
    assert response.headers["ETag"] != current.headers["ETag"]
    assert client.get(url).headers["ETag"] == response.headers["ETag"], "a write answers with the new ETag"


@pytest.mark.parametrize("index", range(len(WRITE_IDS)), ids=WRITE_IDS)
def test_a_write_without_if_match_or_with_star_is_428(client, auth, admin, world, index):
    method, url, body = _writes(world["id"])[index]
    key = admin if method == "DELETE" else auth
    current = client.get(url).get_json()
    before = row_counts(client.application)

    problem = assert_problem(client.open(url, method=method, json=body, headers=key), 428)
    assert f"GET {url}" in problem["detail"] and "If-Match" in problem["detail"], "tells the client what to send"
    problem = assert_problem(client.open(url, method=method, json=body, headers={**key, "If-Match": "*"}), 428)
    assert "'If-Match: *' is not accepted" in problem["detail"]

    assert client.get(url).get_json() == current, "nothing changed"
    assert row_counts(client.application) == before


def test_a_member_delete_without_if_match_is_428_naming_the_members_list(client, auth, world):
    url = "/api/v1/series/peace/members"
    question_id = world["questions"][0]["id"]
    assert client.post(url, json={"question_id": question_id, "outcomes": {"closer": ["closer"]}}, headers=auth).status_code == 200

    problem = assert_problem(client.delete(f"{url}/{question_id}", headers=auth), 428)
    assert f"GET {url} " in problem["detail"]
    assert len(client.get(url).get_json()) == 1


def test_if_match_with_several_etags_and_weak_etags(client, auth, world):
    url = "/api/v1/pollsters/kiis"
    current = client.get(url).headers["ETag"]

    assert_problem(client.patch(url, json={"notes": "x"}, headers={**auth, "If-Match": f"W/{current}"}), 412)
    response = client.patch(url, json={"notes": "y"}, headers={**auth, "If-Match": f'"stale", {current}'})
    assert response.status_code == 200


def test_a_rename_elsewhere_makes_a_poll_if_match_stale(client, auth, world):
    url = f"/api/v1/polls/{world['id']}"
    stale = client.get(url).headers["ETag"]
    client.patch("/api/v1/pollsters/kiis", json={"name": "Renamed (synthetic)"}, headers=if_match(client, "/api/v1/pollsters/kiis", auth))

    assert_problem(client.patch(url, json={"notes": "x"}, headers={**auth, "If-Match": stale}), 412)


def test_member_writes_check_if_match_against_the_members_list(client, auth, world):
    url = "/api/v1/series/peace/members"
    question_id = world["questions"][0]["id"]
    stale = client.get(url).headers["ETag"]
    assert client.post(url, json={"question_id": question_id, "outcomes": {"closer": ["slightly_closer"]}}, headers=auth).status_code == 200
    current = client.get(url)
    assert current.headers["ETag"] != stale
    before = row_counts(client.application)

    for method, member_url, body in [
        ("POST", url, {"question_id": question_id, "outcomes": {"closer": ["closer"]}}),
        ("DELETE", f"{url}/{question_id}", None),
    ]:
        assert_problem(client.open(member_url, method=method, json=body, headers={**auth, "If-Match": stale}), 412)
        assert client.get(url).get_json() == current.get_json(), method
    assert row_counts(client.application) == before

    fresh = {**auth, "If-Match": current.headers["ETag"]}
    assert client.post(url, json={"question_id": question_id, "outcomes": {"closer": ["closer"]}}, headers=fresh).status_code == 200
    fresh = {**auth, "If-Match": client.get(url).headers["ETag"]}
    assert client.delete(f"{url}/{question_id}", headers=fresh).status_code == 204
    assert client.get(url).get_json() == []


def test_if_match_on_a_missing_resource_is_404(client, auth, world):
    assert_problem(client.patch("/api/v1/pollsters/nobody", json={"notes": "x"}, headers={**auth, "If-Match": '"x"'}), 404)
