"""``/api/v1/sponsors``: who commissioned or paid for polls (synthetic organisations)."""

from __future__ import annotations

import datetime as dt

import pytest

from factories import assert_problem, create_sponsor, error_pointers, poll_doc, row_counts, if_match

URL = "/api/v1/sponsors"

FULL = {
    "slug": "synthetic-gazette",
    "name": "The Synthetic Gazette",
    "country": "GB",
    "website": "https://gazette.example.org/",
    "notes": "Synthetic sponsor made up for the tests.",
}


def test_create_and_read(client, auth):
    response = client.post(URL, json=FULL, headers=auth)

    assert response.status_code == 201
    assert response.headers["Location"] == f"{URL}/synthetic-gazette"
    body = response.get_json()
    assert {k: body[k] for k in FULL} == FULL
    assert dt.datetime.fromisoformat(body["updated_at"]).utcoffset() == dt.timedelta(0)
    assert client.get(f"{URL}/synthetic-gazette").get_json() == body


def test_sponsors_have_no_memberships(client, auth):
    body = assert_problem(client.post(URL, json={**FULL, "memberships": ["esomar"]}, headers=auth), 422)
    assert error_pointers(body) == {"/memberships"}


def test_duplicate_slug_is_a_conflict(client, auth):
    create_sponsor(client, auth, "gazette")
    body = assert_problem(client.post(URL, json={"slug": "gazette", "name": "Again"}, headers=auth), 409)
    assert error_pointers(body) == {"/slug"}


def test_invalid_fields_are_422(client, auth):
    for field, value in [
        ("slug", "Bad_Slug"),
        ("name", ""),
        ("country", "GBR"),
        ("website", "gazette.example.org"),
        ("website", "https://example.org/" + "x" * 481),
        ("name", None),
        ("notes", "\x00"),
    ]:
        body = assert_problem(client.post(URL, json={**FULL, field: value}, headers=auth), 422)
        assert error_pointers(body) == {f"/{field}"}, (field, value)
    assert row_counts(client.application)["sponsors"] == 0


def test_list_ordered_by_slug_with_country_filter(client, auth):
    for slug, country in [("zeta-news", "US"), ("alpha-tv", "UA"), ("mid-paper", "UA")]:
        create_sponsor(client, auth, slug, country=country)

    body = client.get(URL).get_json()
    assert [s["slug"] for s in body["items"]] == ["alpha-tv", "mid-paper", "zeta-news"]
    assert body["total"] == 3 and body["next_cursor"] is None
    assert [s["slug"] for s in client.get(f"{URL}?country=US").get_json()["items"]] == ["zeta-news"]


def test_put_replaces_and_resets_fields_not_sent(client, auth):
    client.post(URL, json=FULL, headers=auth)

    response = client.put(f"{URL}/synthetic-gazette", json={"slug": "synthetic-gazette", "name": "Renamed"}, headers=if_match(client, f"{URL}/synthetic-gazette", auth))

    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "Renamed" and body["country"] is None and body["website"] is None and body["notes"] is None


def test_patch_changes_only_the_fields_sent(client, auth):
    client.post(URL, json=FULL, headers=auth)

    body = client.patch(f"{URL}/synthetic-gazette", json={"country": "IE"}, headers=if_match(client, f"{URL}/synthetic-gazette", auth)).get_json()

    assert body["country"] == "IE"
    assert {k: body[k] for k in FULL if k != "country"} == {k: v for k, v in FULL.items() if k != "country"}


def test_patch_and_put_unknown_are_404(client, auth):
    assert_problem(client.patch(f"{URL}/nobody", json={"name": "x"}, headers=if_match(client, f"{URL}/nobody", auth)), 404)
    assert_problem(client.put(f"{URL}/nobody", json=FULL, headers=if_match(client, f"{URL}/nobody", auth)), 404)


def test_delete(admin, client, auth):
    create_sponsor(client, auth, "gazette")
    assert client.delete(f"{URL}/gazette", headers=if_match(client, f"{URL}/gazette", admin)).status_code == 204
    assert_problem(client.get(f"{URL}/gazette"), 404)


def test_poll_lists_its_sponsors_and_delete_is_refused_while_used(admin, client, auth, pollster):
    create_sponsor(client, auth, "gazette", name="The Synthetic Gazette")
    create_sponsor(client, auth, "alpha-tv", name="Alpha TV (synthetic)")
    poll = client.post(
        "/api/v1/polls", json=poll_doc(self_sponsored=False, sponsors=["gazette", "alpha-tv"]), headers=auth
    ).get_json()

    assert poll["sponsors"] == [
        {"slug": "alpha-tv", "name": "Alpha TV (synthetic)"},
        {"slug": "gazette", "name": "The Synthetic Gazette"},
    ]
    assert_problem(client.delete(f"{URL}/gazette", headers=if_match(client, f"{URL}/gazette", admin)), 409)
    assert client.get(f"{URL}/gazette").status_code == 200

    # A deleted poll keeps its row and history (it can be restored), so it still refers to the sponsor.
    assert client.delete(f"/api/v1/polls/{poll['id']}", headers=if_match(client, f"/api/v1/polls/{poll['id']}", admin)).status_code == 204
    assert_problem(client.delete(f"{URL}/gazette", headers=if_match(client, f"{URL}/gazette", admin)), 409)
    assert client.delete(f"{URL}/alpha-tv", headers=if_match(client, f"{URL}/alpha-tv", admin)).status_code == 409


def test_renaming_a_sponsor_shows_in_its_polls(client, auth, pollster):
    create_sponsor(client, auth, "gazette")
    poll = client.post("/api/v1/polls", json=poll_doc(sponsors=["gazette"]), headers=auth).get_json()

    client.patch(f"{URL}/gazette", json={"name": "The Renamed Gazette"}, headers=if_match(client, f"{URL}/gazette", auth))

    assert client.get(f"/api/v1/polls/{poll['id']}").get_json()["sponsors"] == [
        {"slug": "gazette", "name": "The Renamed Gazette"}
    ]
