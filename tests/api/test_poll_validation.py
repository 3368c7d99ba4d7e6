"""Every validation rule of a poll document (issue 2), each answered with a 4xx problem+json whose
``errors`` name the offending fields as JSON Pointers, and nothing written. Synthetic polls only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from factories import (
    if_match,
    assert_problem,
    error_parameters,
    error_pointers,
    poll_doc,
    row_counts,
    simple_question,
)
from pollapp.extensions import db
from pollapp.models import Answer, Poll, Pollster, Question

URL = "/api/v1/polls"
Q0 = "/questions/0"


def answer(code: str, pct: float, **fields: Any) -> dict[str, Any]:
    return {"code": code, "label": code.replace("_", " ").capitalize(), "pct": pct, **fields}


def doc_with_answers(*answers: dict[str, Any], **question_fields: Any) -> dict[str, Any]:
    doc = poll_doc()
    doc["questions"] = [simple_question(answers=list(answers), **question_fields)]
    return doc


def post_invalid(client, auth, doc, status: int = 422) -> set[str]:
    """POST an invalid document: a problem naming fields, and no row written anywhere."""
    before = row_counts(client.application)
    body = assert_problem(client.post(URL, json=doc, headers=auth), status)
    assert row_counts(client.application) == before
    for error in body["errors"]:
        assert error["detail"], error
    return error_pointers(body)


def post_valid(client, auth, doc) -> dict[str, Any]:
    response = client.post(URL, json=doc, headers=auth)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# ---------------------------------------------------------------- the acceptance case


def test_acceptance_sum_130_end_before_start_and_unknown_field(client, auth, pollster):
    doc = poll_doc(field_start_date="2024-12-17", field_end_date="2024-12-02", publication_date="2024-12-27")
    doc["questions"][0]["answers"][4]["pct"] = 71  # 15 + 30 + 9 + 5 + 71 = 130 (the net 45 is left out)
    doc["interviewer_mood"] = "synthetic unknown field"
    before = row_counts(client.application)

    response = client.post(URL, json=doc, headers=auth)

    body = assert_problem(response, 422)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert error_pointers(body) == {"/questions/0/answers", "/field_end_date", "/interviewer_mood"}
    by_pointer = {e["pointer"]: e["detail"] for e in body["errors"]}
    assert "130" in by_pointer["/questions/0/answers"]
    assert "before" in by_pointer["/field_end_date"]
    assert row_counts(client.application) == before
    assert before["polls"] == before["questions"] == before["answers"] == 0
    assert client.get(URL).get_json()["total"] == 0


# ---------------------------------------------------------------- pct 0-100


def test_pct_outside_0_100_is_rejected(client, auth, pollster):
    for pct in (-0.1, 100.1, -5, 250):
        doc = doc_with_answers(answer("yes", pct), answer("no", 10))
        assert post_invalid(client, auth, doc) == {f"{Q0}/answers/0/pct"}, pct


def test_pct_must_be_a_number(client, auth, pollster):
    for pct in ("forty", None, "NaN", True):
        doc = doc_with_answers(answer("yes", pct), answer("no", 10))
        assert post_invalid(client, auth, doc) == {f"{Q0}/answers/0/pct"}, pct


def test_pct_bounds_0_and_100_are_accepted(client, auth, pollster):
    body = post_valid(client, auth, doc_with_answers(answer("yes", 100), answer("no", 0)))
    assert [a["pct"] for a in body["questions"][0]["answers"]] == [100, 0]


# ---------------------------------------------------------------- single-choice sum <= 102


def test_sum_102_is_accepted_as_rounding(client, auth, pollster):
    body = post_valid(client, auth, doc_with_answers(answer("yes", 51), answer("no", 51)))
    assert body["questions"][0]["remainder_not_reported"] is False


def test_sum_above_102_is_rejected(client, auth, pollster):
    doc = doc_with_answers(answer("yes", 51), answer("no", 51.5))
    assert post_invalid(client, auth, doc) == {f"{Q0}/answers"}


def test_sum_counts_non_substantive_answers(client, auth, pollster):
    doc = doc_with_answers(answer("yes", 40), answer("no", 40), answer("dont_know", 23, substantive=False))
    assert post_invalid(client, auth, doc) == {f"{Q0}/answers"}


def test_sum_leaves_net_answers_out(client, auth, pollster):
    """15 + 30 + 9 + 5 + 40 = 99; with the net 45 it would be 144."""
    body = post_valid(client, auth, poll_doc())
    assert body["questions"][0]["remainder_not_reported"] is False


def test_multi_select_questions_may_sum_above_100(client, auth, pollster):
    doc = doc_with_answers(answer("tv", 70), answer("internet", 80), answer("radio", 30), multi_select=True)
    body = post_valid(client, auth, doc)
    assert body["questions"][0]["multi_select"] is True
    assert body["questions"][0]["remainder_not_reported"] is False


def test_sum_rule_is_per_question(client, auth, pollster):
    doc = poll_doc()
    doc["questions"].append(simple_question("second", answers=[answer("yes", 60), answer("no", 60)]))
    assert post_invalid(client, auth, doc) == {"/questions/1/answers"}


# ---------------------------------------------------------------- sum < 98: remainder not reported


def test_sum_below_98_is_accepted_and_recorded(client, auth, pollster):
    for pcts, flag in [((40, 50), True), ((48, 49.9), True), ((48, 50), False), ((30, 70), False)]:
        body = post_valid(client, auth, doc_with_answers(answer("approve", pcts[0]), answer("disapprove", pcts[1])))

        question = body["questions"][0]
        assert question["remainder_not_reported"] is flag, pcts
        assert [a["code"] for a in question["answers"]] == ["approve", "disapprove"], "no answer is invented"
        assert client.get(f"{URL}/{body['id']}").get_json()["questions"][0]["remainder_not_reported"] is flag


def test_remainder_flag_follows_a_patch_of_the_answers(client, auth, pollster):
    created = post_valid(client, auth, doc_with_answers(answer("approve", 40), answer("disapprove", 50)))

    patched = client.patch(
        f"{URL}/{created['id']}",
        json={"questions": [simple_question(answers=[answer("approve", 45), answer("disapprove", 55)])]},
        headers=if_match(client, f"{URL}/{created['id']}", auth),
    ).get_json()

    assert patched["questions"][0]["remainder_not_reported"] is False


def test_remainder_flag_cannot_be_set_by_the_client(client, auth, pollster):
    doc = doc_with_answers(answer("approve", 40), answer("disapprove", 50), remainder_not_reported=False)
    assert post_invalid(client, auth, doc) == {f"{Q0}/remainder_not_reported"}


# ---------------------------------------------------------------- net answers


def test_net_equal_to_its_components_within_one_point(client, auth, pollster):
    for net_pct in (44, 45, 46):
        doc = poll_doc()
        doc["questions"][0]["answers"][5]["pct"] = net_pct
        assert post_valid(client, auth, doc)["questions"][0]["answers"][5]["pct"] == net_pct


def test_net_differing_from_its_components_is_rejected(client, auth, pollster):
    for net_pct in (43.9, 46.1, 60):
        doc = poll_doc()
        doc["questions"][0]["answers"][5]["pct"] = net_pct
        assert post_invalid(client, auth, doc) == {f"{Q0}/answers/5/pct"}, net_pct


def test_net_with_an_unknown_component(client, auth, pollster):
    doc = poll_doc()
    doc["questions"][0]["answers"][5]["components"] = ["significantly_closer", "somewhat_closer"]
    assert post_invalid(client, auth, doc) == {f"{Q0}/answers/5/components"}


def test_net_cannot_be_its_own_component(client, auth, pollster):
    doc = doc_with_answers(answer("yes", 40), answer("no", 50), answer("net_yes", 40, components=["yes", "net_yes"]))
    assert post_invalid(client, auth, doc) == {f"{Q0}/answers/2/components"}


def test_nets_cannot_be_nested(client, auth, pollster):
    doc = doc_with_answers(
        answer("a", 20),
        answer("b", 30),
        answer("c", 50),
        answer("ab", 50, components=["a", "b"]),
        answer("abc", 100, components=["ab", "c"]),
    )
    assert post_invalid(client, auth, doc) == {f"{Q0}/answers/4/components"}


def test_net_components_listed_twice(client, auth, pollster):
    doc = doc_with_answers(answer("a", 20), answer("b", 80), answer("aa", 40, components=["a", "a"]))
    assert post_invalid(client, auth, doc) == {f"{Q0}/answers/2/components"}


def test_component_from_another_question_is_unknown(client, auth, pollster):
    doc = poll_doc()
    doc["questions"].append(
        simple_question("other", answers=[answer("x", 50), answer("y", 50), answer("xy_net", 45, components=["slightly_closer"])])
    )
    assert post_invalid(client, auth, doc) == {"/questions/1/answers/2/components"}


def test_duplicate_answer_and_question_codes(client, auth, pollster):
    doc = doc_with_answers(answer("yes", 40), answer("yes", 50))
    assert post_invalid(client, auth, doc) == {f"{Q0}/answers/1/code"}

    doc = poll_doc()
    doc["questions"].append(simple_question("peace_closer"))
    assert post_invalid(client, auth, doc) == {"/questions/1/code"}


# ---------------------------------------------------------------- dates


def test_field_end_before_start_is_rejected(client, auth, pollster):
    assert post_invalid(client, auth, poll_doc(field_end_date="2024-12-01")) == {"/field_end_date"}


def test_one_day_fieldwork_is_accepted(client, auth, pollster):
    body = post_valid(client, auth, poll_doc(field_start_date="2024-12-17", field_end_date="2024-12-17"))
    assert body["field_start_date"] == body["field_end_date"] == "2024-12-17"


def test_publication_before_field_end_is_rejected(client, auth, pollster):
    assert post_invalid(client, auth, poll_doc(publication_date="2024-12-16")) == {"/publication_date"}


def test_publication_on_field_end_or_unknown_is_accepted(client, auth, pollster):
    for published in ("2024-12-17", None):
        assert post_valid(client, auth, poll_doc(publication_date=published))["publication_date"] == published


def test_dates_must_be_iso_dates(client, auth, pollster):
    for field in ("field_start_date", "field_end_date", "publication_date"):
        assert post_invalid(client, auth, poll_doc(**{field: "17/12/2024"})) == {f"/{field}"}


# ---------------------------------------------------------------- sample sizes


def test_sample_size_below_one_is_rejected(client, auth, pollster):
    for n in (0, -1):
        assert post_invalid(client, auth, poll_doc(sample_size=n)) == {"/sample_size"}, n


def test_base_n_below_one_is_rejected(client, auth, pollster):
    for n in (0, -3):
        doc = poll_doc()
        doc["questions"][0]["base_n"] = n
        assert post_invalid(client, auth, doc) == {f"{Q0}/base_n"}, n


def test_sample_size_one_is_accepted(client, auth, pollster):
    assert post_valid(client, auth, poll_doc(sample_size=1))["sample_size"] == 1


def test_unknown_sample_size_is_allowed_and_shown_missing(client, auth, pollster):
    for doc in (poll_doc(sample_size=None), {k: v for k, v in poll_doc().items() if k != "sample_size"}):
        body = post_valid(client, auth, doc)

        assert body["sample_size"] is None
        items = {i["code"]: i["present"] for i in body["disclosure"]["items"]}
        assert items["sample_size_precision"] is False
        assert "Sample size and precision (margin of error or design effect)" in body["disclosure"]["missing"]


def test_subgroup_n_above_the_poll_n_is_rejected(client, auth, pollster):
    doc = poll_doc(sample_size=985)
    doc["questions"][0]["base_n"] = 986
    assert post_invalid(client, auth, doc) == {f"{Q0}/base_n"}


def test_subgroup_n_equal_to_the_poll_n_or_with_unknown_poll_n(client, auth, pollster):
    doc = poll_doc(sample_size=985)
    doc["questions"][0]["base_n"] = 985
    assert post_valid(client, auth, doc)["questions"][0]["base_n"] == 985

    doc = poll_doc(sample_size=None)
    doc["questions"][0]["base_n"] = 400
    assert post_valid(client, auth, doc)["questions"][0]["base_n"] == 400


def test_sample_size_must_be_a_whole_number_not_truncated(client, auth, pollster):
    for n in (12.5, "many", "12.5", True):
        assert post_invalid(client, auth, poll_doc(sample_size=n)) == {"/sample_size"}, n


def test_base_n_and_positions_must_be_whole_numbers(client, auth, pollster):
    doc = poll_doc()
    doc["questions"][0]["base_n"] = 400.5
    doc["questions"][0]["position"] = 1.5
    doc["questions"][0]["answers"][0]["position"] = 2.25
    assert post_invalid(client, auth, doc) == {f"{Q0}/base_n", f"{Q0}/position", f"{Q0}/answers/0/position"}


def test_whole_numbers_must_fit_the_database(client, auth, pollster):
    assert post_invalid(client, auth, poll_doc(sample_size=2**31)) == {"/sample_size"}
    doc = poll_doc(sample_size=None)
    doc["questions"][0]["base_n"] = 10**12
    doc["questions"][0]["answers"][1]["position"] = 10**20
    assert post_invalid(client, auth, doc) == {f"{Q0}/base_n", f"{Q0}/answers/1/position"}
    assert post_valid(client, auth, poll_doc(sample_size=2**31 - 1))["sample_size"] == 2**31 - 1


def test_text_with_nul_characters_is_refused_with_its_pointer(client, auth, pollster):
    doc = poll_doc(notes="Synthetic\u0000note")
    doc["questions"][0]["answers"][2]["label"] = "Slightly\x00 further"
    assert post_invalid(client, auth, doc) == {"/notes", f"{Q0}/answers/2/label"}
    assert post_invalid(client, auth, poll_doc(weighting_variables=["age", "se\x00x"])) == {"/weighting_variables/1"}


def test_language_tags_up_to_35_characters(client, auth, pollster):
    doc = poll_doc()
    doc["questions"][0]["language"] = "sr-Latn-RS"
    assert post_valid(client, auth, doc)["questions"][0]["language"] == "sr-Latn-RS"
    doc["questions"][0]["language"] = "en-" + "-".join(["abcdefgh"] * 4)  # 38 characters
    assert post_invalid(client, auth, doc) == {f"{Q0}/language"}


def test_a_whole_float_is_a_whole_number(client, auth, pollster):
    assert post_valid(client, auth, poll_doc(sample_size=985.0))["sample_size"] == 985


# ---------------------------------------------------------------- design effect and other ranges


def test_design_effect_below_one_is_rejected(client, auth, pollster):
    for deff in (0.99, 0, -1):
        assert post_invalid(client, auth, poll_doc(design_effect=deff)) == {"/design_effect"}, deff


def test_design_effect_of_at_least_one_is_accepted(client, auth, pollster):
    for deff in (1, 1.0, 2.5, None):
        assert post_valid(client, auth, poll_doc(design_effect=deff))["design_effect"] == deff


FIELD_RULES = [
        ("margin_of_error", 0),
        ("margin_of_error", 101),
        ("confidence_level", 100),
        ("response_rate", -1),
        ("response_rate_formula", "RR9"),
        ("population", "everyone"),
        ("sample_type", "convenience"),
        ("modes", ["carrier_pigeon"]),
        ("languages", ["Ukrainian"]),
        ("country", "UKR"),
        ("field_dates_precision", "week"),
        ("source_url", "javascript:alert(1)"),
        ("self_sponsored", "perhaps"),
]


def test_field_level_rules(client, auth, pollster):
    for field, value in FIELD_RULES:
        pointers = post_invalid(client, auth, poll_doc(**{field: value}))
        assert pointers and all(p.startswith(f"/{field}") for p in pointers), (field, value, pointers)


def test_unweighted_poll_lists_no_weighting_variables(client, auth, pollster):
    assert post_invalid(client, auth, poll_doc(weighted=False)) == {"/weighting_variables"}


def test_a_poll_needs_questions_with_answers(client, auth, pollster):
    assert post_invalid(client, auth, poll_doc(questions=[])) == {"/questions"}
    doc = poll_doc()
    doc["questions"][0]["answers"] = []
    assert post_invalid(client, auth, doc) == {f"{Q0}/answers"}


def test_required_fields_at_every_level(client, auth, pollster):
    for missing in ("pollster", "field_start_date", "field_end_date", "country", "population", "questions"):
        doc = poll_doc()
        del doc[missing]
        assert post_invalid(client, auth, doc) == {f"/{missing}"}
    for missing in ("code", "wording", "language", "answers"):
        doc = poll_doc()
        del doc["questions"][0][missing]
        assert post_invalid(client, auth, doc) == {f"{Q0}/{missing}"}
    for missing in ("code", "label", "pct"):
        doc = poll_doc()
        del doc["questions"][0]["answers"][2][missing]
        assert post_invalid(client, auth, doc) == {f"{Q0}/answers/2/{missing}"}


# ---------------------------------------------------------------- unknown fields and parameters


def test_unknown_fields_are_rejected_at_every_level(client, auth, pollster):
    for path, pointer in [
        ((), "/sample_sise"),
        (("questions", 0), f"{Q0}/sample_sise"),
        (("questions", 0, "answers", 1), f"{Q0}/answers/1/sample_sise"),
    ]:
        doc = poll_doc()
        target: Any = doc
        for step in path:
            target = target[step]
        target["sample_sise"] = 1000
        assert pointer in post_invalid(client, auth, doc)


def test_every_problem_of_a_document_is_reported_at_once(client, auth, pollster):
    doc = poll_doc(sample_size=0, design_effect=0.5, country="Ukraine", publication_date="2024-12-01")
    doc["questions"][0]["answers"][0]["pct"] = 120
    assert {"/sample_size", "/design_effect", "/country", f"{Q0}/answers/0/pct"} <= post_invalid(client, auth, doc)


def test_a_body_that_is_not_a_json_object(client, auth, pollster):
    before = row_counts(client.application)
    assert_problem(client.post(URL, json=[poll_doc()], headers=auth), 422)
    assert_problem(client.post(URL, data="{not json", headers={**auth, "Content-Type": "application/json"}), 400)
    assert row_counts(client.application) == before


def test_unknown_query_parameters_are_rejected(client, auth):
    client.post(
        "/api/v1/series",
        json={"slug": "synthetic", "title": "Synthetic series", "outcomes": [{"code": "yes", "label": "Yes"}]},
        headers=auth,
    )
    for url in (
        "/api/v1/polls?pollser=kiis",
        "/api/v1/polls?pollster=kiis&pollser=kiis",
        "/api/v1/pollsters?pollser=kiis",
        "/api/v1/sponsors?pollser=kiis",
        "/api/v1/series?pollser=kiis",
        "/api/v1/series/synthetic/points?pollser=kiis",
    ):
        body = assert_problem(client.get(url), 422)
        assert error_parameters(body) == {"pollser"}, url
        assert any("pollser" == e.get("parameter") and e["detail"] for e in body["errors"])


def test_invalid_query_parameter_values_are_named(client):
    body = assert_problem(client.get(f"{URL}?population=adults&population=everyone&field_date_from=yesterday&sort=newest"), 422)
    assert error_parameters(body) == {"population", "field_date_from", "sort"}


def test_field_date_range_must_be_ordered(client):
    body = assert_problem(client.get(f"{URL}?field_date_from=2024-12-01&field_date_to=2024-11-01"), 422)
    assert error_parameters(body) == {"field_date_to"}


# ---------------------------------------------------------------- PUT and PATCH follow the same rules


def test_put_with_an_invalid_document_changes_nothing(client, auth, poll):
    before = client.get(f"{URL}/{poll['id']}").get_json()
    doc = poll_doc(field_end_date="2024-11-01", surprise=True)
    doc["questions"][0]["answers"][4]["pct"] = 71

    body = assert_problem(client.put(f"{URL}/{poll['id']}", json=doc, headers=if_match(client, f"{URL}/{poll['id']}", auth)), 422)

    assert error_pointers(body) == {"/questions/0/answers", "/field_end_date", "/surprise"}
    assert client.get(f"{URL}/{poll['id']}").get_json() == before


def test_patch_with_invalid_questions_changes_nothing(client, auth, poll):
    before = client.get(f"{URL}/{poll['id']}").get_json()
    bad = simple_question(answers=[answer("yes", 70), answer("no", 70)])

    body = assert_problem(client.patch(f"{URL}/{poll['id']}", json={"questions": [bad]}, headers=if_match(client, f"{URL}/{poll['id']}", auth)), 422)

    assert error_pointers(body) == {f"{Q0}/answers"}
    assert client.get(f"{URL}/{poll['id']}").get_json() == before


# ---------------------------------------------------------------- the database enforces the same rules


def _pollster_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Pollster.id).where(Pollster.slug == "kiis"))


def _poll_row(pollster_id: int, **fields: Any) -> Poll:
    values = dict(
        pollster_id=pollster_id,
        field_start_date=dt.date(2024, 12, 2),
        field_end_date=dt.date(2024, 12, 17),
        country="UA",
        population="adults",
    )
    values.update(fields)
    return Poll(**values)


def test_database_constraints_on_polls(app, pollster):
    pollster_id = _pollster_id(app)
    for fields in (
        {"field_end_date": dt.date(2024, 12, 1)},
        {"publication_date": dt.date(2024, 12, 16)},
        {"sample_size": 0},
        {"design_effect": 0.9},
    ):
        with app.app_context():
            db.session.add(_poll_row(pollster_id, **fields))
            with pytest.raises(IntegrityError):
                db.session.flush()
            db.session.rollback()
    with app.app_context():
        db.session.add(_poll_row(pollster_id))
        db.session.flush()  # the same row without the broken field is fine
        db.session.rollback()


def test_database_constraints_on_questions_and_answers(app, pollster):
    pollster_id = _pollster_id(app)
    for question_fields, pct in (({"base_n": 0}, 50), ({}, 130), ({}, -1)):
        with app.app_context():
            poll = _poll_row(pollster_id)
            question = Question(code="q", wording="Synthetic?", language="en", **question_fields)
            question.answers = [Answer(code="a", label="A", pct=pct)]
            poll.questions = [question]
            db.session.add(poll)
            with pytest.raises(IntegrityError):
                db.session.flush()
            db.session.rollback()


@pytest.mark.parametrize("depth", [33, 900, 100_000])
def test_a_deeply_nested_body_is_a_400_problem_not_a_crash(client, auth, pollster, depth):
    """Found by the property tests: ``[[[...]]]`` some hundreds deep overflowed the stack of the NUL
    check (and thousands deep, of ``json.loads`` itself): a 500."""
    body = poll_doc(notes=None)
    nested = "[" * depth + "]" * depth
    raw = '{"pollster": "kiis", "weighting_variables": ' + nested + "}"
    for data in (nested, raw):
        problem = assert_problem(client.post(URL, data=data, headers=auth, content_type="application/json"), 400)
        assert "nested" in str(problem) or problem["errors"], problem
    assert row_counts(client.application)["polls"] == 0
    assert client.post(URL, json=body | {"weighting_variables": [[["x"]]]}, headers=auth).status_code == 422


def test_a_trailing_newline_does_not_pass_a_code_country_or_language(client, auth, pollster):
    """Found by fuzzing: ``^...$`` patterns matched "UA\\n" (Python's ``$`` matches before a final newline)."""
    doc = poll_doc(country="UA\n", languages=["uk\n"], questions=[simple_question("approve\n")])
    body = assert_problem(client.post(URL, json=doc, headers=auth), 422)
    assert {"/country", "/languages/0", f"{Q0}/code"} <= error_pointers(body)
    assert row_counts(client.application)["polls"] == 0
