"""The bulk JSON paths (issue 7) give the same bytes as the marshmallow schemas they replace.

``GET /polls`` is built from SQL rows and encoded with orjson (:mod:`pollapp.services.poll_rows`);
the schema (``PollPageSchema``) still documents it. Each test compares the served body with Flask's
encoding of the schema's dump of the ORM objects for the same page (``representation``), byte for
byte (so the body-digest ETag is the same on both paths), for REAL polls from ``data/`` and for
SYNTHETIC edge cases: sponsors and partners, null optional fields, Ukrainian text, control characters,
net answers, several questions, soft-deleted polls, filters, both sorts and every cursor page.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import marshmallow as ma
import pytest
from flask import Flask

from factories import create_pollster, create_sponsor, poll_doc, simple_question
from own_database import migrated_app
from pollapp.api.caching import etag_of
from pollapp.api.polls import poll_filters
from pollapp.extensions import db
from pollapp.schemas.polls_list_args import PollListArgsSchema
from pollapp.schemas.polls_out import PollPageSchema
from pollapp.services import polls

DATA = Path(__file__).resolve().parents[2] / "data"


def representation(app: Flask, query: dict[str, Any]) -> bytes:
    """What the marshmallow path serves for ``GET /polls?<query>``: the schema's dump of the ORM page."""
    schema = PollListArgsSchema()
    args = schema.load({k: [v] if isinstance(schema.fields[k], ma.fields.List) else v for k, v in query.items()})
    with app.test_request_context():
        page = polls.list_polls(db.session, poll_filters(args), sort=args["sort"], cursor=args["cursor"], limit=args["limit"])
        body = app.json.response(PollPageSchema().dump(page)).get_data()
        db.session.remove()
    return body


def assert_every_page_is(client, url: str, query: dict[str, Any], expected, check_etag: bool = False) -> int:
    """Every page of a list (following ``next_cursor``) is served exactly as ``expected(page_query)``
    (the schema's dump) gives it; returns the number of items seen."""
    seen, cursor = 0, None
    for _ in range(100):
        page_query = {**query, **({"cursor": cursor} if cursor else {})}
        response = client.get(url, query_string=page_query)
        assert response.status_code == 200, response.get_json()
        body_bytes = expected(page_query)
        assert response.get_data() == body_bytes
        if check_etag:
            assert response.headers["ETag"] == f'"{etag_of(body_bytes)}"'
        body = response.get_json()
        seen += len(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            assert seen == body["total"]
            return seen
    raise AssertionError("pagination does not end")


def assert_pages_equal(app: Flask, client, query: dict[str, Any]) -> int:
    """Every page of the poll list is the schema's dump, with the ETag of those bytes."""
    return assert_every_page_is(client, "/api/v1/polls", query, lambda q: representation(app, q), check_etag=True)


# ---------------------------------------------------------------- REAL data (data/)


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> Iterator[Flask]:
    """``data/`` with its Ukraine war polls (the Putin approval file is left out: 3,400 rows of the
    same shape would only slow the suite), loaded as ``flask data load`` does."""
    root = tmp_path_factory.mktemp("real-data")
    for name in ("pollsters.csv", "sponsors.csv", "series.json"):
        shutil.copy(DATA / name, root / name)
    (root / "polls").mkdir()
    shutil.copy(DATA / "polls" / "ukraine_war.csv", root / "polls" / "ukraine_war.csv")
    with migrated_app(tmp_path_factory.mktemp("real-db"), "fast_serialization") as app:
        loaded = app.test_cli_runner().invoke(args=["data", "load", str(root)])
        assert loaded.exit_code == 0, loaded.output
        yield app


@pytest.mark.parametrize("query", [
    {"limit": 200},
    {"limit": 7, "sort": "publication_date"},
    {"limit": 5, "pollster": "kiis", "sort": "-publication_date"},
    {"limit": 50, "series": "ukraine-territorial-concessions"},
])
def test_real_poll_pages_equal_the_schema_dump(real, query):
    client = real.test_client()
    assert assert_pages_equal(real, client, query) > 0


def test_real_polls_carry_ukrainian_text_as_utf8(real):
    body = real.test_client().get("/api/v1/polls?limit=200").get_data()
    assert b"\\u04" not in body  # no ASCII escapes: UTF-8 as is, on both paths
    assert any(ord(ch) > 0x400 for ch in body.decode())


# ---------------------------------------------------------------- SYNTHETIC edge cases


@pytest.fixture
def edge_store(client, auth) -> dict[str, int]:
    create_pollster(client, auth, "kiis", country="UA", name="Київський міжнародний інститут соціології")
    create_pollster(client, auth, "razumkov", country="UA")
    create_sponsor(client, auth, "sponsor-b", name="Synthetic sponsor «B»")
    create_sponsor(client, auth, "sponsor-a")
    ids: dict[str, int] = {}

    def post(name: str, doc: dict[str, Any]) -> None:
        response = client.post("/api/v1/polls", json=doc, headers=auth)
        assert response.status_code == 201, response.get_json()
        ids[name] = response.get_json()["id"]

    post("full", poll_doc(
        sponsors=["sponsor-b", "sponsor-a"], self_sponsored=False, partner_pollsters=["razumkov"],
        field_dates_precision="day", region="Kyiv", margin_of_error=3.3, confidence_level=95, response_rate=12.5,
        response_rate_formula="RR3", quality_procedures="Synthetic: back-checks", limitations="Synthetic: none",
        partisan=True, internal=True, tracking=True, report_url="https://example.org/r", topline_url="https://example.org/t",
        crosstab_url="https://example.org/c", notes="Synthetic notes:\ttab, \"quotes\", back\\slash\nnew line",
        source="synthetic", source_id="s-1",
        questions=[
            poll_doc()["questions"][0],
            simple_question("trust", wording="Synthetic: чи довіряєте ви Президенту? ґ є ї", language="uk",
                            wording_exact=False, wording_en="Synthetic: do you trust the President?",
                            preceding_context="Synthetic context", population="registered_voters",
                            base_description="split half A", base_n=400, split_variant="A", notes="Synthetic"),
            {"code": "multi", "wording": "Synthetic: which?", "language": "en", "multi_select": True,
             "answers": [{"code": "a", "label": "A", "pct": 60.1}, {"code": "b", "label": "B", "pct": 0.30000000000000004,
                          "notes": "Synthetic answer note"}, {"code": "c", "label": "C 😀", "pct": 70}]},
            {"code": "partial", "wording": "Synthetic: approve?", "language": "en",
             "answers": [{"code": "yes", "label": "Yes", "pct": 41}, {"code": "no", "label": "No", "pct": 33.3}]},
        ],
    ))
    post("sparse", {
        "pollster": "razumkov", "field_start_date": "2024-11-01", "field_end_date": "2024-11-01",
        "field_dates_precision": "month", "country": "UA", "population": "other",
        "questions": [simple_question("only")],
    })
    post("unweighted", poll_doc(weighted=False, weighting_variables=[], sample_size=None, design_effect=None,
                                field_start_date="2024-10-01", field_end_date="2024-10-03", publication_date=None))
    post("deleted", poll_doc(field_start_date="2024-09-01", field_end_date="2024-09-02", publication_date=None))
    for i in range(6):
        post(f"same-day-{i}", poll_doc(field_start_date="2024-08-01", field_end_date="2024-08-02",
                                       publication_date=None, questions=[simple_question(f"q{j}") for j in range(1 + i % 3)]))
    gone = client.get(f"/api/v1/polls/{ids['deleted']}")
    response = client.delete(f"/api/v1/polls/{ids['deleted']}",
                             headers={**admin_auth(client.application), "If-Match": gone.headers["ETag"]})
    assert response.status_code == 204
    return ids


def admin_auth(app: Flask) -> dict[str, str]:
    from factories import make_key

    return {"Authorization": f"Bearer {make_key(app, 'admin')}"}


EDGE_QUERIES = [
    {"limit": 500},
    {"limit": 2},
    {"limit": 3, "sort": "field_end_date"},
    {"limit": 2, "sort": "-publication_date"},
    {"limit": 4, "sort": "publication_date", "sponsor": "sponsor-a"},
    {"limit": 2, "pollster": "kiis", "mode": "phone_live", "q": "довіряєте"},
]


def test_edge_case_pages_equal_the_schema_dump(app, client, edge_store):
    for query in EDGE_QUERIES:  # one store for all (building it is the slow part)
        assert assert_pages_equal(app, client, query) >= 1, query


def test_the_fast_page_leaves_deleted_polls_out_and_keeps_every_field(app, client, edge_store):
    body = client.get("/api/v1/polls?limit=500").get_json()
    by_id = {p["id"]: p for p in body["items"]}
    assert edge_store["deleted"] not in by_id and body["total"] == len(edge_store) - 1
    full = by_id[edge_store["full"]]
    assert [s["slug"] for s in full["sponsors"]] == ["sponsor-a", "sponsor-b"]
    assert full["partner_pollsters"] == [{"slug": "razumkov", "name": "Synthetic pollster razumkov"}]
    assert full["pollster"]["name"] == "Київський міжнародний інститут соціології"
    assert [q["code"] for q in full["questions"]] == ["peace_closer", "trust", "multi", "partial"]
    net = full["questions"][0]["answers"][-1]
    assert (net["is_net"], net["components"], net["pct"]) == (True, ["significantly_closer", "slightly_closer"], 45.0)
    assert full["questions"][3]["remainder_not_reported"] is True
    sparse = by_id[edge_store["sparse"]]
    assert sparse["sponsors"] == [] and sparse["sample_size"] is None and sparse["weighted"] is None
    assert sparse["disclosure"]["score"] < full["disclosure"]["score"]


def test_the_list_runs_a_fixed_number_of_statements(app, client, edge_store):
    from test_query_counts import statements_for

    assert statements_for(app, client, "/api/v1/polls?limit=2") == statements_for(app, client, "/api/v1/polls?limit=500")


# ---------------------------------------------------------------- series points


def points_representation(app: Flask, slug: str, query: dict[str, Any]) -> bytes:
    """What the marshmallow path serves for ``GET /series/<slug>/points?<query>``."""
    from pollapp.repository import PointFilters
    from pollapp.schemas.series import PointPageSchema, PointsArgsSchema
    from pollapp.services import series as series_service

    schema = PointsArgsSchema()
    args = schema.load({k: [v] if isinstance(schema.fields[k], ma.fields.List) else v for k, v in query.items()})
    filters = PointFilters(outcomes=args["outcome"], pollsters=args["pollster"],
                           populations=[p.value for p in args["population"]])
    with app.test_request_context():
        page = series_service.points_page(db.session, slug, filters, cursor=args["cursor"], limit=args["limit"],
                                          as_of=args["as_of"])
        body = app.json.response(PointPageSchema().dump(page)).get_data()
        db.session.remove()
    return body


def assert_point_pages_equal(app: Flask, client, slug: str, query: dict[str, Any]) -> int:
    return assert_every_page_is(client, f"/api/v1/series/{slug}/points", query,
                                lambda q: points_representation(app, slug, q))


def test_real_series_points_equal_the_schema_dump(real):
    client = real.test_client()
    slugs = [s["slug"] for s in client.get("/api/v1/series?limit=500").get_json()["items"]]
    counted = {slug: assert_point_pages_equal(real, client, slug, {"limit": 500}) for slug in slugs}
    assert sum(counted.values()) > 0
    assert assert_point_pages_equal(real, client, "ukraine-territorial-concessions", {"limit": 7, "outcome": "ready"})


def test_edge_case_points_equal_the_schema_dump(app, client, auth, edge_store):
    import datetime as dt
    import time

    series = {"slug": "synthetic-edge", "title": "Synthetic edge series",
              "outcomes": [{"code": "yes", "label": "Так"}, {"code": "no", "label": "Ні"}]}
    assert client.post("/api/v1/series", json=series, headers=auth).status_code == 201
    for name, poll_id in edge_store.items():
        if name == "deleted":
            continue
        for question in client.get(f"/api/v1/polls/{poll_id}").get_json()["questions"]:
            codes = [a["code"] for a in question["answers"] if not a["is_net"]]
            mapping = {"yes": codes[:1], "no": codes[1:2]} if len(codes) > 1 else {"yes": codes[:1]}
            response = client.post("/api/v1/series/synthetic-edge/members", headers=auth,
                                   json={"question_id": question["id"], "outcomes": mapping})
            assert response.status_code == 200, response.get_json()
    time.sleep(0.01)
    instant = dt.datetime.now(dt.timezone.utc).isoformat()
    for query in ({"limit": 500}, {"limit": 3}, {"limit": 2, "outcome": "no", "pollster": "kiis"},
                  {"limit": 500, "as_of": instant}, {"limit": 4, "population": "registered_voters"}):
        assert assert_point_pages_equal(app, client, "synthetic-edge", query) >= 1, query
