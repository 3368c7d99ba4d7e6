"""GET /api/v1/series/{slug}/chart.vl.json and /api/v1/polls/{id}/card.vl.json: one Vega-Lite spec
per chart, with its data, locale, summary and source line; data-version ETags."""

from __future__ import annotations

import re

import pytest

from factories import poll_doc, if_match

SERIES_DOC = {"slug": "peace-closer", "title": "Trump's win brings peace closer",
              "outcomes": [{"code": "closer", "label": "Closer"}, {"code": "further", "label": "Further"}]}


@pytest.fixture
def series(client, auth, pollster):
    """Six synthetic KIIS-like polls (tests/factories.py), 'closer' rising from 40% to 50%."""
    assert client.post("/api/v1/series", json=SERIES_DOC, headers=auth).status_code == 201
    for i, (month, closer) in enumerate([(1, 40), (2, 42), (3, 44), (4, 46), (5, 48), (6, 50)]):
        doc = poll_doc(field_start_date=f"2025-{month:02d}-02", field_end_date=f"2025-{month:02d}-12",
                       publication_date=f"2025-{month:02d}-20", sample_size=1000 + 10 * i)
        answers = doc["questions"][0]["answers"]
        answers[0]["pct"], answers[1]["pct"], answers[5]["pct"] = closer - 30, 30, closer
        answers[4]["pct"] = 100 - closer - 14
        poll = client.post("/api/v1/polls", json=doc, headers=auth)
        assert poll.status_code == 201, poll.get_json()
        question_id = poll.get_json()["questions"][0]["id"]
        member = client.post("/api/v1/series/peace-closer/members", headers=auth, json={
            "question_id": question_id,
            "outcomes": {"closer": ["closer"], "further": ["slightly_further", "significantly_further"]}})
        assert member.status_code in (200, 201), member.get_json()
    return SERIES_DOC


def test_series_spec_has_polls_trend_band_latest_and_source(client, series):
    response = client.get("/api/v1/series/peace-closer/chart.vl.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["$schema"].endswith("vega-lite/v5.json")
    assert [layer["name"] for layer in spec["layer"]] == ["band", "trend", "polls", "latest", "source"]
    data = spec["datasets"]
    assert len(data["polls"]) == 12  # 6 polls x 2 outcomes
    assert {p["outcome"] for p in data["polls"]} == {"closer", "further"}
    first = next(p for p in data["polls"] if p["outcome"] == "closer")
    assert first["pct"] == 40 and first["n"] == 1000 and first["dates"] == "2–12 Jan 2025"
    assert 36 < first["lower"] < 40 < first["upper"] < 44
    assert {t["outcome"] for t in data["trend"]} == {"closer", "further"}
    assert all(t["lower"] <= t["estimate"] <= t["upper"] for t in data["trend"])
    assert [l["outcome"] for l in data["latest"]] == ["closer", "further"]
    lines = data["source"][0]["lines"]
    assert lines[0] == "Source: Kyiv International Institute of Sociology (6 polls)"
    assert lines[1] == "trend: Kalman smoother, 95% band · methodology: http://localhost/methodology#trend"
    assert re.fullmatch(r"Trump's win brings peace closer: Closer rose from 4[0-2]% in Jan 2025 to 4[89]% in Jun 2025 "
                        r"\(Kyiv International Institute of Sociology, 6 polls\)\.", spec["description"])
    assert spec["width"] == "container"
    assert spec["params"] == [{"name": "chart_title", "value": "Trump's win brings peace closer"}]
    tooltip = [t["title"] for t in spec["layer"][2]["encoding"]["tooltip"]]
    assert tooltip == ["Pollster", "Outcome", "Field dates", "Sample size", "Mode", "Value", "95% interval"]


def test_options_shape_the_spec(client, series):
    spec = client.get("/api/v1/series/peace-closer/chart.vl.json?outcome=closer&show_polls=false&show_band=false"
                      "&height=500&width=800&theme=dark&title=Peace&lang=uk").get_json()
    assert [layer["name"] for layer in spec["layer"]] == ["trend", "latest", "source"]
    assert spec["height"] == 500 and spec["width"] == 800 and spec["params"][0]["value"] == "Peace"
    assert spec["background"] == "#16181d"
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    assert spec["config"]["locale"]["time"]["shortMonths"][0] == "січ."
    assert spec["datasets"]["source"][0]["lines"][0] == "Джерело: Kyiv International Institute of Sociology (6 опитувань)"
    assert {t["outcome"] for t in spec["datasets"]["trend"]} == {"closer"}


def test_other_trend_methods(client, series):
    spec = client.get("/api/v1/series/peace-closer/chart.vl.json?outcome=closer&method=rolling").get_json()
    assert spec["datasets"]["source"][0]["lines"][1].startswith("trend: average of the latest polls")


def test_too_few_polls_draw_no_line_but_the_dots(client, auth, pollster):
    assert client.post("/api/v1/series", json=SERIES_DOC, headers=auth).status_code == 201
    poll = client.post("/api/v1/polls", json=poll_doc(), headers=auth).get_json()
    member = client.post("/api/v1/series/peace-closer/members", headers=auth,
                         json={"question_id": poll["questions"][0]["id"], "outcomes": {"closer": ["closer"]}})
    assert member.status_code in (200, 201), member.get_json()
    spec = client.get("/api/v1/series/peace-closer/chart.vl.json").get_json()
    assert len(spec["datasets"]["polls"]) == 1 and spec["datasets"]["trend"] == []
    assert "Closer 45% in Dec 2024" in spec["description"]


def test_spec_etag_follows_the_data(client, auth, series):
    first = client.get("/api/v1/series/peace-closer/chart.vl.json")
    etag = first.headers["ETag"]
    assert "stale-while-revalidate=" in first.headers["Cache-Control"]
    again = client.get("/api/v1/series/peace-closer/chart.vl.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag
    assert client.get("/api/v1/series/peace-closer/chart.vl.json?lang=uk").headers["ETag"] != etag
    client.patch("/api/v1/series/peace-closer", json={"title": "Renamed"}, headers=if_match(client, "/api/v1/series/peace-closer", auth))
    changed = client.get("/api/v1/series/peace-closer/chart.vl.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["params"][0]["value"] == "Renamed"


def test_poll_card_spec(client, poll):
    spec = client.get(f"/api/v1/polls/{poll['id']}/card.vl.json").get_json()
    data = spec["datasets"]
    # default answer: the net answer 'closer' (45% = 15% + 30%)
    assert [(p["label"], p["pct"]) for p in data["parts"]] == [("Significantly closer", 15), ("Slightly closer", 30)]
    assert data["whisker"][0]["pct"] == 45 and data["whisker"][0]["lower"] < 45 < data["whisker"][0]["upper"]
    lines = data["disclosure"][0]["lines"]
    assert lines[0] == "Kyiv International Institute of Sociology · 2–17 Dec 2024 · n = 985 · live phone"
    assert lines[1].startswith("Population: Adults 18+ living in government-controlled territory of Ukraine · "
                               "Margin of error: ±3.3 points (computed, 95%)")
    assert lines[2] == f"methodology: http://localhost/polls/{poll['id']}"
    single = client.get(f"/api/v1/polls/{poll['id']}/card.vl.json?question=peace_closer&answer=slightly_further")
    assert [p["pct"] for p in single.get_json()["datasets"]["parts"]] == [9]


@pytest.mark.parametrize("query, status, parameter", [
    ("question=nothing", 400, "question"), ("answer=nothing", 400, "answer"), ("pollser=x", 422, "pollser"),
])
def test_poll_card_bad_arguments(client, poll, query, status, parameter):
    response = client.get(f"/api/v1/polls/{poll['id']}/card.vl.json?{query}")
    assert response.status_code == status and response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["parameter"] == parameter


@pytest.mark.parametrize("query, status, parameter", [
    ("outcome=nothing", 400, "outcome"), ("pollser=kiis", 422, "pollser"), ("theme=sepia", 422, "theme"),
    ("height=99999", 422, "height"), ("start_date=2025-06-01&end_date=2025-01-01", 400, "start_date"),
])
def test_series_spec_bad_arguments(client, series, query, status, parameter):
    response = client.get(f"/api/v1/series/peace-closer/chart.vl.json?{query}")
    assert response.status_code == status and response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["parameter"] == parameter


def test_unknown_series_and_poll_are_404(client):
    assert client.get("/api/v1/series/nothing/chart.vl.json").status_code == 404
    assert client.get("/api/v1/polls/123/card.vl.json").status_code == 404
