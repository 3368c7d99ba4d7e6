"""Cursor pagination of every list: walking all pages with small limits gives each item exactly once,
in order, with a correct total; limits are bounded; cursors are opaque and checked. Synthetic data."""

from __future__ import annotations

import base64
import json

import pytest

from factories import (
    assert_problem,
    create_pollster,
    create_sponsor,
    error_parameters,
    poll_doc,
    simple_question,
    walk_pages,
)

# (field start, field end, publication or None): ties on end and publication dates on purpose
POLL_DATES = [
    ("2024-01-01", "2024-01-05", "2024-01-10"),
    ("2024-01-01", "2024-01-05", "2024-01-10"),
    ("2024-01-01", "2024-01-05", None),
    ("2024-01-03", "2024-01-10", "2024-01-10"),
    ("2024-01-03", "2024-01-10", None),
    ("2024-02-01", "2024-02-07", "2024-02-07"),
    ("2024-02-01", "2024-02-07", "2024-03-01"),
    ("2024-03-01", "2024-03-02", "2024-03-02"),
    ("2024-03-01", "2024-03-02", None),
    ("2024-04-01", "2024-04-30", "2024-05-02"),
    ("2024-04-01", "2024-04-30", "2024-05-02"),
]


def _b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.fixture
def polls(client, auth) -> list[dict]:
    create_pollster(client, auth, "kiis")
    create_pollster(client, auth, "rating-group")
    created = []
    for i, (start, end, published) in enumerate(POLL_DATES):
        doc = poll_doc(
            pollster="kiis" if i % 3 else "rating-group",
            field_start_date=start,
            field_end_date=end,
            publication_date=published,
            questions=[simple_question()],
        )
        response = client.post("/api/v1/polls", json=doc, headers=auth)
        assert response.status_code == 201, response.get_json()
        created.append(response.get_json())
    return created


def _expected_order(polls: list[dict], sort: str) -> list[int]:
    def key(p):
        date = p["field_end_date"]
        if sort.lstrip("-") == "publication_date" and p["publication_date"]:
            date = p["publication_date"]
        return (date, p["id"])

    return [p["id"] for p in sorted(polls, key=key, reverse=sort.startswith("-"))]


def _assert_complete(items: list[dict], pages: list[dict], expected: list, key: str = "id") -> None:
    got = [item[key] for item in items]
    assert len(got) == len(set(got)), "no duplicates"
    assert got == expected, "no gaps, same order as one big page"
    assert {page["total"] for page in pages} == {len(expected)}
    assert pages[-1]["next_cursor"] is None


def test_walk_all_poll_pages_in_every_sort_order(client, polls):
    for sort in ("-field_end_date", "field_end_date", "-publication_date", "publication_date"):
        for limit in (1, 2, 3, 5, len(polls) - 1):
            items, pages = walk_pages(client, f"/api/v1/polls?sort={sort}", limit)

            _assert_complete(items, pages, _expected_order(polls, sort))
            assert len(pages) == -(-len(polls) // limit), (sort, limit)


def test_walk_filtered_poll_pages(client, polls):
    expected = [p["id"] for p in client.get("/api/v1/polls?pollster=kiis&limit=500").get_json()["items"]]
    assert 0 < len(expected) < len(polls)

    items, pages = walk_pages(client, "/api/v1/polls?pollster=kiis&sort=publication_date", 2)

    _assert_complete(items, pages, _expected_order([p for p in polls if p["id"] in expected], "publication_date"))


def test_default_limit_is_50_and_500_is_allowed(client, auth):
    create_pollster(client, auth, "kiis")
    for i in range(52):
        create_sponsor(client, auth, f"sponsor-{i:02d}")

    first = client.get("/api/v1/sponsors").get_json()
    assert len(first["items"]) == 50 and first["total"] == 52 and first["next_cursor"]
    rest = client.get(f"/api/v1/sponsors?cursor={first['next_cursor']}").get_json()
    assert [s["slug"] for s in rest["items"]] == ["sponsor-50", "sponsor-51"] and rest["next_cursor"] is None
    everything = client.get("/api/v1/sponsors?limit=500").get_json()
    assert len(everything["items"]) == 52 and everything["next_cursor"] is None


def test_walk_organisation_pages(client, auth):
    slugs = ["b-org", "a-org", "zz-org", "m-org", "c-org-2", "c-org", "c-org-10"]
    for slug in slugs:
        create_pollster(client, auth, slug)
        create_sponsor(client, auth, slug)

    for resource in ("pollsters", "sponsors"):
        for limit in (1, 2, 3, 6):
            items, pages = walk_pages(client, f"/api/v1/{resource}", limit)

            _assert_complete(items, pages, sorted(slugs), key="slug")


def test_walk_filtered_organisation_pages(client, auth):
    for slug, country in [("a", "UA"), ("b", "RU"), ("c", "UA"), ("d", "UA"), ("e", "RU")]:
        create_pollster(client, auth, f"org-{slug}", country=country)

    items, pages = walk_pages(client, "/api/v1/pollsters?country=UA", 2)

    _assert_complete(items, pages, ["org-a", "org-c", "org-d"], key="slug")


def test_walk_series_pages(client, auth):
    slugs = ["trust-b", "approval", "trust-a", "war-support", "negotiations"]
    for slug in slugs:
        response = client.post(
            "/api/v1/series",
            json={"slug": slug, "title": f"Synthetic {slug}", "tags": ["synthetic"], "outcomes": [{"code": "yes", "label": "Yes"}]},
            headers=auth,
        )
        assert response.status_code == 201

    for limit in (1, 2, 4):
        items, pages = walk_pages(client, "/api/v1/series", limit)
        _assert_complete(items, pages, sorted(slugs), key="slug")

        items, pages = walk_pages(client, "/api/v1/series?tag=synthetic", limit)
        _assert_complete(items, pages, sorted(slugs), key="slug")


@pytest.fixture
def series_points(client, auth, polls) -> list[tuple]:
    """A synthetic series with two outcomes over every poll: 2 rows per poll."""
    response = client.post(
        "/api/v1/series",
        json={
            "slug": "approval",
            "title": "Synthetic approval",
            "outcomes": [{"code": "approve", "label": "Approve"}, {"code": "disapprove", "label": "Disapprove"}],
        },
        headers=auth,
    )
    assert response.status_code == 201
    for poll in polls:
        response = client.post(
            "/api/v1/series/approval/members",
            json={
                "question_id": poll["questions"][0]["id"],
                "outcomes": {"approve": ["approve"], "disapprove": ["disapprove"]},
            },
            headers=auth,
        )
        assert response.status_code == 200, response.get_json()
    return sorted(
        ((p["field_end_date"], p["id"], outcome) for p in polls for outcome in ("approve", "disapprove")),
        key=lambda row: (row[0], row[1], row[2] != "approve"),
    )


def test_walk_point_pages(client, series_points):
    for limit in (1, 3, 4, 7):
        items, pages = walk_pages(client, "/api/v1/series/approval/points", limit)

        got = [(p["field_end_date"], p["poll_id"], p["outcome"]) for p in items]
        assert len(set(got)) == len(got)
        assert got == series_points
        assert {page["total"] for page in pages} == {len(series_points)}


def test_walk_filtered_point_pages(client, series_points):
    items, pages = walk_pages(client, "/api/v1/series/approval/points?outcome=disapprove&field_date_from=2024-01-06", 2)

    expected = [row for row in series_points if row[2] == "disapprove" and row[0] >= "2024-01-06"]
    assert [(p["field_end_date"], p["poll_id"], p["outcome"]) for p in items] == expected
    assert {page["total"] for page in pages} == {len(expected)}


LISTS = ["/api/v1/polls", "/api/v1/pollsters", "/api/v1/sponsors", "/api/v1/series", "/api/v1/series/approval/points"]


@pytest.fixture
def lists(client, auth):
    client.post("/api/v1/series", json={"slug": "approval", "title": "Synthetic", "outcomes": [{"code": "yes", "label": "Yes"}]}, headers=auth)


def test_limit_outside_1_to_500_is_422(client, lists):
    for url in LISTS:
        for limit in ("0", "501", "-1", "1.5", "all", ""):
            assert error_parameters(assert_problem(client.get(f"{url}?limit={limit}"), 422)) == {"limit"}, (url, limit)


def test_limit_bounds_are_allowed(client, lists):
    for url in LISTS:
        for limit in ("1", "500"):
            assert client.get(f"{url}?limit={limit}").status_code == 200, (url, limit)


GARBAGE_CURSORS = [
    "garbage",
    "not a cursor!",
    "%00%01",
    "AAAA",
    "x" * 400,
    _b64(42),
    _b64("polls:-field_end_date"),
    _b64(None),
    _b64({"kind": "polls:-field_end_date"}),
    _b64(["polls:-field_end_date"]),
    _b64(["polls:-field_end_date", ["2024-01-05"]]),
    _b64(["polls:-field_end_date", ["2024-01-05", 3, 4]]),
    _b64(["polls:-field_end_date", ["2024-02-30", 3]]),
    _b64(["polls:-field_end_date", ["yesterday", 3]]),
    _b64(["polls:-field_end_date", [20240105, 3]]),
    _b64(["polls:-field_end_date", [None, 3]]),
    _b64(["polls:-field_end_date", ["2024-01-05", "3"]]),
    _b64(["polls:-field_end_date", ["2024-01-05", True]]),
    _b64(["polls:-field_end_date", ["2024-01-05", 3.5]]),
    _b64(["polls:-field_end_date", ["2024-01-05", 10**30]]),
    _b64(["polls:-field_end_date", ["2024-01-05", 2**31]]),  # PostgreSQL INTEGER overflows
    _b64(["polls:-field_end_date", ["2024-01-05", -(10**30)]]),
]


def test_garbage_or_tampered_poll_cursor_is_400_naming_cursor(client, poll):
    for cursor in GARBAGE_CURSORS:
        for sort in ("-field_end_date", "publication_date"):
            body = assert_problem(client.get(f"/api/v1/polls?sort={sort}&cursor={cursor}"), 400)
            assert error_parameters(body) == {"cursor"}, cursor


def test_garbage_or_tampered_slug_cursor_is_400(client, auth):
    create_pollster(client, auth, "kiis")
    create_sponsor(client, auth, "kiis")
    for resource in ("pollsters", "sponsors"):
        for cursor in (
            "garbage",
            _b64([f"{resource}:slug", [7]]),
            _b64([f"{resource}:slug", []]),
            _b64([f"{resource}:slug", ["a\u0000b"]]),
            _b64([f"{resource}:slug", [None]]),
        ):
            body = assert_problem(client.get(f"/api/v1/{resource}?cursor={cursor}"), 400)
            assert error_parameters(body) == {"cursor"}, cursor


def test_garbage_or_tampered_point_cursor_is_400(client, auth, poll):
    client.post("/api/v1/series", json={"slug": "approval", "title": "Synthetic", "outcomes": [{"code": "yes", "label": "Yes"}]}, headers=auth)
    question_id = poll["questions"][0]["id"]
    client.post("/api/v1/series/approval/members", json={"question_id": question_id, "outcomes": {"yes": ["closer"]}}, headers=auth)
    for cursor in (
        "garbage",
        _b64(["points:approval", ["2024-01-05", 1, 1]]),
        _b64(["points:approval", ["2024-01-05", 1, 1, "1"]]),
        _b64(["points:approval", ["2024-01-05", 1, 1, 10**30]]),
    ):
        body = assert_problem(client.get(f"/api/v1/series/approval/points?cursor={cursor}"), 400)
        assert error_parameters(body) == {"cursor"}, cursor


def test_page_boundaries_and_cursors(client, polls):
    body = client.get(f"/api/v1/polls?limit={len(polls)}").get_json()
    assert len(body["items"]) == len(polls) and body["next_cursor"] is None, "a page as big as the list is the last"
    cursor = client.get(f"/api/v1/polls?limit={len(polls) - 1}").get_json()["next_cursor"]
    assert cursor is not None
    assert "2024" not in cursor and "polls" not in cursor, "cursors are opaque"

    # a cursor made by hand in the right shape is no error: it is a position in the order
    cursor = _b64(["polls:field_end_date", ["2024-03-02", 0]])
    body = client.get(f"/api/v1/polls?sort=field_end_date&cursor={cursor}").get_json()
    assert [p["field_end_date"] for p in body["items"]] == sorted(
        p["field_end_date"] for p in polls if p["field_end_date"] >= "2024-03-02"
    )


def test_cursor_from_another_sort_order_is_400(client, polls):
    for made_with, used_with in [
        ("sort=field_end_date", "sort=-field_end_date"),
        ("sort=-field_end_date", "sort=-publication_date"),
        ("sort=publication_date", "sort=field_end_date"),
        ("sort=-publication_date", "sort=publication_date"),
        ("pollster=kiis&sort=field_end_date", "sort=publication_date"),
    ]:
        cursor = client.get(f"/api/v1/polls?{made_with}&limit=2").get_json()["next_cursor"]
        assert cursor

        body = assert_problem(client.get(f"/api/v1/polls?{used_with}&limit=2&cursor={cursor}"), 400)

        assert error_parameters(body) == {"cursor"}, (made_with, used_with)


def test_cursor_from_another_list_is_400(client, auth, series_points):
    for slug in ("a-org", "b-org", "c-org"):
        create_pollster(client, auth, f"pollster-{slug}")
        create_sponsor(client, auth, f"sponsor-{slug}")
    client.post("/api/v1/series", json={"slug": "other", "title": "Synthetic other", "outcomes": [{"code": "yes", "label": "Yes"}]}, headers=auth)
    client.post("/api/v1/series", json={"slug": "third", "title": "Synthetic third", "outcomes": [{"code": "yes", "label": "Yes"}]}, headers=auth)

    pollster_cursor = client.get("/api/v1/pollsters?limit=1").get_json()["next_cursor"]
    poll_cursor = client.get("/api/v1/polls?limit=1").get_json()["next_cursor"]
    series_cursor = client.get("/api/v1/series?limit=1").get_json()["next_cursor"]
    points_cursor = client.get("/api/v1/series/approval/points?limit=1").get_json()["next_cursor"]
    assert pollster_cursor and poll_cursor and series_cursor and points_cursor

    for url in (
        f"/api/v1/sponsors?cursor={pollster_cursor}",
        f"/api/v1/series?cursor={pollster_cursor}",
        f"/api/v1/pollsters?cursor={poll_cursor}",
        f"/api/v1/polls?cursor={series_cursor}",
        f"/api/v1/polls?cursor={points_cursor}",
        f"/api/v1/series/other/points?cursor={points_cursor}",
    ):
        assert error_parameters(assert_problem(client.get(url), 400)) == {"cursor"}, url
