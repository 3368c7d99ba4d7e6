"""``/api/v1/series/{slug}/data.{csv,tsv,json,xlsx,parquet}`` and ``datapackage.json``: every format
reads back with pandas as exactly the rows of ``/points`` (long) or one row per poll question (wide).
Synthetic polls only."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from typing import Any

import pandas as pd
import pytest

from factories import PEACE_SERIES as SERIES, assert_problem, create_pollster, if_match, poll_doc

URL = "/api/v1/series"
MAPPING = {
    "closer": ["significantly_closer", "slightly_closer"],
    "further": ["slightly_further", "significantly_further"],
    "undecided": ["no_change_or_undecided"],
}
READERS = {
    "csv": lambda body: pd.read_csv(io.BytesIO(body)),
    "tsv": lambda body: pd.read_csv(io.BytesIO(body), sep="\t"),
    "json": lambda body: pd.read_json(io.BytesIO(body)),
    "xlsx": lambda body: pd.read_excel(io.BytesIO(body)),
    "parquet": lambda body: pd.read_parquet(io.BytesIO(body)),
}
MIMETYPES = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
DATES = {"field_start_date", "field_end_date", "publication_date"}
INTEGERS = {"poll_id", "question_id", "sample_size"}


@pytest.fixture
def data(client, auth, poll) -> dict[str, Any]:
    """Two pollsters, two polls: KIIS (all three outcomes) and a second one with missing methodology
    values and only two outcomes mapped."""
    assert client.post(URL, json=SERIES, headers=auth).status_code == 201
    create_pollster(client, auth, "rating", name="Synthetic Rating Group", country="UA")
    second = client.post("/api/v1/polls", json=poll_doc(
        pollster="rating", field_start_date="2025-01-10", field_end_date="2025-01-15", publication_date=None,
        sample_size=None, design_effect=None, margin_of_error=3.1, modes=["online_panel", "phone_live"],
        population="registered_voters", source_url="https://example.org/rating",
    ), headers=auth)
    assert second.status_code == 201, second.get_json()
    second = second.get_json()
    for question_id, outcomes in (
        (poll["questions"][0]["id"], MAPPING),
        (second["questions"][0]["id"], {k: MAPPING[k] for k in ("closer", "further")}),
    ):
        response = client.post(f"{URL}/peace-closer/members", json={"question_id": question_id, "outcomes": outcomes},
                               headers=auth)
        assert response.status_code == 200, response.get_json()
    return {"first": poll, "second": second}


def points(client, query: str = "") -> list[dict[str, Any]]:
    body = client.get(f"{URL}/peace-closer/points?limit=500{'&' + query if query else ''}").get_json()
    assert body["next_cursor"] is None
    return body["items"]


def _value(column: str, value: Any) -> Any:
    """A cell as the JSON of /points holds it, whatever the reader made of it."""
    if isinstance(value, list):
        return ";".join(value)
    if value is None or (not isinstance(value, (str, list)) and pd.isna(value)):
        return None
    if column in DATES:
        return str(value)[:10]
    if column in INTEGERS:
        return int(value)
    if hasattr(value, "item"):
        value = value.item()
    return value


def normalise(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{c: _value(c, v) for c, v in zip(frame.columns, row)} for row in frame.itertuples(index=False)]


def expected(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{c: _value(c, v) for c, v in item.items()} for item in items]


def download(client, fmt: str, query: str = ""):
    response = client.get(f"{URL}/peace-closer/data.{fmt}{'?' + query if query else ''}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


@pytest.mark.parametrize("fmt", list(READERS))
def test_long_export_reads_back_as_the_points(client, data, fmt):
    response = download(client, fmt)

    assert response.mimetype == MIMETYPES[fmt]
    assert response.headers["Content-Disposition"] == f'attachment; filename="peace-closer-long.{fmt}"'
    items = points(client)
    assert len(items) == 5
    frame = READERS[fmt](response.get_data())
    assert list(frame.columns) == list(items[0])
    assert normalise(frame) == expected(items)


@pytest.mark.parametrize("fmt", list(READERS))
def test_wide_export_has_one_row_per_question_and_a_column_per_outcome(client, data, fmt):
    response = download(client, fmt, "shape=wide")

    assert response.headers["Content-Disposition"] == f'attachment; filename="peace-closer-wide.{fmt}"'
    frame = READERS[fmt](response.get_data())
    items = points(client)
    methodology = [c for c in items[0] if c not in ("poll_id", "question_id", "outcome", "pct")]
    assert list(frame.columns) == ["poll_id", "question_id", "closer", "further", "undecided", *methodology]
    rows = normalise(frame)
    assert [(r["poll_id"], r["question_id"]) for r in rows] == [
        (data["first"]["id"], data["first"]["questions"][0]["id"]),
        (data["second"]["id"], data["second"]["questions"][0]["id"]),
    ]
    for row in rows:
        mine = [i for i in expected(items) if i["question_id"] == row["question_id"]]
        assert {o: row[o] for o in ("closer", "further", "undecided")} == {
            o: next((i["pct"] for i in mine if i["outcome"] == o), None) for o in ("closer", "further", "undecided")
        }
        assert {c: row[c] for c in methodology} == {c: mine[0][c] for c in methodology}
    assert rows[1]["undecided"] is None and rows[0]["closer"] == 45


@pytest.mark.parametrize("query", ["outcome=closer", "pollster=rating", "population=adults",
                                   "field_date_from=2025-01-01", "field_date_to=2024-12-31&outcome=further"])
def test_filters_are_those_of_points(client, data, query):
    frame = READERS["csv"](download(client, "csv", query).get_data())
    assert normalise(frame) == expected(points(client, query))
    assert 0 < len(frame) < 5


def test_an_empty_export_still_has_its_header(client, data):
    body = download(client, "csv", "pollster=nobody").get_data(as_text=True)
    assert body.splitlines() == [",".join(points(client)[0])]


def test_csv_tsv_and_json_stream(client, data):
    for fmt in ("csv", "tsv", "json"):  # JSON too: caching.py must not buffer it to hash the body
        with client.get(f"{URL}/peace-closer/data.{fmt}") as response:  # closing ends the stream's request context
            assert response.is_streamed
            assert "Content-Length" not in response.headers
            assert response.headers["ETag"]


def test_an_unchanged_export_answers_304(client, data):
    response = download(client, "csv")
    again = client.get(f"{URL}/peace-closer/data.csv", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == response.headers["ETag"]
    assert download(client, "csv", "shape=wide").headers["ETag"] != response.headers["ETag"]
    assert download(client, "tsv").headers["ETag"] != response.headers["ETag"]


@pytest.mark.parametrize("query", ["shape=tall", "pollser=kiis", "limit=5", "population=martians"])
def test_unknown_or_invalid_parameters_are_refused(client, data, query):
    assert_problem(client.get(f"{URL}/peace-closer/data.csv?{query}"), 422)


@pytest.mark.parametrize("path", ["data.csv", "data.parquet", "datapackage.json"])
def test_unknown_series_is_a_404_problem(client, path):
    assert_problem(client.get(f"{URL}/nothing/{path}"), 404)


def test_datapackage_describes_every_column_of_the_csv(client, data):
    response = client.get(f"{URL}/peace-closer/datapackage.json")

    assert response.status_code == 200 and response.mimetype == "application/json"
    package = response.get_json()
    assert package["name"] == "peace-closer" and package["title"] == SERIES["title"]
    assert package["version"] and package["version"] in package["citation"]
    dt.datetime.fromisoformat(package["created"])
    assert "licenses" not in package  # no licence is known for published poll results: none invented
    assert "Kyiv International Institute of Sociology" in package["rights"]
    assert {(s["title"], s.get("path")) for s in package["sources"]} == {
        ("Kyiv International Institute of Sociology", "https://example.org/poll"),
        ("Synthetic Rating Group", "https://example.org/rating"),
    }
    resource, codebook = package["resources"]
    assert codebook["name"] == "data-dictionary" and codebook["data"]  # the data dictionary travels with the data
    assert resource["path"].endswith("/api/v1/series/peace-closer/data.csv")
    fields = resource["schema"]["fields"]
    header = list(READERS["csv"](download(client, "csv").get_data()).columns)
    assert [f["name"] for f in fields] == header
    types = {"integer", "number", "string", "date", "boolean"}
    assert all(f["type"] in types and f["description"] for f in fields)
    assert {f["name"]: f.get("unit") for f in fields}["pct"] == "percent"


def test_wide_datapackage_describes_exactly_the_wide_csv(client, data):
    """The release check found ``datapackage.json?shape=wide`` refused (422): the wide download had no
    descriptor. It describes the wide file: its path, one field per column, its primary key."""
    long = client.get(f"{URL}/peace-closer/datapackage.json")
    response = client.get(f"{URL}/peace-closer/datapackage.json?shape=wide")

    assert response.status_code == 200, response.get_json()
    package = response.get_json()
    resource, codebook = package["resources"]
    assert codebook == long.get_json()["resources"][1]  # the data dictionary, as for long
    assert resource["name"] == "peace-closer-wide"
    assert resource["path"].endswith("/api/v1/series/peace-closer/data.csv?shape=wide")
    wide = READERS["csv"](client.get(resource["path"].removeprefix("http://localhost")).get_data())  # the file
    fields = resource["schema"]["fields"]
    assert [f["name"] for f in fields] == list(wide.columns)
    assert len(wide) == 2 and resource["schema"]["primaryKey"] == ["poll_id", "question_id"]
    by_name = {f["name"]: f for f in fields}
    for outcome in SERIES["outcomes"]:
        field = by_name[outcome["code"]]
        assert (field["type"], field["unit"]) == ("number", "percent")
        assert f"'{outcome['label']}'" in field["description"]
    long_fields = {f["name"]: f for f in long.get_json()["resources"][0]["schema"]["fields"]}
    assert all(by_name[n] == long_fields[n] for n in by_name if n in long_fields)  # methodology as in long
    assert package["version"] == long.get_json()["version"] == response.headers["Pollapp-Data-Version"]
    assert package["version"] in package["citation"] and package["sources"] == long.get_json()["sources"]
    assert response.headers["ETag"] and response.headers["Cache-Control"] == long.headers["Cache-Control"]


def test_datapackage_path_carries_the_filters_of_the_file_it_describes(client, data):
    query = "outcome=closer&pollster=rating&field_date_from=2025-01-01&shape=wide"
    package = client.get(f"{URL}/peace-closer/datapackage.json?{query}").get_json()

    resource = package["resources"][0]
    assert resource["path"].endswith(f"/data.csv?{query}")
    assert [f["name"] for f in resource["schema"]["fields"]] == list(
        READERS["csv"](download(client, "csv", query).get_data()).columns)
    assert [s["title"] for s in package["sources"]] == ["Synthetic Rating Group"]  # the pollsters of these rows
    assert package["version"] == client.get(f"{URL}/peace-closer/datapackage.json").get_json()["version"]


@pytest.mark.parametrize("query", ["shape=tall", "limit=5", "pollser=kiis"])
def test_datapackage_refuses_what_the_download_refuses(client, data, query):
    assert_problem(client.get(f"{URL}/peace-closer/datapackage.json?{query}"), 422)


@pytest.mark.parametrize("shape", ["long", "wide"])
def test_frictionless_validates_the_served_package_against_the_served_csv(app, data, shape):
    """What a researcher runs: ``frictionless validate .../datapackage.json`` fetches the descriptor and
    the CSV at the URL it names (types, missing cells, primary key). The synthetic wide file has an
    empty cell (the second poll does not measure 'undecided')."""
    import frictionless
    from live_pollapp import served_in_thread

    with served_in_thread(app, threaded=False) as url:
        report = frictionless.validate(f"{url}{URL}/peace-closer/datapackage.json?shape={shape}")

    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]
    table, codebook = report.tasks
    assert table.stats["rows"] == {"long": 5, "wide": 2}[shape] and codebook.stats["rows"] > 100


def test_datapackage_version_changes_when_a_poll_is_edited(client, auth, data):
    before = client.get(f"{URL}/peace-closer/datapackage.json").get_json()["version"]
    assert client.get(f"{URL}/peace-closer/datapackage.json").get_json()["version"] == before
    etag = download(client, "csv").headers["ETag"]

    poll = data["first"]
    response = client.patch(f"/api/v1/polls/{poll['id']}", json={"sample_size": 1000}, headers=if_match(client, f"/api/v1/polls/{poll['id']}", auth))
    assert response.status_code == 200, response.get_json()

    after = client.get(f"{URL}/peace-closer/datapackage.json").get_json()["version"]
    assert after != before
    assert download(client, "csv").headers["ETag"] != etag
    assert {r["sample_size"] for r in normalise(READERS["csv"](download(client, "csv").get_data()))} == {1000, None}


def test_exports_are_documented_as_downloads_and_json_as_an_array_of_rows(client, data):
    """data.json was documented as a binary string, which a client validating JSON bodies (Schemathesis
    found it) rejects: it is an array of row objects."""
    spec = client.get("/api/v1/openapi.json").get_json()
    for fmt, mimetype in MIMETYPES.items():
        content = spec["paths"][f"/api/v1/series/{{slug}}/data.{fmt}"]["get"]["responses"]["200"]["content"]
        expected = {"type": "array", "items": {"type": "object"}} if fmt == "json" else {"type": "string", "format": "binary"}
        assert content == {mimetype: {"schema": expected}}
    rows = json.loads(client.get(f"{URL}/peace-closer/data.json").get_data())
    assert rows and all(isinstance(row, dict) for row in rows)
    parameters = {p["name"] for p in spec["paths"]["/api/v1/series/{slug}/data.csv"]["get"]["parameters"]}
    assert {"outcome", "pollster", "population", "field_date_from", "field_date_to", "shape"} <= parameters


def test_the_csv_body_is_a_generator_reading_rows_only_as_it_is_sent(app, data, monkeypatch):
    """Constant memory: the view returns a generator, and no point row is read from the database
    before the body is consumed (speed and memory themselves are measured by bench/bench_export.py)."""
    import types

    from pollapp import repository

    read: list[dict] = []
    stream = repository.series_points_stream

    def spy(*args, **kwargs):
        for row in stream(*args, **kwargs):
            read.append(row)
            yield row

    monkeypatch.setattr(repository, "series_points_stream", spy)
    # The data version (the ETag) was stored by the transaction that wrote the series
    # (pollapp.services.data_version_store): even the first download reads only its body's rows.
    app.test_client().get(f"{URL}/peace-closer/data.csv", buffered=True)
    assert len(read) == 5
    read.clear()
    with app.test_request_context(f"{URL}/peace-closer/data.csv"):
        response = app.full_dispatch_request()
        assert response.status_code == 200 and response.is_streamed
        assert isinstance(response.response, types.GeneratorType)
        assert read == [], "no row is read before the body is sent"
        body = b"".join(response.response)
        response.close()
    assert len(read) == 5 and body.count(b"\n") == 1 + len(read)
