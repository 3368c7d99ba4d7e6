"""Unknown query parameters are refused, not ignored (issue 2), by every operation of the API: the
operations come from the served OpenAPI description, so a new endpoint that forgets its query schema
fails here. Each request is one that would otherwise be accepted (the auth matrix's world and bodies,
the right key, a fresh If-Match, an Idempotency-Key on POSTs) plus ``bogus=1``: it gets the same 422
problem as the list endpoints, naming the parameter, and nothing is written.

``/healthz`` and ``/readyz`` are the only operations outside ``/api/v1`` and are exempt on purpose: a
load balancer's probe that adds a cache-busting parameter must not take the instance out of rotation.

The newsroom pages (gallery, poll pages, methodology, data dictionary, embeds, chart images, oEmbed)
take options in the query string too and refuse unknown ones the same way; every route of the app
that is not an API operation is checked, so a new page is covered. Only files are exempt: the
content-hashed script bundle, Flask's static files and the OpenAPI document and its viewer (a
cache-busting parameter on a file changes nothing)."""

from __future__ import annotations

import re

from factories import if_match, make_key, row_counts
from test_auth_matrix import WRITES, request_for, world

UNKNOWN = {"parameter": "bogus", "detail": "Unknown field."}
PROBES = {"/healthz", "/readyz"}
FILES = {"/static/<path:filename>", "/embed/assets/<filename>", "/api/v1/openapi.json", "/api/v1/docs"}


def operations(client) -> list[tuple[str, str, bool]]:
    """(method, path, whether it documents query parameters) of every operation of the spec."""
    spec = client.get("/api/v1/openapi.json").get_json()
    return [
        (method.upper(), path, any(p["in"] == "query" for p in operation.get("parameters", [])))
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in ("get", *WRITES)
    ]


def test_every_operation_refuses_an_unknown_query_parameter_and_writes_nothing(client, app, auth):
    ids = world(client, auth)
    admin = {"Authorization": f"Bearer {make_key(app, 'admin', 'unknown-parameters')}"}
    all_operations = operations(client)
    assert {path for _, path, _ in all_operations if not path.startswith("/api/v1/")} == PROBES
    api = [op for op in all_operations if op[1].startswith("/api/v1/")]
    assert len(api) >= 45

    refused = []
    for method, path, has_query in api:
        url, body = request_for(method, path, ids)
        headers = dict(admin)
        if method == "GET":
            body = {}
            if not has_query:  # a cached response must not answer the same path with a parameter added
                assert client.get(url).status_code == 200, (method, path)
        elif method == "POST":
            headers["Idempotency-Key"] = f"unknown-parameters {path}"
        else:
            headers = if_match(client, url, headers)
        before = row_counts(app)
        response = client.open(f"{url}?bogus=1", method=method, headers=headers, **body)
        problem = response.get_json() or {}
        assert response.status_code == 422, (method, path, response.status_code, problem)
        assert response.mimetype == "application/problem+json", (method, path)
        assert UNKNOWN in problem["errors"], (method, path, problem)
        assert row_counts(app) == before, (method, path, "a refused request wrote something")
        refused.append((method, path, has_query))
    assert refused == api


def test_every_page_refuses_an_unknown_query_parameter(client, app, auth):
    ids = world(client, auth)
    documented = {re.sub(r"\{(\w+)\}", r"\1", path) for _, path, _ in operations(client)}
    pages = [
        rule.rule for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and re.sub(r"<(?:\w+:)?(\w+)>", r"\1", rule.rule) not in documented
    ]
    assert {"/", "/polls/<int:poll_id>", "/oembed", "/docs/data"} <= set(pages) and FILES <= set(pages)

    refused = []
    for rule in sorted(set(pages) - FILES):
        url = rule.replace("<slug>", "peace").replace("<int:poll_id>", str(ids["poll_id"]))
        url = re.sub(r"<any\([^)]*\):fmt>", "svg", url)
        response = client.get(f"{url}?bogus=1")
        assert response.status_code == 422, (rule, response.status_code)
        assert response.mimetype == "application/problem+json", rule
        assert UNKNOWN in response.get_json()["errors"], rule
        refused.append(rule)
    assert len(refused) >= 10
