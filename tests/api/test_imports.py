"""Imports of pollapp's own poll layout and robustness of every importer, through the CLI
(``flask data import``) and the upload endpoint (``POST /api/v1/imports``), which share one service.
SYNTHETIC files written to tmp_path only."""

from __future__ import annotations

import codecs
import csv
import sys

import pytest

from factories import assert_problem, make_key, row_counts
from import_files import SERIES, csv_bytes, many_polls, poll_rows, post_upload, run_import
from pollapp.services.imports_fte import HEADER as FTE_HEADER

THROUGH = ("cli", "api")


@pytest.fixture
def series(client, auth):
    assert client.post("/api/v1/series", json=SERIES, headers=auth).status_code == 201


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def polls_by_source_id(client) -> dict[str, dict]:
    return {p["source_id"]: p for p in client.get("/api/v1/polls?limit=500").get_json()["items"]}


# ---------------------------------------------------------------- the upload endpoint


def upload(client, auth, data: bytes, name: str = "polls.csv", **fields):
    return post_upload(client, auth, data, name, **fields)


def test_upload_imports_and_reports_then_changes_nothing_the_second_time(client, auth, series, app):
    data = csv_bytes(many_polls(3))

    response = upload(client, auth, data, reason="Synthetic test import")

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["format"] == "pollapp" and body["rows"] == 12 and body["dry_run"] is False
    assert body["counts"]["polls"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert body["counts"]["pollsters"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert body["counts"]["series members"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert body["changes"] == 7 and body["reason"] == "Synthetic test import"
    assert response.headers["Cache-Control"] == "no-store"
    points = client.get("/api/v1/series/synthetic-approval/points").get_json()
    assert points["total"] == 6

    polls = client.get("/api/v1/polls?limit=10").get_json()["items"]
    revisions = [client.get(f"/api/v1/polls/{p['id']}/history").get_json()["items"] for p in polls]
    assert {(r[0]["action"], r[0]["reason"]) for r in revisions} == {("create", "Synthetic test import")}
    assert all(r[0]["actor"] for r in revisions)

    again = upload(client, auth, data)
    assert again.status_code == 201
    assert again.get_json()["changes"] == 0
    assert again.get_json()["counts"]["polls"] == {"created": 0, "updated": 0, "unchanged": 3}


def test_a_dry_run_reports_what_would_change_and_writes_nothing(client, auth, series, app):
    upload(client, auth, csv_bytes(many_polls(2)))
    before = row_counts(app)
    rows = many_polls(3)
    rows[0]["pct"] = "41.0"  # poll 0 corrected (approve 30 -> 41; disapprove stays: 41 + 60 + 10 > 100 is caught)
    rows[1]["pct"] = "50.0"

    response = upload(client, auth, csv_bytes(rows), dry_run="true")

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["dry_run"] is True
    assert body["counts"]["polls"] == {"created": 1, "updated": 1, "unchanged": 1}
    assert row_counts(app) == before
    assert polls_by_source_id(client)["syn-0"]["questions"][0]["answers"][0]["pct"] == 30


def test_upload_needs_a_write_key(client, app, series):
    data = csv_bytes(many_polls(1))
    assert_problem(upload(client, {}, data), 401)
    read_only = {"Authorization": f"Bearer {make_key(app, 'read')}"}
    assert_problem(upload(client, read_only, data), 403)
    assert row_counts(app)["polls"] == 0


def test_upload_form_fields_are_validated(client, auth):
    body = assert_problem(client.post("/api/v1/imports", data={"format": "auto"}, headers=auth, content_type="multipart/form-data"), 422)
    assert {"parameter": "file", "detail": "Missing data for required field."} in body["errors"]
    body = assert_problem(upload(client, auth, b"x", format="excel"), 422)
    assert [e["parameter"] for e in body["errors"]] == ["format"]
    body = assert_problem(upload(client, auth, b"x", unknown_field="1"), 422)
    assert [e["parameter"] for e in body["errors"]] == ["unknown_field"]
    body = assert_problem(client.post("/api/v1/imports", data={"file": "not a file part"}, headers=auth, content_type="multipart/form-data"), 422)
    assert [e["parameter"] for e in body["errors"]] == ["file"] and "file part" in body["errors"][0]["detail"]


def test_a_body_over_the_size_limit_is_a_413_problem(client, auth, app):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    body = assert_problem(upload(client, auth, b"poll_key\n" + b"x\n" * 10_000), 413)
    assert body["title"]
    assert row_counts(app)["polls"] == 0


def test_the_default_size_limit_admits_a_50_mb_file(app):
    assert app.config["MAX_CONTENT_LENGTH"] >= 60 * 1024 * 1024


def test_the_upload_is_documented_as_multipart_with_its_report(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/imports"]["post"]
    form = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    form = spec["components"]["schemas"][form["$ref"].rsplit("/", 1)[1]]
    assert form["properties"]["file"] == {**form["properties"]["file"], "type": "string", "format": "binary"}
    assert {"format", "series", "dry_run", "reason"} <= set(form["properties"]) and form["required"] == ["file"]
    assert {"200", "201", "401", "403", "413", "422"} <= set(operation["responses"])
    report = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert report["$ref"].endswith("/ImportReport")


def test_a_file_problem_names_its_row_and_the_spec_documents_it(client, auth):
    """Found by Schemathesis: file problems carry ``row`` (and ``column``), which the spec's
    ProblemError (additionalProperties: false) did not list, so a conforming client would reject them."""
    body = assert_problem(upload(client, auth, b"\x89PNG\r\n\x1a\n\x00\x00", name="file.png"), 422)
    assert body["errors"][0]["row"] == 1
    documented = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["ProblemError"]["properties"]
    assert {"row", "column"} <= set(documented)
    assert all(set(error) <= set(documented) for error in body["errors"])


# ---------------------------------------------------------------- all or nothing, row-level problems


@pytest.mark.parametrize("through", THROUGH)
def test_three_bad_rows_among_1000_are_reported_exactly_and_nothing_changes(through, runner, client, auth, series, app, tmp_path):
    upload(client, auth, csv_bytes(many_polls(100)))  # the database already holds 100 of the polls
    before_rows, before_polls = row_counts(app), polls_by_source_id(client)
    rows = many_polls(250)
    assert len(rows) == 1000
    for row in rows[:400]:
        row["notes"] = "SYNTHETIC test poll, corrected."  # valid changes that must not be written either
    bad = {17: "pct", 402: "field_end_date", 999: "answer_code"}  # index in rows -> column
    rows[17]["pct"] = "forty"
    rows[402]["field_end_date"] = "2021-12-31"  # differs from the other rows of its poll
    rows[999]["answer_code"] = "Don't Know"
    path = write(tmp_path, "thousand.csv", csv_bytes(rows))

    outcome = run_import(through, runner, client, auth, path)

    assert not outcome.ok
    assert outcome.total == 3
    assert sorted((row, column) for row, column, _ in outcome.problems) == sorted((i + 2, c) for i, c in bad.items())
    messages = {column: message for _, column, message in outcome.problems}
    assert "number" in messages["pct"].lower()
    assert "differs" in messages["field_end_date"] and "poll_key" in messages["field_end_date"]
    assert "code" in messages["answer_code"].lower()
    assert row_counts(app) == before_rows
    assert polls_by_source_id(client) == before_polls


@pytest.mark.parametrize("through", THROUGH)
def test_problems_are_capped_with_the_total_count(through, runner, client, auth, series, app, tmp_path):
    rows = many_polls(60)
    for row in rows:
        row["pct"] = "n/a"
    outcome = run_import(through, runner, client, auth, write(tmp_path, "bad.csv", csv_bytes(rows)))
    assert not outcome.ok and outcome.total == 240 and len(outcome.problems) == 100
    assert row_counts(app)["polls"] == 0


@pytest.mark.parametrize("through", THROUGH)
def test_unknown_organisations_need_names_and_series_must_exist(through, runner, client, auth, app, tmp_path):
    rows = poll_rows(1, sponsors="synthetic-gazette")
    for row in rows:
        row["pollster_name"] = ""
    outcome = run_import(through, runner, client, auth, write(tmp_path, "orgs.csv", csv_bytes(rows)))
    assert not outcome.ok
    found = {(row, column) for row, column, _ in outcome.problems}
    assert (2, "pollster") in found and (2, "sponsors") in found and (2, "series") in found and (3, "series") in found
    assert any("POST /api/v1/series" in m for _, _, m in outcome.problems)
    assert all(v == 0 for k, v in row_counts(app).items() if k != "api_keys")


# ---------------------------------------------------------------- bad files: a clear problem, never a crash


def fte_csv() -> bytes:
    row = ["1", "1", "", "11", "Synthetic President", "900", "Synthetic Research", "", "", "Synthetic Research", "9",
           "Synthetic Research", "B", "1000", "a", "a", "Online", "1/2/21", "1/4/21", "", "", "1/5/21 10:18",
           "SYNTHETIC", "https://synthetic.example.org/1", "538", "45.0", "50.0"]  # fmt: skip
    return (",".join(FTE_HEADER) + "\n" + ",".join(row) + "\n").encode()


def pollapp_csv(wording: str = "Synthetic: do you approve?") -> bytes:
    rows = poll_rows(1, wording=wording)
    for row in rows:
        row["series"] = row["outcome"] = ""
    return csv_bytes(rows)


BAD_FILES = {
    "empty": (lambda _: b"", "empty"),
    "only-whitespace": (lambda _: b"\n\n  \n", "empty"),
    "header-only": (lambda make: make().split(b"\n", 1)[0] + b"\n", "no"),
    "binary-junk": (lambda _: bytes(range(256)) * 40, "NUL"),
    "xlsx": (lambda _: b"PK\x03\x04" + bytes(200), "spreadsheet"),
    "utf16-without-bom": (lambda make: make().decode().encode("utf-16-le"), "UTF-16"),
    "cp1251": (lambda make: make().decode().replace("Synthetic", "Соціологічна група").encode("cp1251"), "Windows-1251"),
    "latin1": (lambda make: make().decode().replace("Synthetic", "Sondages Québécois").encode("latin-1"), "Windows-1252"),
    "missing-columns": (lambda make: b"\n".join(line.split(b",", 1)[1] for line in make().split(b"\n") if line) + b"\n", "missing"),
    "broken-quote": (lambda make: make() + b'1,"unterminated\n', ""),
}
LAYOUTS = {"pollapp": pollapp_csv, "fte": fte_csv}


@pytest.mark.parametrize("through", THROUGH)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_files_get_a_clear_problem(case, layout, through, runner, client, auth, app, tmp_path):
    make, expected = BAD_FILES[case]
    path = write(tmp_path, f"{case}.csv", make(LAYOUTS[layout]))
    options = {} if case in ("empty", "only-whitespace", "binary-junk", "xlsx") else {"format": layout}

    outcome = run_import(through, runner, client, auth, path, **options)

    assert not outcome.ok, outcome.text
    assert outcome.problems or outcome.total, outcome.text
    assert expected.lower() in outcome.text.lower(), outcome.text
    assert all(v == 0 for k, v in row_counts(app).items() if k != "api_keys")


@pytest.mark.parametrize("through", THROUGH)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_a_byte_order_mark_makes_the_encoding_certain(encoding, layout, through, runner, client, auth, app, tmp_path):
    text = LAYOUTS[layout]().decode().replace("Synthetic Pollster", "Соціологічна група «Рейтинг»").replace("Synthetic President", "Володимир Зеленський")
    path = write(tmp_path, "bom.csv", text.encode(encoding))
    assert path.read_bytes().startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))

    outcome = run_import(through, runner, client, auth, path)

    assert outcome.ok, outcome.text
    assert outcome.counts["polls"] == (1, 0, 0)
    if layout == "pollapp":
        assert client.get("/api/v1/pollsters/synthetic-a").get_json()["name"] == "Соціологічна група «Рейтинг» synthetic-a"


@pytest.mark.parametrize("through", THROUGH)
def test_quoted_newlines_and_commas_inside_fields_survive(through, runner, client, auth, app, tmp_path):
    wording = 'Synthetic: first line,\nsecond line with "quotes", and a comma'
    path = write(tmp_path, "newlines.csv", pollapp_csv(wording))
    outcome = run_import(through, runner, client, auth, path)
    assert outcome.ok, outcome.text
    [poll] = polls_by_source_id(client).values()
    assert poll["questions"][0]["wording"] == wording


def test_a_50_mb_file_of_one_oversized_poll_gets_a_clear_problem_from_the_cli(runner, app, tmp_path):
    """About 200,000 answer rows for one question: read, folded and refused (answers per question
    are capped), with no crash and nothing written."""
    template = poll_rows(1)[2]
    path = tmp_path / "big.csv"
    with path.open("wb") as handle:
        handle.write(csv_bytes([]))
        size, i = 0, 0
        while size < 50 * 1024 * 1024:
            chunk = csv_bytes([{**template, "answer_code": f"a{i + k}", "answer_position": str(i + k + 1), "pct": "0"}
                               for k in range(5000)]).split(b"\n", 1)[1]
            handle.write(chunk)
            size += len(chunk)
            i += 5000
    assert path.stat().st_size >= 50 * 1024 * 1024

    outcome = run_import("cli", runner, None, None, path)

    assert not outcome.ok
    assert any(column == "answer_code" and "500" in message for _, column, message in outcome.problems), outcome.problems
    assert row_counts(app)["polls"] == 0


def test_a_50_mb_upload_with_an_oversized_field_gets_a_clear_problem(client, auth, app):
    # Another library in the process raised the csv module's process-wide cell limit (frictionless sets it
    # to sys.maxsize on import): the importer must still apply its own.
    previous = csv.field_size_limit(sys.maxsize)
    try:
        _upload_oversized_field(client, auth, app)
    finally:
        csv.field_size_limit(previous)


def _upload_oversized_field(client, auth, app) -> None:
    data = pollapp_csv().replace(b"SYNTHETIC test poll; not real data.", b"x" * (50 * 1024 * 1024), 1)
    assert len(data) >= 50 * 1024 * 1024

    body = assert_problem(upload(client, auth, data), 422)

    assert any("field larger than field limit" in e["detail"] and e["row"] == 2 for e in body["errors"]), body
    assert row_counts(app)["polls"] == 0
