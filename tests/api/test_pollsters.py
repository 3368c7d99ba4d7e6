"""``/api/v1/pollsters``: create, read, list, replace, change and delete (synthetic organisations)."""

from __future__ import annotations

import datetime as dt

import pytest

from factories import assert_problem, create_pollster, error_pointers, poll_doc, row_counts, if_match

URL = "/api/v1/pollsters"

FULL = {
    "slug": "synthetic-research",
    "name": "Synthetic Research Institute",
    "country": "UA",
    "website": "https://synthetic.example.org/",
    "memberships": ["esomar", "wapor"],
    "notes": "Synthetic pollster made up for the tests.",
}


def test_create_returns_the_pollster_with_location_and_timestamps(client, auth):
    response = client.post(URL, json=FULL, headers=auth)

    assert response.status_code == 201
    assert response.headers["Location"] == f"{URL}/synthetic-research"
    body = response.get_json()
    assert {k: body[k] for k in FULL} == FULL
    created = dt.datetime.fromisoformat(body["created_at"])
    assert created.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.timezone.utc) - created) < dt.timedelta(minutes=1)
    assert client.get(response.headers["Location"]).get_json() == body


def test_create_applies_defaults_for_optional_fields(client, auth):
    body = create_pollster(client, auth, "minimal")
    assert body["country"] is None and body["website"] is None and body["notes"] is None
    assert body["memberships"] == []


def test_duplicate_slug_is_a_conflict_naming_slug(client, auth):
    create_pollster(client, auth, "kiis")
    before = row_counts(client.application)

    body = assert_problem(client.post(URL, json={"slug": "kiis", "name": "Other"}, headers=auth), 409)

    assert error_pointers(body) == {"/slug"}
    assert row_counts(client.application) == before


def test_invalid_fields_are_422_naming_the_field(client, auth):
    for field, value in [
        ("slug", "Not A Slug"),
        ("slug", "x" * 81),
        ("name", ""),
        ("country", "Ukraine"),
        ("country", "ua"),
        ("website", "ftp://example.org"),
        ("website", "not a url"),
        ("memberships", ["aapor_ti", "made_up_club"]),
        ("notes", 12),
        ("website", "https://example.org/" + "x" * 481),  # 501 characters: the column holds 500
        ("name", "Synthetic\x00Institute"),
    ]:
        body = assert_problem(client.post(URL, json={**FULL, field: value}, headers=auth), 422)

        pointers = error_pointers(body)
        assert pointers and all(p.startswith(f"/{field}") for p in pointers), (field, value, pointers)
    assert client.get(f"{URL}/{FULL['slug']}").status_code == 404


def test_required_fields(client, auth):
    for missing in ("slug", "name"):
        doc = {k: v for k, v in FULL.items() if k != missing}
        body = assert_problem(client.post(URL, json=doc, headers=auth), 422)
        assert error_pointers(body) == {f"/{missing}"}


def test_get_unknown_is_404_problem(client):
    body = assert_problem(client.get(f"{URL}/nobody"), 404)
    assert "nobody" in body["detail"]


def test_list_is_ordered_by_slug_with_envelope_and_country_filter(client, auth):
    for slug, country in [("rating-group", "UA"), ("kiis", "UA"), ("levada-center", "RU"), ("gallup", "US")]:
        create_pollster(client, auth, slug, country=country)

    body = client.get(URL).get_json()
    assert [p["slug"] for p in body["items"]] == ["gallup", "kiis", "levada-center", "rating-group"]
    assert body["total"] == 4 and body["next_cursor"] is None

    ukrainian = client.get(f"{URL}?country=UA").get_json()
    assert [p["slug"] for p in ukrainian["items"]] == ["kiis", "rating-group"]
    assert ukrainian["total"] == 2

    assert_problem(client.get(f"{URL}?country=Ukraine"), 422)


def test_put_replaces_every_field_and_resets_the_ones_not_sent(client, auth):
    client.post(URL, json=FULL, headers=auth)

    response = client.put(
        f"{URL}/synthetic-research", json={"slug": "synthetic-research", "name": "Renamed"}, headers=if_match(client, f"{URL}/synthetic-research", auth)
    )

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["name"] == "Renamed"
    assert body["country"] is None and body["website"] is None and body["notes"] is None
    assert body["memberships"] == []
    assert client.get(f"{URL}/synthetic-research").get_json() == body


def test_put_validates_like_post(client, auth):
    client.post(URL, json=FULL, headers=auth)
    body = assert_problem(client.put(f"{URL}/synthetic-research", json={"slug": "synthetic-research"}, headers=if_match(client, f"{URL}/synthetic-research", auth)), 422)
    assert error_pointers(body) == {"/name"}
    assert client.get(f"{URL}/synthetic-research").get_json()["name"] == FULL["name"]


def test_put_can_rename_the_slug(client, auth):
    client.post(URL, json=FULL, headers=auth)

    response = client.put(f"{URL}/synthetic-research", json={**FULL, "slug": "synthetic-2"}, headers=if_match(client, f"{URL}/synthetic-research", auth))

    assert response.status_code == 200
    assert client.get(f"{URL}/synthetic-2").status_code == 200
    assert client.get(f"{URL}/synthetic-research").status_code == 404


def test_put_unknown_is_404(client, auth):
    assert_problem(client.put(f"{URL}/nobody", json=FULL, headers=if_match(client, f"{URL}/nobody", auth)), 404)


def test_patch_changes_only_the_fields_sent(client, auth):
    created = client.post(URL, json=FULL, headers=auth).get_json()

    response = client.patch(f"{URL}/synthetic-research", json={"notes": "Changed (synthetic)."}, headers=if_match(client, f"{URL}/synthetic-research", auth))

    assert response.status_code == 200
    body = response.get_json()
    assert body["notes"] == "Changed (synthetic)."
    assert {k: body[k] for k in FULL if k != "notes"} == {k: v for k, v in FULL.items() if k != "notes"}
    assert body["created_at"] == created["created_at"]
    assert dt.datetime.fromisoformat(body["updated_at"]) > dt.datetime.fromisoformat(created["updated_at"])


def test_patch_rejects_invalid_and_unknown_fields(client, auth):
    client.post(URL, json=FULL, headers=auth)

    body = assert_problem(
        client.patch(f"{URL}/synthetic-research", json={"country": "XXX", "nickname": "s"}, headers=if_match(client, f"{URL}/synthetic-research", auth)), 422
    )

    assert error_pointers(body) == {"/country", "/nickname"}
    assert client.get(f"{URL}/synthetic-research").get_json()["country"] == "UA"


def test_patch_to_a_taken_slug_is_a_conflict(client, auth):
    create_pollster(client, auth, "kiis")
    create_pollster(client, auth, "rating-group")

    body = assert_problem(client.patch(f"{URL}/rating-group", json={"slug": "kiis"}, headers=if_match(client, f"{URL}/rating-group", auth)), 409)

    assert error_pointers(body) == {"/slug"}
    assert client.get(f"{URL}/rating-group").status_code == 200


def test_patch_unknown_is_404(client, auth):
    assert_problem(client.patch(f"{URL}/nobody", json={"notes": "x"}, headers=if_match(client, f"{URL}/nobody", auth)), 404)


def test_delete_removes_it(admin, client, auth):
    create_pollster(client, auth, "kiis")

    response = client.delete(f"{URL}/kiis", headers=if_match(client, f"{URL}/kiis", admin))

    assert response.status_code == 204 and response.get_data() == b""
    assert_problem(client.get(f"{URL}/kiis"), 404)
    assert_problem(client.delete(f"{URL}/kiis", headers=if_match(client, f"{URL}/kiis", admin)), 404)


def test_delete_is_refused_while_polls_refer_to_it(admin, client, auth):
    create_pollster(client, auth, "kiis")
    create_pollster(client, auth, "partner")
    client.post("/api/v1/polls", json=poll_doc(partner_pollsters=["partner"]), headers=auth)
    before = row_counts(client.application)

    assert_problem(client.delete(f"{URL}/kiis", headers=if_match(client, f"{URL}/kiis", admin)), 409)
    assert_problem(client.delete(f"{URL}/partner", headers=if_match(client, f"{URL}/partner", admin)), 409)

    assert row_counts(client.application) == before


def test_a_poll_shows_its_pollster_and_partners(client, auth):
    create_pollster(client, auth, "kiis", name="Kyiv International Institute of Sociology")
    create_pollster(client, auth, "partner", name="Synthetic Partner")

    poll = client.post("/api/v1/polls", json=poll_doc(partner_pollsters=["partner"]), headers=auth).get_json()

    assert poll["pollster"] == {"slug": "kiis", "name": "Kyiv International Institute of Sociology"}
    assert poll["partner_pollsters"] == [{"slug": "partner", "name": "Synthetic Partner"}]


def test_a_slug_with_a_trailing_newline_is_a_422_not_a_500(client, auth):
    """Found by fuzzing: "abc\\n" passed the slug pattern and then broke the Location header (500)."""
    body = assert_problem(client.post(URL, json={"slug": "abc\n", "name": "Synthetic"}, headers=auth), 422)
    assert error_pointers(body) == {"/slug"}
    assert client.get(URL).get_json()["total"] == 0
