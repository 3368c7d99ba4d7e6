"""``/api/v1/polls/datapackage.json``: the Frictionless descriptor of ``polls.csv`` (issue 4's promise
for every download), and the poll list's data version that both carry. SYNTHETIC polls only."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from factories import assert_problem, create_poll, create_pollster, if_match
from pollapp.services.poll_layout import NAMES

URL = "/api/v1/polls/datapackage.json"
VERSION = "Pollapp-Data-Version"


@pytest.fixture
def polls(client, auth, poll):
    """The KIIS-like poll (six answers) and a second pollster's poll with gaps in its methodology."""
    create_pollster(client, auth, "rating", name="Synthetic Rating Group", country="UA")
    second = create_poll(client, auth, pollster="rating", field_start_date="2025-01-10", field_end_date="2025-01-15",
                         publication_date=None, sample_size=None, design_effect=None, margin_of_error=3.1,
                         population="registered_voters", source_url="https://example.org/rating")
    return {"first": poll, "second": second}


def header_and_rows(response) -> tuple[list[str], list[dict[str, str]]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    reader = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    return list(reader.fieldnames or []), list(reader)


def fetch(client, url: str, **kwargs):
    """A GET whose streamed body is read to the end (an unread stream is closed only when collected)."""
    response = client.get(url, **kwargs)
    response.get_data()
    return response


def local(path: str) -> str:
    return path.removeprefix("http://localhost")


def test_the_descriptor_describes_every_column_of_polls_csv(client, polls):
    response = client.get(URL)
    download = fetch(client, "/api/v1/polls.csv")

    assert response.status_code == 200 and response.mimetype == "application/json"
    package = response.get_json()
    resource, codebook = package["resources"]
    assert codebook["name"] == "data-dictionary" and codebook["data"]  # the data dictionary travels with the data
    assert resource["path"] == "http://localhost/api/v1/polls.csv" and resource["format"] == "csv"
    header, rows = header_and_rows(download)
    fields = resource["schema"]["fields"]
    assert [f["name"] for f in fields] == header == list(NAMES)
    assert all(f["type"] in {"integer", "number", "string", "date", "boolean"} and f["description"] for f in fields)
    by_name = {f["name"]: f for f in fields}
    assert (by_name["pct"]["unit"], by_name["pct"]["constraints"]) == ("percent", {"minimum": 0, "maximum": 100, "required": True})
    assert by_name["population"]["constraints"]["enum"] == ["adults", "registered_voters", "likely_voters", "other"]
    assert by_name["field_end_date"]["type"] == "date" and by_name["source_url"]["format"] == "uri"
    assert "required" not in by_name["publication_date"].get("constraints", {})  # empty for the second poll
    assert resource["schema"]["primaryKey"] == ["poll_key", "question_code", "answer_code"]
    keys = [(r["poll_key"], r["question_code"], r["answer_code"]) for r in rows]
    assert len(keys) == len(set(keys)) == 12
    assert "licenses" not in package and "Synthetic Rating Group" in package["rights"]  # no licence invented
    assert {(s["title"], s.get("path")) for s in package["sources"]} == {
        ("Kyiv International Institute of Sociology", "https://example.org/poll"),
        ("Synthetic Rating Group", "https://example.org/rating"),
    }
    dt.datetime.fromisoformat(package["created"])
    # the version cited is the one the CSV carries, and caching is that of the download
    assert package["version"] == response.headers[VERSION] == download.headers[VERSION]
    assert package["version"] in package["citation"]
    assert response.headers["Cache-Control"] == download.headers["Cache-Control"]
    assert response.headers["ETag"]


def test_the_resource_path_is_polls_csv_with_the_same_filters(client, polls):
    query = "pollster=rating&population=registered_voters&field_date_from=2025-01-01&sort=field_end_date"
    package = client.get(f"{URL}?{query}").get_json()

    resource = package["resources"][0]
    assert resource["path"] == f"http://localhost/api/v1/polls.csv?{query}"
    header, rows = header_and_rows(client.get(local(resource["path"])))
    assert [f["name"] for f in resource["schema"]["fields"]] == header
    assert {r["pollster"] for r in rows} == {"rating"} and len(rows) == 6
    assert [s["title"] for s in package["sources"]] == ["Synthetic Rating Group"]  # the pollsters of these rows
    assert package["version"] == client.get(URL).get_json()["version"]  # of the database, not of the filters
    # the same file has the same path however the arguments were spelt (order, defaults)
    spelt = client.get(f"{URL}?sort=field_end_date&field_date_from=2025-01-01&population=registered_voters"
                       "&pollster=rating").get_json()["resources"][0]["path"]
    assert spelt == resource["path"]
    assert client.get(f"{URL}?sort=-field_end_date").get_json()["resources"][0]["path"].endswith("/polls.csv")
    named = client.get(f"{URL}?series=peace-closer&q=peace talks").get_json()["resources"][0]
    assert named["path"].endswith("/polls.csv?series=peace-closer&q=peace%20talks") and named["name"] == "pollapp-polls-peace-closer"


@pytest.mark.parametrize("query", ["bogus=1", "limit=5", "cursor=abc", "sort=size", "population=martians",
                                   "field_date_from=2025-02-01&field_date_to=2025-01-01"])
def test_the_descriptor_refuses_what_the_download_refuses(client, polls, query):
    problem = assert_problem(client.get(f"{URL}?{query}"), 422)
    assert problem["errors"]


def test_frictionless_validates_the_served_package_against_the_served_csv(app, polls):
    """What a researcher runs: ``frictionless validate .../polls/datapackage.json`` fetches the
    descriptor and the CSV at the URL it names, and checks types, constraints, missing cells and the
    primary key of every row (the second poll leaves cells empty)."""
    import frictionless
    from live_pollapp import served_in_thread

    with served_in_thread(app, threaded=False) as url:
        report = frictionless.validate(f"{url}{URL}?sort=field_end_date")

    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]
    table, codebook = report.tasks
    assert table.stats["rows"] == 12 and codebook.stats["rows"] > 100


def test_the_data_version_and_the_download_etag_move_with_the_data(client, auth, polls):
    first = fetch(client, "/api/v1/polls.csv?pollster=kiis")
    version, etag = first.headers[VERSION], first.headers["ETag"]
    assert fetch(client, "/api/v1/polls.csv?pollster=kiis").headers["ETag"] == etag  # stable while nothing changes
    unchanged = fetch(client, "/api/v1/polls.csv?pollster=kiis", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == etag and unchanged.headers[VERSION] == version
    json_download = fetch(client, "/api/v1/polls.json?pollster=kiis")
    assert json_download.headers[VERSION] == version and json_download.headers["ETag"] != etag
    assert fetch(client, "/api/v1/polls.csv?pollster=rating").headers["ETag"] != etag  # another file

    poll = polls["first"]
    headers = if_match(client, f"/api/v1/polls/{poll['id']}", auth)
    assert client.patch(f"/api/v1/polls/{poll['id']}", json={"sample_size": 1000}, headers=headers).status_code == 200

    after = fetch(client, "/api/v1/polls.csv?pollster=kiis", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert after.headers[VERSION] != version and after.headers[VERSION] == client.get(URL).get_json()["version"]
    assert {r["sample_size"] for r in header_and_rows(after)[1]} == {"1000"}


def test_the_descriptor_is_documented_with_its_errors(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/polls/datapackage.json"]["get"]
    assert {"200", "400", "422"} <= set(operation["responses"])
    assert "application/json" in operation["responses"]["200"]["content"]
    parameters = {p["name"] for p in operation["parameters"]}
    assert {"pollster", "series", "q", "sort", "field_date_from"} <= parameters
    assert not {"cursor", "limit"} & parameters
