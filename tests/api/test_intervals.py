"""GET /api/v1/polls/{id}/intervals: every answer with its interval, simultaneous intervals, leads.

All polls here are SYNTHETIC (the KIIS-like template of tests/factories.py and variations of it).
Reference values come from pollapp.stats on the same numbers (itself validated against R/scipy in
tests/stats), so these tests check the wiring: n, design effect, pct <-> proportion, labels.
"""

from __future__ import annotations

import math

import pytest

from factories import assert_problem, error_parameters, poll_doc
from pollapp.services.stats_inputs import INTERVAL_METHODS
from pollapp.stats.intervals import design_effect_from_moe, proportion_ci


def intervals(client, poll_id, query=""):
    response = client.get(f"/api/v1/polls/{poll_id}/intervals{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def answer(body, code, question=0):
    return next(a for a in body["questions"][question]["answers"] if a["code"] == code)


def test_kiis_like_net_answer_matches_proportion_ci(client, poll):
    # Synthetic KIIS-like poll: 45% "closer" (net) of n = 985 with design effect 1.1.
    body = intervals(client, poll["id"])
    question = body["questions"][0]
    assert question["n"] == 985 and question["n_source"] == "poll sample size"
    assert question["design_effect"] == 1.1 and question["design_effect_source"] == "reported"
    assert question["n_eff"] == pytest.approx(985 / 1.1)
    expected = proportion_ci(0.45, 985 / 1.1, method="wilson", level=0.95)
    closer = answer(body, "closer")
    assert closer["is_net"] and closer["components"] == ["significantly_closer", "slightly_closer"]
    assert closer["lower_pct"] == pytest.approx(expected["lower"][0] * 100, abs=1e-9)
    assert closer["upper_pct"] == pytest.approx(expected["upper"][0] * 100, abs=1e-9)
    assert closer["margin_pct"] == pytest.approx(
        max(45 - closer["lower_pct"], closer["upper_pct"] - 45), abs=1e-9
    )
    assert body["method"] == "wilson" and body["level"] == 0.95
    assert body["interval_label"] == "margin of sampling error"
    assert len(question["answers"]) == 6, "every answer, the net answer included"


@pytest.mark.parametrize("method", INTERVAL_METHODS)
def test_every_interval_method(client, poll, method):
    body = intervals(client, poll["id"], f"?method={method}&level=0.9")
    assert body["method"] == method and body["level"] == 0.9
    expected = proportion_ci(0.15, 985 / 1.1, method=method, level=0.9)
    row = answer(body, "significantly_closer")
    assert row["lower_pct"] == pytest.approx(expected["lower"][0] * 100, abs=1e-9)
    assert row["upper_pct"] == pytest.approx(expected["upper"][0] * 100, abs=1e-9)


@pytest.mark.parametrize("simultaneous", ["goodman", "sison-glaz"])
def test_simultaneous_intervals_cover_the_single_choice_answers(client, poll, simultaneous):
    body = intervals(client, poll["id"], f"?simultaneous={simultaneous}")
    question = body["questions"][0]
    assert question["simultaneous"] == {"method": simultaneous, "available": True, "reason": None}
    for row in question["answers"]:
        if row["is_net"]:
            assert row["simultaneous_lower_pct"] is None, "a net answer is not a category of the multinomial"
            continue
        assert row["simultaneous_lower_pct"] <= row["pct"] <= row["simultaneous_upper_pct"]
        if simultaneous == "goodman":
            # Simultaneous intervals are wider than the one-at-a-time ones.
            assert row["simultaneous_upper_pct"] - row["simultaneous_lower_pct"] > row["upper_pct"] - row["lower_pct"]


def test_lead_between_the_top_two_substantive_answers(client, poll):
    body = intervals(client, poll["id"])
    lead = body["questions"][0]["lead"]
    # Top two substantive non-net answers: slightly closer 30, significantly closer 15
    # (the net "closer" 45 and the non-substantive 40 are not candidates).
    assert (lead["first"], lead["second"]) == ("slightly_closer", "significantly_closer")
    n_eff = 985 / 1.1
    se = math.sqrt((0.30 + 0.15 - 0.15**2) / n_eff)  # multinomial: statistics notes
    assert lead["lead_pct"] == pytest.approx(15)
    assert lead["se_pct"] == pytest.approx(se * 100)
    assert lead["margin_pct"] == pytest.approx(1.959964 * se * 100, rel=1e-6)
    assert lead["exceeds_margin"] is True
    assert lead["sentence"] == (
        f"'Slightly closer' leads 'Significantly closer' by 15 points, more than the margin of error "
        f"of the lead ({lead['margin_pct']:.1f} points)."
    )


def test_a_lead_within_its_margin_says_so(client, auth, pollster):
    question = {
        "code": "vote", "wording": "Synthetic: whom would you vote for?", "language": "en",
        "answers": [
            {"code": "a", "label": "Candidate A", "pct": 45},
            {"code": "b", "label": "Candidate B", "pct": 43},
            {"code": "dk", "label": "Undecided", "pct": 12, "substantive": False},
        ],
    }
    created = client.post("/api/v1/polls", json=poll_doc(questions=[question], design_effect=None,
                                                         sample_size=1000), headers=auth).get_json()
    lead = intervals(client, created["id"])["questions"][0]["lead"]
    assert lead["exceeds_margin"] is False
    assert "within the margin of error of the lead" in lead["sentence"]
    assert lead["lower_pct"] < 0 < lead["upper_pct"]


def test_unknown_sample_size_gives_null_intervals_with_a_reason(client, auth, pollster):
    created = client.post("/api/v1/polls", json=poll_doc(sample_size=None), headers=auth).get_json()
    body = intervals(client, created["id"])
    question = body["questions"][0]
    assert question["n"] is None and question["n_eff"] is None
    assert "sample size is not reported" in question["reason"]
    assert all(row["lower_pct"] is None and row["upper_pct"] is None for row in question["answers"])
    assert [row["pct"] for row in question["answers"]] == [15, 30, 9, 5, 40, 45], "the answers are still served"
    assert question["lead"] is None and question["lead_reason"] == question["reason"]
    assert question["simultaneous"]["available"] is False


def test_margin_of_error_without_n_implies_the_effective_sample_size(client, auth, pollster):
    doc = poll_doc(sample_size=None, design_effect=None, margin_of_error=3.1, confidence_level=95)
    created = client.post("/api/v1/polls", json=doc, headers=auth).get_json()
    question = intervals(client, created["id"])["questions"][0]
    assert question["n_source"] == "implied by the reported margin of error"
    assert question["n_eff"] == pytest.approx(1.959964**2 * 0.25 / 0.031**2, rel=1e-6)  # about 999


def test_design_effect_backed_out_of_the_margin_of_error(client, auth, pollster):
    # Notes: n = 1000 with a reported +/-3.5 at 95% gives deff 1.276.
    doc = poll_doc(sample_size=1000, design_effect=None, margin_of_error=3.5)
    created = client.post("/api/v1/polls", json=doc, headers=auth).get_json()
    question = intervals(client, created["id"])["questions"][0]
    assert question["design_effect_source"] == "backed out of the reported margin of error"
    assert question["design_effect"] == pytest.approx(design_effect_from_moe(0.035, 1000))
    assert question["design_effect"] == pytest.approx(1.276, abs=1e-3)
    assert question["n_eff"] == pytest.approx(1000 / question["design_effect"])


def test_no_design_effect_and_no_margin_assumes_one(client, auth, pollster):
    created = client.post("/api/v1/polls", json=poll_doc(design_effect=None), headers=auth).get_json()
    question = intervals(client, created["id"])["questions"][0]
    assert question["design_effect"] == 1 and question["design_effect_source"] == "none reported: 1 assumed"
    assert question["n_eff"] == 985


def test_question_base_n_is_used_before_the_poll_sample(client, auth, pollster):
    doc = poll_doc(sample_size=2000)
    doc["questions"][0]["base_n"] = 985
    created = client.post("/api/v1/polls", json=doc, headers=auth).get_json()
    question = intervals(client, created["id"])["questions"][0]
    assert question["n"] == 985 and question["n_source"] == "question base"


@pytest.mark.parametrize("sample_type", ["non_probability", "mixed", None])
def test_non_probability_samples_get_a_credibility_interval(client, auth, pollster, sample_type):
    created = client.post("/api/v1/polls", json=poll_doc(sample_type=sample_type), headers=auth).get_json()
    body = intervals(client, created["id"])
    assert body["interval_label"] == "credibility interval"
    assert "credibility interval" in body["label_note"] and "AAPOR" in body["label_note"]


def test_multi_select_questions_have_no_simultaneous_intervals_or_lead(client, auth, pollster):
    question = {
        "code": "sources", "wording": "Synthetic: where do you get news? (all that apply)", "language": "en",
        "multi_select": True,
        "answers": [
            {"code": "tv", "label": "TV", "pct": 60},
            {"code": "web", "label": "Web", "pct": 70},
        ],
    }
    created = client.post("/api/v1/polls", json=poll_doc(questions=[question]), headers=auth).get_json()
    question = intervals(client, created["id"])["questions"][0]
    assert question["answers"][0]["lower_pct"] is not None, "each answer still has its own interval"
    assert question["simultaneous"]["available"] is False and "not mutually exclusive" in question["simultaneous"]["reason"]
    assert question["lead"] is None and "not mutually exclusive" in question["lead_reason"]


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("?method=wald", "method"),
        ("?method=", "method"),
        ("?level=1.5", "level"),
        ("?level=0", "level"),
        ("?level=95", "level"),
        ("?level=abc", "level"),
        ("?simultaneous=bonferroni", "simultaneous"),
        ("?methd=wilson", "methd"),
    ],
)
def test_bad_parameters_are_422_problems_naming_the_parameter(client, poll, query, parameter):
    body = assert_problem(client.get(f"/api/v1/polls/{poll['id']}/intervals{query}"), 422)
    assert parameter in error_parameters(body)


def test_unknown_poll_is_404(client):
    assert_problem(client.get("/api/v1/polls/9999/intervals"), 404)


def test_intervals_support_conditional_get(client, poll):
    url = f"/api/v1/polls/{poll['id']}/intervals?method=beta"
    first = client.get(url)
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
