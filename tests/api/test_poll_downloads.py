"""``/api/v1/polls.csv`` and ``/api/v1/polls.json``: the list's filters, pollapp's import layout, and
re-import to the same data (also for polls without a natural key). SYNTHETIC polls only."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from factories import assert_problem, create_poll, create_pollster, create_sponsor, row_counts, simple_question
from import_files import SERIES, post_upload
from pollapp.services.poll_layout import NAMES

README = Path(__file__).resolve().parents[2] / "data" / "README.md"


def rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_csv_download_has_the_documented_columns_and_one_row_per_answer(client, auth, poll):
    response = client.get("/api/v1/polls.csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="pollapp-polls-') and disposition.endswith('.csv"')
    assert response.get_data(as_text=True).splitlines()[0].split(",") == list(NAMES)
    body = rows(response)
    assert len(body) == 6  # the KIIS-like poll: one question, six answers
    first = body[0]
    assert first["poll_key"] == str(poll["id"]) and first["pollster"] == "kiis"
    assert first["pollster_name"] == "Kyiv International Institute of Sociology"
    assert first["modes"] == "phone_live" and first["languages"] == "uk;ru" and first["weighted"] == "true"
    assert first["design_effect"] == "1.1" and first["source"] == "" and first["publication_date"] == "2024-12-27"
    net = body[5]
    assert net["answer_code"] == "closer" and net["components"] == "significantly_closer;slightly_closer"
    assert {r["substantive"] for r in body} == {"true", "false"}


def test_json_download_holds_import_documents(client, auth, poll):
    response = client.get("/api/v1/polls.json")

    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].endswith('.json"')
    [doc] = response.get_json()
    assert doc["pollster"] == "kiis" and doc["pollster_name"].startswith("Kyiv")
    assert "id" not in doc and "disclosure" not in doc
    assert doc["questions"][0]["answers"][0]["series"] == []
    assert doc["field_start_date"] == "2024-12-02" and doc["sample_size"] == 985


def test_downloads_take_the_list_filters_but_no_pagination(client, auth, poll):
    create_pollster(client, auth, "rating")
    create_poll(client, auth, pollster="rating", field_start_date="2025-01-10", field_end_date="2025-01-15", publication_date=None)

    listed = client.get("/api/v1/polls?pollster=rating").get_json()["items"]
    downloaded = client.get("/api/v1/polls.json?pollster=rating").get_json()
    assert len(listed) == len(downloaded) == 1 and downloaded[0]["pollster"] == "rating"
    assert [d["field_end_date"] for d in client.get("/api/v1/polls.json?sort=field_end_date").get_json()] == ["2024-12-17", "2025-01-15"]
    assert len(rows(client.get("/api/v1/polls.csv?q=trump&pollster=kiis"))) == 6
    empty = client.get("/api/v1/polls.csv?country=US")
    assert empty.status_code == 200 and empty.get_data(as_text=True).splitlines() == [",".join(NAMES)]
    assert client.get("/api/v1/polls.json?country=US").get_json() == []
    for url in ("/api/v1/polls.csv?limit=10", "/api/v1/polls.json?pollser=kiis", "/api/v1/polls.csv?sort=size"):
        assert_problem(client.get(url), client.get(url.replace(".csv", "").replace(".json", "")).status_code if "limit" not in url else 422)


def test_a_series_download_is_named_after_it_and_carries_memberships(client, auth, poll):
    assert client.post("/api/v1/series", json=SERIES, headers=auth).status_code == 201
    second = {**SERIES, "slug": "synthetic-closer", "outcomes": [{"code": "closer", "label": "Closer"}]}
    assert client.post("/api/v1/series", json=second, headers=auth).status_code == 201
    question_id = poll["questions"][0]["id"]
    for slug, outcomes in (("synthetic-approval", {"approve": ["slightly_closer"]}), ("synthetic-closer", {"closer": ["slightly_closer"]})):
        response = client.post(f"/api/v1/series/{slug}/members", json={"question_id": question_id, "outcomes": outcomes}, headers=auth)
        assert response.status_code in (200, 201), response.get_json()

    response = client.get("/api/v1/polls.csv?series=synthetic-closer")

    assert 'filename="pollapp-polls-synthetic-closer-' in response.headers["Content-Disposition"]
    slightly = next(r for r in rows(response) if r["answer_code"] == "slightly_closer")
    assert (slightly["series"], slightly["outcome"]) == ("synthetic-approval;synthetic-closer", "approve;closer")
    [doc] = client.get("/api/v1/polls.json?series=synthetic-closer").get_json()
    answer = doc["questions"][0]["answers"][1]
    assert answer["series"] == [{"series": "synthetic-approval", "outcome": "approve"}, {"series": "synthetic-closer", "outcome": "closer"}]


def test_a_poll_without_natural_key_re_imports_by_pollster_dates_and_wording(client, auth, app):
    """Neither download has the poll's id: a poll without source/source_id is matched again by
    pollster, field dates and a shared question wording."""
    create_pollster(client, auth, "kiis", name="Synthetic; Pollster")  # a ';' in a name survives the CSV
    create_sponsor(client, auth, "gazette", name="Synthetic Gazette")
    poll = create_poll(client, auth, sponsors=["gazette"], questions=[simple_question()])
    for fmt in ("csv", "json"):
        data = client.get(f"/api/v1/polls.{fmt}").get_data()
        response = post_upload(client, auth, data, f"polls.{fmt}")
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["counts"]["polls"] == {"created": 0, "updated": 0, "unchanged": 1}
        assert response.get_json()["changes"] == 0

    corrected = client.get("/api/v1/polls.csv").get_data().replace(b",40.0,", b",41.0,", 1)
    response = post_upload(client, auth, corrected, "corrected.csv")
    assert response.get_json()["counts"]["polls"] == {"created": 0, "updated": 1, "unchanged": 0}
    after = client.get(f"/api/v1/polls/{poll['id']}").get_json()
    assert after["questions"][0]["answers"][0]["pct"] == 41 and after["questions"][0]["id"] == poll["questions"][0]["id"]
    assert row_counts(app)["polls"] == 1


def test_an_export_creates_missing_organisations_in_another_database(client, auth, app, tmp_path):
    """Deleting is soft (the history keeps the poll and its organisations), so "another database" is
    played by renaming the organisations' slugs in the file: none of them exists here."""
    create_pollster(client, auth, "kiis", name="Synthetic; Pollster")
    create_sponsor(client, auth, "gazette", name="Synthetic Gazette")
    create_poll(client, auth, sponsors=["gazette"], questions=[simple_question()])
    exported = {fmt: client.get(f"/api/v1/polls.{fmt}").get_data() for fmt in ("csv", "json")}
    renamed = {fmt: body.replace(b"kiis", b"kiis-elsewhere").replace(b"gazette", b"gazette-elsewhere")
               for fmt, body in exported.items()}
    assert renamed["csv"] != exported["csv"] and row_counts(app)["pollsters"] == 1

    response = post_upload(client, auth, renamed["csv"], "polls.csv")

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["counts"]["pollsters"]["created"] == 1 and response.get_json()["counts"]["sponsors"]["created"] == 1
    assert client.get("/api/v1/pollsters/kiis-elsewhere").get_json()["name"] == "Synthetic; Pollster"
    assert client.get("/api/v1/sponsors/gazette-elsewhere").get_json()["name"] == "Synthetic Gazette"
    again = client.get("/api/v1/polls.json?pollster=kiis-elsewhere").get_data()
    assert json.loads(again) == json.loads(renamed["json"])
    assert json.loads(exported["json"])[0]["sponsor_names"] == ["Synthetic Gazette"]


def test_the_layout_is_documented_column_by_column():
    readme = README.read_text(encoding="utf-8")
    missing = [name for name in NAMES if f"`{name}`" not in readme]
    assert missing == []
