"""The auth matrix, read from the served OpenAPI description: every write operation (POST, PUT,
PATCH, DELETE) declares the scope it needs (``x-required-scope`` and its security requirement), and
answers 401 without a key, 403 with a key one scope too low, and succeeds with a key of exactly
that scope. The operations come from the spec, so a new endpoint cannot slip through: one without
a declared scope fails here, and one this test has no request for still gets the 401/403 checks."""

from __future__ import annotations

import io
import re
from typing import Any

from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from factories import create_pollster, create_sponsor, if_match, make_key, poll_doc, row_counts
from import_files import csv_bytes, poll_rows

WRITES = ("post", "put", "patch", "delete")
LOWER = {"write": "read", "admin": "write"}
# Deletes run last, members before the series, polls before their pollster.
ORDER = ["/series/{slug}/members/{question_id}", "/polls/{poll_id}", "/series/{slug}", "/sponsors/{slug}", "/pollsters/{slug}"]


def write_operations(client) -> list[tuple[str, str, dict[str, Any]]]:
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in WRITES
    ]

    def rank(op: tuple[str, str, dict[str, Any]]) -> tuple[int, int]:
        method, path, _ = op
        if method != "DELETE":
            return (0, 0)
        tail = path.removeprefix("/api/v1")
        return (1, ORDER.index(tail) if tail in ORDER else len(ORDER))

    return sorted(operations, key=rank)


def world(client, auth) -> dict[str, Any]:
    """One of everything, so that each write with the right key can succeed."""
    create_pollster(client, auth, "kiis")
    create_pollster(client, auth, "spare")  # deleted by DELETE /pollsters (kiis has polls: 409)
    create_sponsor(client, auth, "gazette")
    poll = client.post("/api/v1/polls", json=poll_doc(), headers=auth).get_json()
    series = {"slug": "peace", "title": "Synthetic", "outcomes": [{"code": "closer", "label": "Closer"}]}
    assert client.post("/api/v1/series", json=series, headers=auth).status_code == 201
    question_id = poll["questions"][0]["id"]
    member = {"question_id": question_id, "outcomes": {"closer": ["closer"]}}
    assert client.post("/api/v1/series/peace/members", json=member, headers=auth).status_code == 200
    return {"poll_id": poll["id"], "question_id": question_id}


def request_for(method: str, path: str, ids: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The URL and the body (``json=`` or multipart ``data=``) of a write that should succeed."""
    tail = path.removeprefix("/api/v1")
    resource = tail.split("/")[1]
    slug = {"pollsters": "spare" if method == "DELETE" else "kiis", "sponsors": "gazette", "series": "peace"}.get(resource, "x")
    url = re.sub(r"\{(\w+)\}", lambda m: str(slug if m.group(1) == "slug" else ids.get(m.group(1), 1)), path)
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/pollsters"): {"slug": "new-pollster", "name": "Synthetic"},
        ("PUT", "/pollsters/{slug}"): {"slug": "kiis", "name": "Synthetic (replaced)"},
        ("PATCH", "/pollsters/{slug}"): {"notes": "Synthetic note."},
        ("POST", "/sponsors"): {"slug": "new-sponsor", "name": "Synthetic"},
        ("PUT", "/sponsors/{slug}"): {"slug": "gazette", "name": "Synthetic (replaced)"},
        ("PATCH", "/sponsors/{slug}"): {"notes": "Synthetic note."},
        ("POST", "/polls"): poll_doc(source="synthetic", source_id="matrix"),
        ("PUT", "/polls/{poll_id}"): poll_doc(notes="Synthetic (replaced)."),
        ("PATCH", "/polls/{poll_id}"): {"notes": "Synthetic note."},
        ("POST", "/series"): {"slug": "new-series", "title": "Synthetic", "outcomes": [{"code": "a", "label": "A"}]},
        ("PATCH", "/series/{slug}"): {"title": "Synthetic (renamed)"},
        ("POST", "/series/{slug}/members"): {"question_id": ids["question_id"], "outcomes": {"closer": ["slightly_closer"]}},
    }
    if (method, tail) == ("POST", "/imports"):
        rows = poll_rows(1, pollster="kiis")
        for row in rows:
            row["series"] = row["outcome"] = ""
        boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(csv_bytes(rows)), filename="polls.csv")})
        return url, {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}
    if method == "DELETE":
        return url, {}
    return url, {"json": bodies.get((method, tail), {})}


def test_every_write_operation_declares_its_scope(client):
    operations = write_operations(client)
    assert len(operations) >= 18
    for method, path, operation in operations:
        scope = operation.get("x-required-scope")
        assert scope in ("write", "admin"), (method, path)
        assert operation["security"] == [{"bearerAuth": [scope]}], (method, path)
        assert {"401", "403"} <= set(operation["responses"]), (method, path)
        if method == "DELETE" and not path.endswith("/members/{question_id}"):
            assert scope == "admin", (method, path)
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        if method == "POST":
            assert headers["Idempotency-Key"]["required"] is False, path
        else:
            assert headers["If-Match"]["required"] is True, (method, path)
            assert {"412", "428"} <= set(operation["responses"]), (method, path)


def test_header_parameters_keep_the_query_parameters(client):
    """The documented headers are added to, not instead of, the arguments' parameters."""
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, method in (("/api/v1/polls", "post"), ("/api/v1/polls/{poll_id}", "patch"), ("/api/v1/polls/{poll_id}", "delete")):
        names = {(p["in"], p["name"]) for p in spec["paths"][path][method]["parameters"]}
        assert ("query", "reason") in names, (path, method)


def test_every_write_is_401_without_a_key_403_below_its_scope_and_succeeds_with_it(client, app, auth):
    ids = world(client, auth)
    tokens = {scope: make_key(app, scope, f"matrix-{scope}") for scope in ("read", "write", "admin")}
    outcomes = []
    for method, path, operation in write_operations(client):
        scope = operation["x-required-scope"]
        url, body = request_for(method, path, ids)
        before = row_counts(app)

        anonymous = client.open(url, method=method, **body)
        too_low = client.open(url, method=method, headers={"Authorization": f"Bearer {tokens[LOWER[scope]]}"}, **body)
        assert row_counts(app) == before, (method, path, "a refused write wrote something")

        right = {"Authorization": f"Bearer {tokens[scope]}"}
        if method in ("PUT", "PATCH", "DELETE"):
            right = if_match(client, url, right)
        allowed = client.open(url, method=method, headers=right, **body)
        outcomes.append((method, path, anonymous.status_code, too_low.status_code, allowed.status_code))

    expected = [(m, p, 401, 403, 204 if m == "DELETE" else 201 if m == "POST" and not p.endswith("/members") else 200)
                for m, p, *_ in outcomes]
    assert outcomes == expected
