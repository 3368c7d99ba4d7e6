"""``/api/v1/series``: tracked measures, their outcomes, member questions (answer codes mapped onto
outcomes, several answers summed into one) and the points behind a chart. Synthetic polls only."""

from __future__ import annotations

import pytest

from factories import (
    if_match,
    assert_problem,
    create_pollster,
    error_parameters,
    error_pointers,
    poll_doc,
    row_counts,
    simple_question,
)

URL = "/api/v1/series"

PEACE = {
    "slug": "peace-closer",
    "title": "Synthetic: is peace getting closer?",
    "description": "Synthetic series for the tests.",
    "country": "UA",
    "tags": ["ukraine", "peace"],
    "outcomes": [
        {"code": "closer", "label": "Closer"},
        {"code": "further", "label": "Further"},
        {"code": "undecided", "label": "No change / hard to say"},
    ],
}
MAPPING = {
    "closer": ["significantly_closer", "slightly_closer"],
    "further": ["slightly_further", "significantly_further"],
    "undecided": ["no_change_or_undecided"],
}


@pytest.fixture
def series(client, auth) -> dict:
    response = client.post(URL, json=PEACE, headers=auth)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def member(client, auth, series, poll) -> dict:
    response = client.post(
        f"{URL}/peace-closer/members",
        json={"question_id": poll["questions"][0]["id"], "outcomes": MAPPING},
        headers=auth,
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def add_member(client, auth, question_id: int, outcomes: dict, slug: str = "peace-closer"):
    return client.post(f"{URL}/{slug}/members", json={"question_id": question_id, "outcomes": outcomes}, headers=auth)


# ---------------------------------------------------------------- series


def test_create_series_with_outcomes(client, auth):
    response = client.post(URL, json=PEACE, headers=auth)

    assert response.status_code == 201
    assert response.headers["Location"] == f"{URL}/peace-closer"
    body = response.get_json()
    assert {k: body[k] for k in PEACE} == PEACE
    assert body["poll_count"] == 0 and body["pollsters"] == []
    assert body["first_field_end_date"] is None and body["last_field_end_date"] is None
    assert client.get(f"{URL}/peace-closer").get_json() == body


def test_create_series_minimal(client, auth):
    body = client.post(URL, json={"slug": "s", "title": "Synthetic", "outcomes": [{"code": "yes", "label": "Yes"}]}, headers=auth).get_json()
    assert body["tags"] == [] and body["country"] is None and body["description"] is None


def test_invalid_series_is_422(client, auth):
    for change, pointer in [
        ({"slug": "Peace Closer"}, "/slug"),
        ({"title": ""}, "/title"),
        ({"country": "Ukraine"}, "/country"),
        ({"tags": ["Not A Code"]}, "/tags/0"),
        ({"outcomes": []}, "/outcomes"),
        ({"outcomes": [{"code": "yes"}]}, "/outcomes/0/label"),
        ({"outcomes": [{"code": "yes", "label": "Yes", "colour": "red"}]}, "/outcomes/0/colour"),
        ({"outcomes": [{"code": "yes", "label": "Yes"}, {"code": "yes", "label": "Again"}]}, "/outcomes/1/code"),
        ({"chart_type": "line"}, "/chart_type"),
    ]:
        body = assert_problem(client.post(URL, json={**PEACE, **change}, headers=auth), 422)
        assert error_pointers(body) == {pointer}, change
    assert row_counts(client.application)["series"] == 0


def test_duplicate_series_slug_is_409(client, auth, series):
    body = assert_problem(client.post(URL, json=PEACE, headers=auth), 409)
    assert error_pointers(body) == {"/slug"}


def test_unknown_series_is_404(admin, client, auth):
    assert_problem(client.get(f"{URL}/nothing"), 404)
    assert_problem(client.get(f"{URL}/nothing/points"), 404)
    assert_problem(client.get(f"{URL}/nothing/members"), 404)
    assert_problem(client.patch(f"{URL}/nothing", json={"title": "x"}, headers=if_match(client, f"{URL}/nothing", auth)), 404)
    assert_problem(client.delete(f"{URL}/nothing", headers=if_match(client, f"{URL}/nothing", admin)), 404)
    assert_problem(add_member(client, auth, 1, {"closer": ["x"]}, slug="nothing"), 404)


def test_patch_series(client, auth, series):
    response = client.patch(f"{URL}/peace-closer", json={"title": "Synthetic: renamed", "tags": ["war"], "country": None}, headers=if_match(client, f"{URL}/peace-closer", auth))

    assert response.status_code == 200
    body = response.get_json()
    assert body["title"] == "Synthetic: renamed" and body["tags"] == ["war"] and body["country"] is None
    assert body["description"] == PEACE["description"] and body["outcomes"] == PEACE["outcomes"]


def test_patch_series_rejects_unknown_or_invalid_fields(client, auth, series):
    for change, pointer in [({"slug": "other"}, "/slug"), ({"outcomes": []}, "/outcomes"), ({"title": ""}, "/title")]:
        assert error_pointers(assert_problem(client.patch(f"{URL}/peace-closer", json=change, headers=if_match(client, f"{URL}/peace-closer", auth)), 422)) == {pointer}
    assert client.get(f"{URL}/peace-closer").get_json()["title"] == PEACE["title"]


def test_list_series_with_filters(client, auth, series):
    client.post(URL, json={**PEACE, "slug": "russia-war", "country": "RU", "tags": ["russia", "war"]}, headers=auth)
    client.post(URL, json={**PEACE, "slug": "another", "country": None, "tags": []}, headers=auth)

    body = client.get(URL).get_json()
    assert [s["slug"] for s in body["items"]] == ["another", "peace-closer", "russia-war"] and body["total"] == 3
    assert [s["slug"] for s in client.get(f"{URL}?country=RU").get_json()["items"]] == ["russia-war"]
    assert [s["slug"] for s in client.get(f"{URL}?tag=peace").get_json()["items"]] == ["peace-closer"]
    assert [s["slug"] for s in client.get(f"{URL}?tag=war").get_json()["items"]] == ["russia-war"]
    assert [s["slug"] for s in client.get(f"{URL}?tag=war&country=UA").get_json()["items"]] == []
    assert error_parameters(assert_problem(client.get(f"{URL}?country=Russia"), 422)) == {"country"}


def test_delete_series_keeps_its_polls(admin, client, auth, member, poll):
    before = row_counts(client.application)

    assert client.delete(f"{URL}/peace-closer", headers=if_match(client, f"{URL}/peace-closer", admin)).status_code == 204

    after = row_counts(client.application)
    assert after["series"] == after["series_outcomes"] == after["series_members"] == after["series_mappings"] == 0
    assert (after["polls"], after["questions"], after["answers"]) == (before["polls"], before["questions"], before["answers"])
    assert client.get(f"/api/v1/polls/{poll['id']}").status_code == 200
    assert_problem(client.get(f"{URL}/peace-closer"), 404)


# ---------------------------------------------------------------- members


def test_add_member_maps_answers_onto_outcomes(client, auth, series, poll):
    question_id = poll["questions"][0]["id"]

    response = add_member(client, auth, question_id, MAPPING)

    assert response.status_code == 200
    assert response.get_json() == {"question_id": question_id, "poll_id": poll["id"], "outcomes": MAPPING}
    assert client.get(f"{URL}/peace-closer/members").get_json() == [response.get_json()]
    summary = client.get(f"{URL}/peace-closer").get_json()
    assert summary["poll_count"] == 1 and summary["pollsters"] == ["kiis"]
    assert summary["first_field_end_date"] == summary["last_field_end_date"] == "2024-12-17"


def test_points_sum_the_mapped_answers_with_methodology_columns(client, member, poll):
    response = client.get(f"{URL}/peace-closer/points")

    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 3 and body["next_cursor"] is None
    rows = {row["outcome"]: row for row in body["items"]}
    assert [row["outcome"] for row in body["items"]] == ["closer", "further", "undecided"]
    assert rows["closer"]["pct"] == 45  # 15 + 30
    assert rows["further"]["pct"] == 14  # 9 + 5
    assert rows["undecided"]["pct"] == 40
    assert rows["closer"] == {
        "poll_id": poll["id"],
        "question_id": poll["questions"][0]["id"],
        "outcome": "closer",
        "pct": 45.0,
        "pollster": "kiis",
        "pollster_name": "Kyiv International Institute of Sociology",
        "field_start_date": "2024-12-02",
        "field_end_date": "2024-12-17",
        "field_dates_precision": "day",
        "publication_date": "2024-12-27",
        "country": "UA",
        "population": "adults",
        "sample_size": 985,
        "sample_type": "probability",
        "modes": ["phone_live"],
        "design_effect": 1.1,
        "margin_of_error": None,
        "partisan": False,
        "tracking": False,
        "source_url": "https://example.org/poll",
    }


def test_a_net_answer_can_be_mapped_alone(client, auth, series, poll):
    response = add_member(client, auth, poll["questions"][0]["id"], {"closer": ["closer"]})
    assert response.status_code == 200
    assert [(r["outcome"], r["pct"]) for r in client.get(f"{URL}/peace-closer/points").get_json()["items"]] == [("closer", 45)]


def test_a_net_and_its_component_cannot_both_be_counted(client, auth, series, poll):
    question_id = poll["questions"][0]["id"]
    body = assert_problem(add_member(client, auth, question_id, {"closer": ["closer", "slightly_closer"]}), 422)
    assert error_pointers(body) == {"/outcomes/closer/1"}
    body = assert_problem(add_member(client, auth, question_id, {"closer": ["closer"], "further": ["significantly_closer"]}), 422)
    assert error_pointers(body) == {"/outcomes/further/0"}
    assert client.get(f"{URL}/peace-closer/members").get_json() == []


def test_points_use_the_question_base_n_and_population(client, auth, series, pollster):
    doc = poll_doc(sample_size=2000)
    doc["questions"][0].update(base_n=985, population="registered_voters")
    poll = client.post("/api/v1/polls", json=doc, headers=auth).get_json()
    add_member(client, auth, poll["questions"][0]["id"], MAPPING)

    rows = client.get(f"{URL}/peace-closer/points").get_json()["items"]

    assert {r["sample_size"] for r in rows} == {985}
    assert {r["population"] for r in rows} == {"registered_voters"}
    assert client.get(f"{URL}/peace-closer/points?population=registered_voters").get_json()["total"] == 3
    assert client.get(f"{URL}/peace-closer/points?population=adults").get_json()["total"] == 0


def test_points_with_unknown_sample_size(client, auth, series, pollster):
    poll = client.post("/api/v1/polls", json=poll_doc(sample_size=None), headers=auth).get_json()
    add_member(client, auth, poll["questions"][0]["id"], MAPPING)
    assert {r["sample_size"] for r in client.get(f"{URL}/peace-closer/points").get_json()["items"]} == {None}


def test_a_partial_mapping_gives_only_the_mapped_outcomes(client, auth, series, poll):
    add_member(client, auth, poll["questions"][0]["id"], {"closer": ["significantly_closer", "slightly_closer"]})
    rows = client.get(f"{URL}/peace-closer/points").get_json()["items"]
    assert [(r["outcome"], r["pct"]) for r in rows] == [("closer", 45)]


def test_posting_a_member_again_replaces_its_mapping(client, auth, member, poll):
    question_id = poll["questions"][0]["id"]
    new = {"closer": ["significantly_closer"], "further": ["slightly_closer"]}

    response = add_member(client, auth, question_id, new)

    assert response.status_code == 200 and response.get_json()["outcomes"] == new
    assert len(client.get(f"{URL}/peace-closer/members").get_json()) == 1
    rows = client.get(f"{URL}/peace-closer/points").get_json()["items"]
    assert [(r["outcome"], r["pct"]) for r in rows] == [("closer", 15), ("further", 30)]


def test_member_errors_are_422_naming_the_field(client, auth, series, poll):
    qid = poll["questions"][0]["id"]
    cases = [
        ({"question_id": 999999, "outcomes": {"closer": ["slightly_closer"]}}, {"/question_id"}),
        ({"question_id": 0, "outcomes": {"closer": ["slightly_closer"]}}, {"/question_id"}),
        ({"question_id": None, "outcomes": {"closer": ["slightly_closer"]}}, {"/question_id"}),
        ({"question_id": 1.5, "outcomes": {"closer": ["slightly_closer"]}}, {"/question_id"}),
        ({"outcomes": {"closer": ["slightly_closer"]}}, {"/question_id"}),
        ({"question_id": qid, "outcomes": {}}, {"/outcomes"}),
        ({"question_id": qid, "outcomes": {"Bad Code": ["slightly_closer"], "closer": ["Bad Code"]}}, {"/outcomes/Bad Code", "/outcomes/closer/0"}),
        ({"question_id": qid, "outcomes": {"nearer": ["slightly_closer"]}}, {"/outcomes/nearer"}),
        ({"question_id": qid, "outcomes": {"closer": ["slightly_closer", "much_closer"]}}, {"/outcomes/closer/1"}),
        ({"question_id": qid, "outcomes": {"closer": ["slightly_closer"], "further": ["slightly_closer"]}}, {"/outcomes/further/0"}),
        ({"question_id": qid, "outcomes": {"closer": []}}, {"/outcomes/closer"}),
        ({"question_id": qid, "outcomes": {"closer": ["slightly_closer"]}, "weight": 1}, {"/weight"}),
        ({"question_id": qid, "outcomes": {"clo\x00ser": ["slightly_closer"]}}, {"/outcomes/clo\x00ser"}),
    ]
    before = row_counts(client.application)
    for body, pointers in cases:
        problem = assert_problem(client.post(f"{URL}/peace-closer/members", json=body, headers=auth), 422)
        assert error_pointers(problem) == pointers, body
    assert row_counts(client.application) == before


def test_delete_member(client, auth, member, poll):
    question_id = poll["questions"][0]["id"]

    assert client.delete(f"{URL}/peace-closer/members/{question_id}", headers=if_match(client, f"{URL}/peace-closer/members/{question_id}", auth)).status_code == 204

    assert client.get(f"{URL}/peace-closer/members").get_json() == []
    assert client.get(f"{URL}/peace-closer/points").get_json() == {"items": [], "next_cursor": None, "total": 0}
    assert client.get(f"{URL}/peace-closer").get_json()["poll_count"] == 0
    assert row_counts(client.application)["series_mappings"] == 0
    assert_problem(client.delete(f"{URL}/peace-closer/members/{question_id}", headers=if_match(client, f"{URL}/peace-closer/members/{question_id}", auth)), 404)
    assert_problem(client.delete(f"{URL}/nothing/members/{question_id}", headers=if_match(client, f"{URL}/nothing/members/{question_id}", auth)), 404)


def test_editing_a_poll_keeps_its_series_mapping(client, auth, member, poll):
    doc = poll_doc()
    doc["questions"][0]["answers"][0]["pct"] = 16
    doc["questions"][0]["answers"][4]["pct"] = 39
    doc["questions"][0]["answers"][5]["pct"] = 46

    assert client.put(f"/api/v1/polls/{poll['id']}", json=doc, headers=if_match(client, f"/api/v1/polls/{poll['id']}", auth)).status_code == 200

    rows = {r["outcome"]: r["pct"] for r in client.get(f"{URL}/peace-closer/points").get_json()["items"]}
    assert rows == {"closer": 46, "further": 14, "undecided": 39}


def test_deleting_a_poll_removes_it_from_its_series(admin, client, auth, member, poll):
    assert client.delete(f"/api/v1/polls/{poll['id']}", headers=if_match(client, f"/api/v1/polls/{poll['id']}", admin)).status_code == 204

    assert client.get(f"{URL}/peace-closer/points").get_json()["total"] == 0
    assert client.get(f"{URL}/peace-closer/members").get_json() == []
    assert client.get(f"{URL}/peace-closer").get_json()["poll_count"] == 0


def test_dropping_a_mapped_answer_from_a_poll_drops_it_from_the_points(client, auth, member, poll):
    doc = poll_doc()
    doc["questions"][0]["answers"] = [a for a in doc["questions"][0]["answers"] if a["code"] != "significantly_further"]

    assert client.put(f"/api/v1/polls/{poll['id']}", json=doc, headers=if_match(client, f"/api/v1/polls/{poll['id']}", auth)).status_code == 200

    rows = {r["outcome"]: r["pct"] for r in client.get(f"{URL}/peace-closer/points").get_json()["items"]}
    assert rows == {"closer": 45, "further": 9, "undecided": 40}


# ---------------------------------------------------------------- several polls: summary and point filters


@pytest.fixture
def tracked(client, auth, series) -> dict[str, dict]:
    create_pollster(client, auth, "kiis", name="KIIS (synthetic)")
    create_pollster(client, auth, "rating-group", name="Rating (synthetic)")
    polls = {}
    for key, pollster, start, end, population in [
        ("kiis_may", "kiis", "2024-05-01", "2024-05-10", "adults"),
        ("rating_jun", "rating-group", "2024-06-01", "2024-06-03", "adults"),
        ("kiis_sep", "kiis", "2024-09-10", "2024-09-20", "registered_voters"),
    ]:
        doc = poll_doc(pollster=pollster, field_start_date=start, field_end_date=end, publication_date=None, population=population)
        doc["questions"].append(simple_question("unrelated"))
        poll = client.post("/api/v1/polls", json=doc, headers=auth).get_json()
        assert add_member(client, auth, poll["questions"][0]["id"], MAPPING).status_code == 200
        polls[key] = poll
    return polls


def test_series_summary_over_several_polls(client, tracked):
    body = client.get(f"{URL}/peace-closer").get_json()
    assert body["poll_count"] == 3
    assert body["pollsters"] == ["kiis", "rating-group"]
    assert (body["first_field_end_date"], body["last_field_end_date"]) == ("2024-05-10", "2024-09-20")
    listed = client.get(URL).get_json()["items"][0]
    assert listed["poll_count"] == 3 and listed["pollsters"] == ["kiis", "rating-group"]


def test_points_are_ordered_by_field_end_date(client, tracked):
    rows = client.get(f"{URL}/peace-closer/points").get_json()["items"]
    assert [r["poll_id"] for r in rows] == [tracked[k]["id"] for k in ("kiis_may", "rating_jun", "kiis_sep") for _ in range(3)]
    assert {r["pollster_name"] for r in rows} == {"KIIS (synthetic)", "Rating (synthetic)"}


def test_point_filters(client, tracked):
    for query, expected in [
        ("outcome=closer", [("kiis_may", "closer"), ("rating_jun", "closer"), ("kiis_sep", "closer")]),
        ("outcome=closer&outcome=undecided&pollster=rating-group", [("rating_jun", "closer"), ("rating_jun", "undecided")]),
        ("pollster=kiis&outcome=further", [("kiis_may", "further"), ("kiis_sep", "further")]),
        ("population=registered_voters&outcome=closer", [("kiis_sep", "closer")]),
        ("field_date_from=2024-06-01&field_date_to=2024-09-10&outcome=undecided", [("rating_jun", "undecided"), ("kiis_sep", "undecided")]),
        ("field_date_to=2024-05-31&outcome=further", [("kiis_may", "further")]),
        ("outcome=unknown", []),
    ]:
        body = client.get(f"{URL}/peace-closer/points?{query}").get_json()
        assert [(r["poll_id"], r["outcome"]) for r in body["items"]] == [(tracked[k]["id"], o) for k, o in expected], query
        assert body["total"] == len(expected)


def test_invalid_point_parameters(client, series):
    for query, parameter in [("outcome=Not A Code", "outcome"), ("pollster=BAD SLUG", "pollster"), ("population=all", "population"),
                             ("field_date_from=may", "field_date_from"), ("limit=0", "limit"), ("sort=pct", "sort")]:  # fmt: skip
        assert error_parameters(assert_problem(client.get(f"{URL}/peace-closer/points?{query}"), 422)) == {parameter}, query
