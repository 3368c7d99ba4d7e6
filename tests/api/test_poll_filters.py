"""Filters and sort orders of ``GET /api/v1/polls`` on a small set of synthetic polls."""

from __future__ import annotations

from typing import Any

import pytest

from factories import assert_problem, create_pollster, create_sponsor, error_parameters, poll_doc, simple_question

URL = "/api/v1/polls"

# key: (pollster, country, population, modes, field start, field end, publication, sponsors, wording, wording_en)
POLLS: dict[str, tuple[Any, ...]] = {
    "kiis_jan": ("kiis", "UA", "adults", ["phone_live"], "2024-01-05", "2024-01-10", "2024-01-20", ["gazette"],
                 "Synthetic: do you trust the President?", None),
    "kiis_feb": ("kiis", "UA", "registered_voters", ["online_panel", "phone_live"], "2024-02-01", "2024-02-10",
                 "2024-03-30", ["alpha-tv"], "Synthetic: would you accept territorial concessions?", None),
    "rating_mar": ("rating-group", "UA", "likely_voters", ["face_to_face"], "2024-03-01", "2024-03-05", None, [],
                   "Synthetic: Чи підтримуєте ви ВСТУП України до НАТО?", "Synthetic: do you support joining NATO?"),
    "levada_apr": ("levada-center", "RU", "adults", ["face_to_face", "mixed"], "2024-04-20", "2024-04-26",
                   "2024-05-02", ["gazette", "alpha-tv"], "Synthetic: Вы одобряете деятельность президента?", None),
    "levada_may": ("levada-center", "RU", "other", ["ivr"], "2024-05-01", "2024-05-31", "2024-06-01", [],
                   "Synthetic: 100% sure_about it?", None),
}  # fmt: skip


@pytest.fixture
def polls(client, auth) -> dict[str, int]:
    create_pollster(client, auth, "kiis", country="UA")
    create_pollster(client, auth, "rating-group", country="UA")
    create_pollster(client, auth, "levada-center", country="RU")
    create_sponsor(client, auth, "gazette")
    create_sponsor(client, auth, "alpha-tv")
    ids = {}
    for key, (pollster, country, population, modes, start, end, published, sponsors, wording, wording_en) in POLLS.items():
        doc = poll_doc(
            pollster=pollster,
            country=country,
            population=population,
            modes=modes,
            field_start_date=start,
            field_end_date=end,
            publication_date=published,
            sponsors=sponsors,
            self_sponsored=not sponsors,
            questions=[simple_question(wording=wording, wording_en=wording_en, language="uk")],
        )
        response = client.post(URL, json=doc, headers=auth)
        assert response.status_code == 201, response.get_json()
        ids[key] = response.get_json()["id"]
    return ids


def found(client, query: str) -> list[int]:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["total"] == len(body["items"])
    return [p["id"] for p in body["items"]]


def keys(polls: dict[str, int], *names: str) -> list[int]:
    return [polls[n] for n in names]


def test_default_order_is_newest_field_end_first(client, polls):
    assert found(client, "") == keys(polls, "levada_may", "levada_apr", "rating_mar", "kiis_feb", "kiis_jan")


FILTER_CASES = [
    ("pollster=kiis", {"kiis_jan", "kiis_feb"}),
    ("pollster=kiis&pollster=rating-group", {"kiis_jan", "kiis_feb", "rating_mar"}),
    ("pollster=gallup", set()),
    ("sponsor=gazette", {"kiis_jan", "levada_apr"}),
    ("sponsor=alpha-tv&sponsor=gazette", {"kiis_jan", "kiis_feb", "levada_apr"}),
    ("country=RU", {"levada_apr", "levada_may"}),
    ("country=UA&country=RU", set(POLLS)),
    ("population=adults", {"kiis_jan", "levada_apr"}),
    ("population=registered_voters&population=likely_voters", {"kiis_feb", "rating_mar"}),
    ("mode=phone_live", {"kiis_jan", "kiis_feb"}),
    ("mode=face_to_face", {"rating_mar", "levada_apr"}),
    ("mode=mixed", {"levada_apr"}),
    ("mode=ivr&mode=online_panel", {"levada_may", "kiis_feb"}),
    ("mode=text", set()),
    # field date range: polls whose fieldwork overlaps [from, to]
    ("field_date_from=2024-03-05", {"rating_mar", "levada_apr", "levada_may"}),
    ("field_date_from=2024-03-06", {"levada_apr", "levada_may"}),
    ("field_date_to=2024-02-01", {"kiis_jan", "kiis_feb"}),
    ("field_date_to=2024-01-31", {"kiis_jan"}),
    ("field_date_from=2024-02-05&field_date_to=2024-04-20", {"kiis_feb", "rating_mar", "levada_apr"}),
    ("field_date_from=2024-05-15&field_date_to=2024-05-16", {"levada_may"}),
    # text search in wording, case-insensitive, original language and English translation
    ("q=trust", {"kiis_jan"}),
    ("q=TERRITORIAL", {"kiis_feb"}),
    ("q=president", {"kiis_jan"}),
    ("q=joining nato", {"rating_mar"}),
    ("q=нато", {"rating_mar"}),
    ("q=вступ", {"rating_mar"}),
    ("q=ПРЕЗИДЕНТА", {"levada_apr"}),
    ("q=100%25", {"levada_may"}),
    ("q=sure_about", {"levada_may"}),
    # LIKE wildcards in the search text are taken literally
    ("q=t_ust", set()),
    ("q=syn%25tic", set()),
    ("q=synthetic", set(POLLS)),
    # filters combine with AND
    ("pollster=kiis&population=adults", {"kiis_jan"}),
    ("country=RU&mode=face_to_face&sponsor=alpha-tv", {"levada_apr"}),
    ("country=UA&q=nato&pollster=kiis", set()),
]


def test_filters(client, polls):
    names = {v: k for k, v in polls.items()}
    for query, expected in FILTER_CASES:
        assert {names[i] for i in found(client, query)} == expected, query


def test_filtered_lists_keep_the_sort_order(client, polls):
    assert found(client, "country=UA") == keys(polls, "rating_mar", "kiis_feb", "kiis_jan")


def test_sort_orders(client, polls):
    for sort, order in [
        ("field_end_date", ["kiis_jan", "kiis_feb", "rating_mar", "levada_apr", "levada_may"]),
        ("-field_end_date", ["levada_may", "levada_apr", "rating_mar", "kiis_feb", "kiis_jan"]),
        # publication date, falling back to the field end date where none was published (rating_mar)
        ("publication_date", ["kiis_jan", "rating_mar", "kiis_feb", "levada_apr", "levada_may"]),
        ("-publication_date", ["levada_may", "levada_apr", "kiis_feb", "rating_mar", "kiis_jan"]),
    ]:
        assert found(client, f"sort={sort}") == keys(polls, *order), sort


def _series_with(client, auth, slug: str, tags: list[str], poll_id: int) -> None:
    response = client.post(
        "/api/v1/series",
        json={"slug": slug, "title": f"Synthetic {slug}", "tags": tags, "outcomes": [{"code": "yes", "label": "Yes"}]},
        headers=auth,
    )
    assert response.status_code == 201, response.get_json()
    question_id = client.get(f"{URL}/{poll_id}").get_json()["questions"][0]["id"]
    response = client.post(
        f"/api/v1/series/{slug}/members", json={"question_id": question_id, "outcomes": {"yes": ["approve"]}}, headers=auth
    )
    assert response.status_code == 200, response.get_json()


def test_series_and_tag_filters(client, auth, polls):
    _series_with(client, auth, "trust-president", ["trust", "ukraine"], polls["kiis_jan"])
    _series_with(client, auth, "nato", ["nato", "ukraine"], polls["rating_mar"])
    _series_with(client, auth, "putin-approval", ["russia", "approval-ratings"], polls["levada_apr"])
    _series_with(client, auth, "putin-approval-monthly", ["russia"], polls["levada_may"])

    assert found(client, "series=nato") == keys(polls, "rating_mar")
    assert found(client, "series=putin-approval") == keys(polls, "levada_apr")
    assert found(client, "series=unknown-series") == []
    assert found(client, "tag=ukraine") == keys(polls, "rating_mar", "kiis_jan")
    assert found(client, "tag=russia") == keys(polls, "levada_may", "levada_apr")
    assert found(client, "tag=approval-ratings") == keys(polls, "levada_apr")
    assert found(client, "tag=approval") == [], "a tag matches whole tags, not parts of them"
    assert found(client, "tag=ukraine&pollster=kiis") == keys(polls, "kiis_jan")
    assert found(client, "series=nato&tag=russia") == []


def test_invalid_filter_values_are_422_naming_the_parameter(client):
    for query, parameter in [
        ("pollster=Not A Slug", "pollster"),
        ("sponsor=ALPHA", "sponsor"),
        ("country=ukraine", "country"),
        ("population=everyone", "population"),
        ("mode=carrier_pigeon", "mode"),
        ("field_date_from=2024-13-01", "field_date_from"),
        ("field_date_to=soon", "field_date_to"),
        ("series=Bad Slug", "series"),
        ("q=a", "q"),
        ("sort=-sample_size", "sort"),
        ("limit=ten", "limit"),
    ]:
        assert error_parameters(assert_problem(client.get(f"{URL}?{query}"), 422)) == {parameter}, query
