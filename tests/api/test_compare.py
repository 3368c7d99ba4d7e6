"""GET /api/v1/compare: change between two polls, with its interval, test and the journalist's sentence.

SYNTHETIC polls (the KIIS-like template and the synthetic approval series of stats_support.py).
Expected values come from pollapp.stats.change on the same numbers (validated in tests/stats).
"""

from __future__ import annotations

import datetime as dt

import pytest

from factories import assert_problem, error_parameters, poll_doc
from pollapp.stats.change import change
from stats_support import SERIES, add_poll, approval_question, create_pollsters, create_series


def post_poll(client, auth, **overrides):
    response = client.post("/api/v1/polls", json=poll_doc(**overrides), headers=auth)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def with_closer(pct: float) -> list[dict]:
    """The KIIS-like question with the net 'closer' at ``pct`` (components adjusted, remainder in 'no change')."""
    question = poll_doc()["questions"][0]
    answers = {a["code"]: a for a in question["answers"]}
    answers["slightly_closer"]["pct"] = pct - 15
    answers["closer"]["pct"] = pct
    answers["no_change_or_undecided"]["pct"] = 100 - pct - 14
    return [question]


@pytest.fixture
def two_polls(client, auth, pollster):
    a = post_poll(client, auth, questions=with_closer(45), design_effect=None, sample_size=1000,
                  field_start_date="2024-06-01", field_end_date="2024-06-10", publication_date="2024-06-15")
    b = post_poll(client, auth, questions=with_closer(51), design_effect=None, sample_size=1000)
    return a, b


def compare(client, query):
    response = client.get("/api/v1/compare" + query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_change_in_an_answer_with_the_sentence(client, two_polls):
    a, b = two_polls
    body = compare(client, f"?poll_a={a['id']}&poll_b={b['id']}&question=peace_closer&answer=closer")
    expected = change(0.45, 1000, 0.51, 1000)
    assert body["diff_pct"] == pytest.approx(6)
    assert body["lower_pct"] == pytest.approx(expected.lower * 100)
    assert body["upper_pct"] == pytest.approx(expected.upper * 100)
    assert body["margin_pct"] == pytest.approx(expected.margin * 100)
    assert body["p_value"] == pytest.approx(expected.p_value)
    assert body["significant"] is expected.significant is True
    assert body["sentence"] == expected.sentence == (
        f"the 6-point rise is larger than its margin of error of {expected.margin * 100:.1f} points"
    )
    assert body["poll_a"]["pct"] == 45 and body["poll_b"]["pct"] == 51
    assert body["poll_a"]["n_eff"] == 1000 and body["poll_a"]["n_source"] == "poll sample size"
    assert body["measure"] == {"series": None, "outcome": None, "question": "peace_closer", "answer": "closer"}
    assert body["ci_method"] == "newcomb" and body["test_method"] == "agresti-caffo" and body["level"] == 0.95
    assert body["warnings"] == [], "same pollster, wording and population, A before B, probability samples"


def test_a_small_change_is_within_its_margin(client, auth, pollster):
    a = post_poll(client, auth, questions=with_closer(45), design_effect=1.1)
    b = post_poll(client, auth, questions=with_closer(47), design_effect=1.1)
    body = compare(client, f"?poll_a={a['id']}&poll_b={b['id']}&question=peace_closer&answer=closer&level=0.9")
    expected = change(0.45, 985 / 1.1, 0.47, 985 / 1.1, level=0.9)
    assert body["significant"] is False and body["level"] == 0.9
    assert body["sentence"] == expected.sentence
    assert body["sentence"].startswith("the 2-point rise is within its margin of error of")


@pytest.mark.parametrize("ci_method", ["newcomb", "score", "wald", "agresti-caffo"])
def test_every_interval_method(client, two_polls, ci_method):
    a, b = two_polls
    body = compare(client, f"?poll_a={a['id']}&poll_b={b['id']}&question=peace_closer&answer=closer"
                           f"&ci_method={ci_method}&test_method=score")
    expected = change(0.45, 1000, 0.51, 1000, ci_method=ci_method, test_method="score")
    assert body["lower_pct"] == pytest.approx(expected.lower * 100)
    assert body["p_value"] == pytest.approx(expected.p_value)


def test_change_in_a_series_outcome(client, auth):
    create_pollsters(client, auth, ["alpha", "beta"])
    create_series(client, auth)
    a = add_poll(client, auth, pollster="alpha", start=dt.date(2024, 1, 1), approve=40)
    b = add_poll(client, auth, pollster="beta", start=dt.date(2024, 2, 1), approve=44)
    explicit = compare(client, f"?poll_a={a['id']}&poll_b={b['id']}&series={SERIES}&outcome=approve")
    inferred = compare(client, f"?poll_a={a['id']}&poll_b={b['id']}&outcome=approve")
    assert explicit == inferred
    assert explicit["measure"]["series"] == SERIES and explicit["measure"]["outcome"] == "approve"
    assert explicit["diff_pct"] == pytest.approx(4)
    assert explicit["sentence"] == change(0.40, 1000, 0.44, 1000).sentence
    assert any("different pollsters" in w for w in explicit["warnings"])
    # Read the other way round: a fall, and a warning that A is the later poll.
    back = compare(client, f"?poll_a={b['id']}&poll_b={a['id']}&outcome=approve")
    assert back["diff_pct"] == pytest.approx(-4) and "fall" in back["sentence"]
    assert any("fielded after" in w for w in back["warnings"])


def test_different_question_codes_in_the_two_polls(client, auth, pollster):
    a = post_poll(client, auth, questions=[approval_question(40, 50, code="approval_v1")])
    b = post_poll(client, auth, questions=[approval_question(45, 45, code="approval_v2")])
    body = compare(client, f"?poll_a={a['id']}&poll_b={b['id']}&question=approval_v1&answer=approve"
                           f"&question_b=approval_v2")
    assert body["diff_pct"] == pytest.approx(5)
    assert body["measure"]["question_b"] == "approval_v2"


def test_unknown_sample_size_is_a_422_with_the_reason(client, auth, pollster):
    a = post_poll(client, auth, sample_size=None)
    b = post_poll(client, auth)
    body = assert_problem(client.get(f"/api/v1/compare?poll_a={a['id']}&poll_b={b['id']}&question=peace_closer"
                                     f"&answer=closer"), 422)
    assert f"Poll {a['id']} reports no sample size" in body["detail"]
    assert "poll_a" in error_parameters(body)


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("?poll_a={a}&poll_b={a}&question=peace_closer&answer=closer", "poll_b"),
        ("?poll_a=9999&poll_b={b}&question=peace_closer&answer=closer", "poll_a"),
        ("?poll_a={a}&poll_b={b}", "question"),
        ("?poll_a={a}&poll_b={b}&question=peace_closer", "answer"),
        ("?poll_a={a}&poll_b={b}&outcome=closer&question=peace_closer", "outcome"),
        ("?poll_a={a}&poll_b={b}&question=nope&answer=closer", "question"),
        ("?poll_a={a}&poll_b={b}&question=peace_closer&answer=nope", "answer"),
        ("?poll_a={a}&poll_b={b}&outcome=closer", "outcome"),
        ("?poll_a={a}&poll_b={b}&outcome=closer&series=no-such-series", "series"),
        ("?poll_a={a}&poll_b={b}&question=peace_closer&answer=closer&ci_method=exact", "ci_method"),
        ("?poll_a={a}&poll_b={b}&question=peace_closer&answer=closer&level=1.2", "level"),
        ("?poll_a={a}&poll_b={b}&question=peace_closer&answer=closer&poll_c=3", "poll_c"),
        ("?poll_b={b}&question=peace_closer&answer=closer", "poll_a"),
    ],
)
def test_bad_parameters_are_422_problems_naming_the_parameter(client, two_polls, query, parameter):
    a, b = two_polls
    body = assert_problem(client.get("/api/v1/compare" + query.format(a=a["id"], b=b["id"])), 422)
    assert parameter in error_parameters(body), body
