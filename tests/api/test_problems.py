"""Every API error is an RFC 9457 ``application/problem+json`` document, never an HTML page, and a
server error shows no traceback."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from factories import PROBLEM, assert_problem, error_parameters, error_pointers
from pollapp.services import organisations, polls


def assert_no_html(response) -> None:
    text = response.get_data(as_text=True).lower()
    assert "<html" not in text and "<!doctype" not in text and "<title>" not in text
    assert response.mimetype == PROBLEM


def test_unknown_urls_under_api_are_404_problems(client):
    for url in ["/api/v1/nothing", "/api/v1/polls/12/nothing", "/api/v2/polls", "/api", "/api/", "/api/v1", "/api/v1/",
                "/api/v1/polls/", "/api/v1/polls/abc", "/api/v1/polls/-1", "/api/v1/pollsters/kiis/"]:  # fmt: skip
        for method in ("GET", "POST", "DELETE"):
            response = client.open(url, method=method)

            body = assert_problem(response, 404)
            assert_no_html(response)
            assert body["title"] == "Not Found"
            assert body["type"] == "about:blank"  # RFC 9457: a plain HTTP status problem
            assert body["instance"] == url
            assert body["detail"]


def test_unknown_resources_are_404_problems_naming_them(client):
    for url, name in [
        ("/api/v1/polls/424242", "424242"),
        ("/api/v1/pollsters/nobody", "nobody"),
        ("/api/v1/sponsors/nobody", "nobody"),
        ("/api/v1/series/nothing", "nothing"),
    ]:
        body = assert_problem(client.get(url), 404)
        assert name in body["detail"]


def test_405_is_a_problem_with_allow(client, auth):
    for method, url, allowed in [
        ("DELETE", "/api/v1/polls", {"GET", "POST"}),
        ("PUT", "/api/v1/polls", {"GET", "POST"}),
        ("POST", "/api/v1/polls/1", {"GET", "PUT", "PATCH", "DELETE"}),
        ("PUT", "/api/v1/series/peace", {"GET", "PATCH", "DELETE"}),
        ("GET", "/api/v1/series/peace/members/1", {"DELETE"}),
        ("POST", "/api/v1/series/peace/points", {"GET"}),
        ("POST", "/api/v1/openapi.json", {"GET"}),
    ]:
        response = client.open(url, method=method, headers=auth)

        body = assert_problem(response, 405)
        assert_no_html(response)
        assert body["title"] == "Method Not Allowed"
        assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}, (method, url)


def test_out_of_range_ids_and_nul_characters_are_problems_not_500(client, auth, pollster):
    """Values no database column can hold are refused up front, on SQLite as on PostgreSQL."""
    huge = 2**31
    for method, url, status in [
        ("GET", f"/api/v1/polls/{huge}", 404),
        ("PUT", f"/api/v1/polls/{huge}", 404),
        ("DELETE", f"/api/v1/polls/{10**30}", 404),
        ("DELETE", f"/api/v1/series/peace/members/{huge}", 404),
        ("GET", "/api/v1/pollsters/ki%00is", 404),
        ("DELETE", "/api/v1/sponsors/%00", 404),
        ("GET", "/api/v1/polls?q=peace%00", 400),
        ("GET", "/api/v1/pollsters?country=U%00", 400),
        ("GET", "/api/v1/series?tag=war%00", 400),
    ]:
        response = client.open(url, method=method, headers=auth, json=None)
        body = assert_problem(response, status)
        if status == 400:
            assert error_parameters(body) and "NUL" in body["errors"][0]["detail"], url
    assert client.get(f"/api/v1/polls/{2**31 - 1}").status_code == 404, "the largest id is still a valid URL"


def test_malformed_json_is_a_400_problem(client, auth):
    response = client.post("/api/v1/pollsters", data='{"slug": "kiis",', headers={**auth, "Content-Type": "application/json"})
    assert_problem(response, 400)
    assert_no_html(response)


def test_a_body_that_is_not_json_is_a_problem(client, auth):
    response = client.post("/api/v1/pollsters", data="slug=kiis&name=KIIS", headers={**auth, "Content-Type": "application/x-www-form-urlencoded"})
    assert 400 <= response.status_code < 500
    assert_no_html(response)
    assert client.get("/api/v1/pollsters/kiis").status_code == 404


def test_validation_problems_list_each_field(client, auth):
    body = assert_problem(client.post("/api/v1/pollsters", json={"slug": "BAD SLUG", "country": 5}, headers=auth), 422)
    assert error_pointers(body) == {"/slug", "/name", "/country"}
    assert all(set(e) == {"pointer", "detail"} for e in body["errors"])
    assert body["detail"]


def test_a_too_large_body_is_a_413_problem(client, app, auth):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/api/v1/pollsters", json={"slug": "kiis", "name": "x" * 5000}, headers=auth)
    assert_problem(response, 413)
    assert_no_html(response)


def test_a_forced_internal_error_is_a_500_problem_without_traceback(client, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals: SELECT api_keys.key_hash FROM api_keys at /work/main/pollapp")

    monkeypatch.setattr(organisations, "list_page", explode)

    response = client.get("/api/v1/pollsters")

    body = assert_problem(response, 500)
    assert_no_html(response)
    text = response.get_data(as_text=True)
    for leak in ("Traceback", "RuntimeError", "secret", "SELECT", "api_keys", "/work/", 'File "', "line "):
        assert leak not in text, leak
    assert body["title"] == "Internal Server Error"
    assert response.headers["Cache-Control"] == "no-store"


def test_an_unreachable_database_is_a_503_problem_with_retry_after(client, auth, pollster, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused to 10.0.0.5"))

    monkeypatch.setattr(polls, "create_poll", down)

    response = client.post("/api/v1/polls", json={**_minimal_poll()}, headers=auth)

    assert_problem(response, 503)
    assert response.headers["Retry-After"].isdigit()
    assert "10.0.0.5" not in response.get_data(as_text=True)


def test_a_database_constraint_caught_late_is_a_409_problem(client, auth, pollster, monkeypatch):
    def conflict(*args, **kwargs):
        raise IntegrityError("INSERT INTO polls", {}, Exception("duplicate key value violates unique constraint"))

    monkeypatch.setattr(polls, "create_poll", conflict)

    response = client.post("/api/v1/polls", json=_minimal_poll(), headers=auth)

    assert_problem(response, 409)
    assert "INSERT" not in response.get_data(as_text=True)


def test_problem_types_name_the_kind_of_problem(client, auth):
    plain = [
        assert_problem(client.get("/api/v1/nothing"), 404),
        assert_problem(client.delete("/api/v1/polls", headers=auth), 405),
        assert_problem(client.post("/api/v1/polls", json={}), 401),
    ]
    assert {body["type"] for body in plain} == {"about:blank"}
    cursor = assert_problem(client.get("/api/v1/polls?cursor=garbage"), 400)
    assert cursor["type"] == "urn:pollapp:problem:invalid-parameter"
    assert cursor["title"] == "Invalid parameter"


def _minimal_poll() -> dict:
    return {
        "pollster": "kiis",
        "field_start_date": "2024-01-01",
        "field_end_date": "2024-01-02",
        "country": "UA",
        "population": "adults",
        "questions": [
            {
                "code": "q",
                "wording": "Synthetic?",
                "language": "en",
                "answers": [{"code": "yes", "label": "Yes", "pct": 50}, {"code": "no", "label": "No", "pct": 50}],
            }
        ],
    }
