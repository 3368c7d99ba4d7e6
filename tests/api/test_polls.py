"""``/api/v1/polls``: one document per poll (methodology, questions, answers), created atomically,
read, replaced, patched and deleted. All polls here are synthetic (shaped like real releases)."""

from __future__ import annotations

import datetime as dt

from factories import (
    if_match,
    KIIS_LIKE_POLL,
    assert_problem,
    create_pollster,
    create_sponsor,
    error_pointers,
    poll_doc,
    row_counts,
    simple_question,
)

URL = "/api/v1/polls"


def _answers(body, question=0):
    return {a["code"]: a for a in body["questions"][question]["answers"]}


def test_post_creates_the_whole_document(client, auth, pollster):
    before = row_counts(client.application)

    response = client.post(URL, json=poll_doc(), headers=auth)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"{URL}/{body['id']}"
    for field in (
        "field_start_date", "field_end_date", "publication_date", "country", "population",
        "population_description", "coverage_exclusions", "sample_size", "sample_type", "sampling_frame",
        "recruitment", "modes", "languages", "weighted", "weighting_variables", "design_effect",
        "source_url", "self_sponsored",
    ):  # fmt: skip
        assert body[field] == KIIS_LIKE_POLL[field], field
    assert body["pollster"]["slug"] == "kiis"
    assert body["field_dates_precision"] == "day"
    question = body["questions"][0]
    assert question["wording"] == KIIS_LIKE_POLL["questions"][0]["wording"]
    assert question["position"] == 1 and question["remainder_not_reported"] is False
    answers = _answers(body)
    assert [a["position"] for a in question["answers"]] == [1, 2, 3, 4, 5, 6]
    assert answers["no_change_or_undecided"]["substantive"] is False
    assert answers["closer"] == {
        "code": "closer",
        "label": "Closer (net)",
        "pct": 45.0,
        "position": 6,
        "substantive": True,
        "is_net": True,
        "components": ["significantly_closer", "slightly_closer"],
        "notes": None,
    }
    assert answers["slightly_closer"]["is_net"] is False and answers["slightly_closer"]["components"] == []
    for stamp in ("created_at", "updated_at"):
        assert dt.datetime.fromisoformat(body[stamp]).utcoffset() == dt.timedelta(0)

    after = row_counts(client.application)
    assert after["polls"] - before["polls"] == 1
    assert after["questions"] - before["questions"] == 1
    assert after["answers"] - before["answers"] == 6
    assert after["answer_components"] - before["answer_components"] == 2
    assert client.get(response.headers["Location"]).get_json() == body


def test_post_reports_the_disclosure_score(client, auth, pollster):
    body = client.post(URL, json=poll_doc(), headers=auth).get_json()

    disclosure = body["disclosure"]
    assert len(disclosure["items"]) == 12
    present = {item["code"] for item in disclosure["items"] if item["present"]}
    assert disclosure["score"] == round(100 * len(present) / 12)
    assert {"sponsor", "question_wording", "population", "sampling_frame", "sample_design", "mode",
            "field_dates", "sample_size_precision", "weighting"} <= present  # fmt: skip
    assert {"quality_procedures", "limitations"}.isdisjoint(present)
    assert "Limitations of the design" in disclosure["missing"]

    complete = client.post(
        URL,
        json=poll_doc(
            quality_procedures="Synthetic: 10% back-checks.",
            limitations="Synthetic: excludes occupied territories.",
            data_collection="CATI",
        ),
        headers=auth,
    ).get_json()
    assert complete["disclosure"]["score"] == 100 and complete["disclosure"]["missing"] == []


def test_post_with_several_questions_positions_and_other_fields(client, auth, pollster):
    create_pollster(client, auth, "partner")
    create_sponsor(client, auth, "gazette")
    doc = poll_doc(
        partner_pollsters=["partner"],
        sponsors=["gazette"],
        self_sponsored=False,
        region="Kyiv",
        margin_of_error=3.3,
        confidence_level=95,
        response_rate=12.5,
        response_rate_formula="RR3",
        partisan=True,
        internal=True,
        tracking=True,
        report_url="https://example.org/report",
        topline_url="https://example.org/topline",
        crosstab_url="https://example.org/crosstabs",
        notes="Synthetic poll.",
        field_dates_precision="end_only",
    )
    doc["questions"].append(
        simple_question(
            "trust",
            "Synthetic: do you trust the government?",
            wording_exact=False,
            wording_en="Synthetic translation",
            preceding_context="Synthetic context",
            population="registered_voters",
            base_description="Split half A",
            base_n=400,
            split_variant="A",
        )
    )

    body = client.post(URL, json=doc, headers=auth).get_json()

    assert body["partner_pollsters"] == [{"slug": "partner", "name": "Synthetic pollster partner"}]
    assert body["sponsors"][0]["slug"] == "gazette"
    for key in ("region", "margin_of_error", "confidence_level", "response_rate", "response_rate_formula",
                "partisan", "internal", "tracking", "report_url", "topline_url", "crosstab_url", "notes"):  # fmt: skip
        assert body[key] == doc[key], key
    assert body["field_dates_precision"] == "end_only"
    trust = body["questions"][1]
    assert trust["position"] == 2
    assert {k: trust[k] for k in ("wording_exact", "wording_en", "preceding_context", "population",
                                  "base_description", "base_n", "split_variant")} == {  # fmt: skip
        "wording_exact": False,
        "wording_en": "Synthetic translation",
        "preceding_context": "Synthetic context",
        "population": "registered_voters",
        "base_description": "Split half A",
        "base_n": 400,
        "split_variant": "A",
    }
    assert "Exact question wording and response options" in body["disclosure"]["missing"]


def test_explicit_positions_order_questions_and_answers(client, auth, pollster):
    doc = poll_doc()
    doc["questions"] = [
        simple_question("second", position=2),
        simple_question("first", position=1),
    ]
    doc["questions"][0]["answers"][0]["position"] = 9

    body = client.post(URL, json=doc, headers=auth).get_json()

    assert [q["code"] for q in body["questions"]] == ["first", "second"]
    assert [a["code"] for a in body["questions"][1]["answers"]] == ["disapprove", "dont_know", "approve"]


def test_post_with_unknown_organisations_names_them_and_writes_nothing(client, auth, pollster):
    before = row_counts(client.application)

    body = assert_problem(
        client.post(URL, json=poll_doc(pollster="nobody", sponsors=["ghost"], partner_pollsters=["kiis"]), headers=auth),
        422,
    )

    assert error_pointers(body) == {"/pollster", "/sponsors/0"}
    assert row_counts(client.application) == before


def test_the_pollster_is_not_its_own_partner(client, auth, pollster):
    body = assert_problem(client.post(URL, json=poll_doc(partner_pollsters=["kiis"]), headers=auth), 422)
    assert error_pointers(body) == {"/partner_pollsters/0"}


def test_post_is_atomic_when_a_database_rule_fails_late(client, auth, pollster):
    """A duplicate natural key is found after questions and answers were built: nothing is kept."""
    client.post(URL, json=poll_doc(source="synthetic-feed", source_id="p1"), headers=auth)
    before = row_counts(client.application)

    body = assert_problem(client.post(URL, json=poll_doc(source="synthetic-feed", source_id="p1"), headers=auth), 409)

    assert error_pointers(body) == {"/source_id"}
    assert row_counts(client.application) == before


def test_source_and_source_id_go_together(client, auth, pollster):
    body = assert_problem(client.post(URL, json=poll_doc(source="synthetic-feed"), headers=auth), 422)
    assert error_pointers(body) == {"/source_id"}
    body = assert_problem(client.post(URL, json=poll_doc(source_id="p1"), headers=auth), 422)
    assert error_pointers(body) == {"/source"}


def test_get_unknown_poll_is_404(client):
    assert_problem(client.get(f"{URL}/999999"), 404)
    assert_problem(client.get(f"{URL}/not-a-number"), 404)


def test_put_replaces_the_document_and_keeps_question_and_answer_identity(client, auth, poll):
    doc = poll_doc(sample_size=1200, design_effect=None, weighting_variables=["age"])
    doc["questions"][0]["wording"] = "Synthetic: reworded."
    doc["questions"][0]["answers"][4]["pct"] = 41
    doc["questions"][0]["answers"][3]["pct"] = 4
    doc["questions"].append(simple_question())

    response = client.put(f"{URL}/{poll['id']}", json=doc, headers=if_match(client, f"{URL}/{poll['id']}", auth))

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["id"] == poll["id"]
    assert body["sample_size"] == 1200 and body["design_effect"] is None and body["weighting_variables"] == ["age"]
    assert body["questions"][0]["id"] == poll["questions"][0]["id"]
    assert body["questions"][0]["wording"] == "Synthetic: reworded."
    assert _answers(body)["no_change_or_undecided"]["pct"] == 41
    assert [q["code"] for q in body["questions"]] == ["peace_closer", "approve"]
    assert body["created_at"] == poll["created_at"]
    assert dt.datetime.fromisoformat(body["updated_at"]) > dt.datetime.fromisoformat(poll["updated_at"])
    assert client.get(f"{URL}/{poll['id']}").get_json() == body


def test_put_drops_questions_and_answers_left_out(client, auth, poll):
    doc = poll_doc()
    doc["questions"] = [simple_question()]
    before = row_counts(client.application)

    body = client.put(f"{URL}/{poll['id']}", json=doc, headers=if_match(client, f"{URL}/{poll['id']}", auth)).get_json()

    assert [q["code"] for q in body["questions"]] == ["approve"]
    after = row_counts(client.application)
    assert after["questions"] == before["questions"]
    assert after["answers"] == before["answers"] - 6 + 3
    assert after["answer_components"] == before["answer_components"] - 2


def test_put_can_change_the_pollster_and_sponsors(admin, client, auth, poll):
    create_pollster(client, auth, "rating-group")
    create_sponsor(client, auth, "gazette")

    body = client.put(
        f"{URL}/{poll['id']}", json=poll_doc(pollster="rating-group", sponsors=["gazette"]), headers=if_match(client, f"{URL}/{poll['id']}", auth)
    ).get_json()

    assert body["pollster"]["slug"] == "rating-group" and [s["slug"] for s in body["sponsors"]] == ["gazette"]
    assert client.delete("/api/v1/pollsters/kiis", headers=if_match(client, "/api/v1/pollsters/kiis", admin)).status_code == 204


def test_put_needs_the_whole_document(client, auth, poll):
    before = client.get(f"{URL}/{poll['id']}").get_json()

    body = assert_problem(client.put(f"{URL}/{poll['id']}", json={"sample_size": 10}, headers=if_match(client, f"{URL}/{poll['id']}", auth)), 422)

    assert {"/pollster", "/field_start_date", "/field_end_date", "/country", "/population", "/questions"} <= error_pointers(body)
    assert client.get(f"{URL}/{poll['id']}").get_json() == before


def test_put_unknown_poll_is_404(client, auth, pollster):
    assert_problem(client.put(f"{URL}/424242", json=poll_doc(), headers=if_match(client, f"{URL}/424242", auth)), 404)


def test_patch_changes_only_the_fields_sent(client, auth, poll):
    response = client.patch(f"{URL}/{poll['id']}", json={"sample_size": 2000, "notes": "Synthetic note."}, headers=if_match(client, f"{URL}/{poll['id']}", auth))

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["sample_size"] == 2000 and body["notes"] == "Synthetic note."
    unchanged = {k: v for k, v in poll.items() if k not in ("sample_size", "notes", "updated_at")}
    assert {k: body[k] for k in unchanged} == unchanged


def test_patch_with_questions_replaces_all_questions(client, auth, poll):
    body = client.patch(f"{URL}/{poll['id']}", json={"questions": [simple_question()]}, headers=if_match(client, f"{URL}/{poll['id']}", auth)).get_json()

    assert [q["code"] for q in body["questions"]] == ["approve"]
    assert body["questions"][0]["position"] == 1
    assert [a["position"] for a in body["questions"][0]["answers"]] == [1, 2, 3]


def test_patch_is_checked_against_the_stored_document(client, auth, poll):
    """The merged document must satisfy the whole-document rules."""
    before = client.get(f"{URL}/{poll['id']}").get_json()

    body = assert_problem(client.patch(f"{URL}/{poll['id']}", json={"field_end_date": "2024-12-01"}, headers=if_match(client, f"{URL}/{poll['id']}", auth)), 422)
    assert error_pointers(body) == {"/field_end_date"}

    body = assert_problem(client.patch(f"{URL}/{poll['id']}", json={"publication_date": "2024-12-16"}, headers=if_match(client, f"{URL}/{poll['id']}", auth)), 422)
    assert error_pointers(body) == {"/publication_date"}

    assert client.get(f"{URL}/{poll['id']}").get_json() == before


def test_patch_sample_size_below_a_question_base(client, auth, pollster):
    doc = poll_doc(sample_size=2000)
    doc["questions"][0]["base_n"] = 985
    created = client.post(URL, json=doc, headers=auth).get_json()

    body = assert_problem(client.patch(f"{URL}/{created['id']}", json={"sample_size": 900}, headers=if_match(client, f"{URL}/{created['id']}", auth)), 422)

    assert error_pointers(body) == {"/questions/0/base_n"}
    assert client.get(f"{URL}/{created['id']}").get_json()["sample_size"] == 2000


def test_patch_rejects_unknown_and_invalid_fields(client, auth, poll):
    body = assert_problem(
        client.patch(f"{URL}/{poll['id']}", json={"sample_sise": 10, "design_effect": 0.5}, headers=if_match(client, f"{URL}/{poll['id']}", auth)), 422
    )
    assert error_pointers(body) == {"/sample_sise", "/design_effect"}


def test_patch_to_unknown_pollster_is_422(client, auth, poll):
    body = assert_problem(client.patch(f"{URL}/{poll['id']}", json={"pollster": "nobody"}, headers=if_match(client, f"{URL}/{poll['id']}", auth)), 422)
    assert error_pointers(body) == {"/pollster"}


def test_patch_unknown_poll_is_404(client, auth, pollster):
    assert_problem(client.patch(f"{URL}/424242", json={"notes": "x"}, headers=if_match(client, f"{URL}/424242", auth)), 404)


def test_delete_hides_the_poll_but_keeps_its_rows(admin, client, auth, poll):
    before = row_counts(client.application)

    response = client.delete(f"{URL}/{poll['id']}", headers=if_match(client, f"{URL}/{poll['id']}", admin))

    assert response.status_code == 204 and response.get_data() == b""
    after = row_counts(client.application)
    assert {k: after[k] for k in ("polls", "questions", "answers", "answer_components", "pollsters")} == {
        k: before[k] for k in ("polls", "questions", "answers", "answer_components", "pollsters")
    }, "a soft delete erases nothing"
    gone = assert_problem(client.get(f"{URL}/{poll['id']}"), 410)
    assert f"/api/v1/polls/{poll['id']}/history" in gone["detail"]
    assert_problem(client.delete(f"{URL}/{poll['id']}", headers=if_match(client, f"{URL}/{poll['id']}", admin)), 410)
    assert client.get(URL).get_json()["total"] == 0


def test_list_returns_the_same_documents_as_get(client, auth, poll):
    body = client.get(URL).get_json()

    assert body["total"] == 1 and body["next_cursor"] is None
    assert body["items"] == [client.get(f"{URL}/{poll['id']}").get_json()]
