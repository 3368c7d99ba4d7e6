"""The OpenAPI 3.1 document at /api/v1/openapi.json is valid, complete (every API route), documents
errors as problem+json and writes as bearer-protected; the docs page uses only our own assets."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

PREFIX = "/api/v1"
DOC_ROUTES = {f"{PREFIX}/openapi.json", f"{PREFIX}/docs"}
WRITE_METHODS = {"post", "put", "patch", "delete"}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def spec(client) -> dict:
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def resolve(spec: dict, obj: dict) -> dict:
    while "$ref" in obj:
        node = spec
        for part in obj["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        obj = node
    return obj


def test_the_document_is_valid_openapi_3_1(spec):
    assert re.fullmatch(r"3\.1\.\d+", spec["openapi"])
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in OpenAPIV31SpecValidator(spec).iter_errors()]
    assert errors == []
    assert spec["info"]["title"] and spec["info"]["version"]


def test_every_api_route_is_documented_with_its_methods(app, spec):
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIX + "/") and rule.rule not in DOC_ROUTES]
    assert len(routes) >= 11
    for rule in routes:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in spec["paths"], path
        documented = {m for m in spec["paths"][path] if m in METHODS}
        served = {m.lower() for m in rule.methods} & METHODS
        assert served == documented, (path, served, documented)


def test_no_documented_path_is_missing_from_the_app(app, spec):
    served = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule) for rule in app.url_map.iter_rules()}
    assert set(spec["paths"]) <= served


def test_path_parameters_are_declared(spec):
    for path, method, operation in operations(spec):
        declared = {p["name"] for p in spec["paths"][path].get("parameters", []) + operation.get("parameters", []) if p["in"] == "path"}
        assert set(re.findall(r"{(\w+)}", path)) == declared, (path, method)


def test_error_responses_are_problem_json(spec):
    checked = 0
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            if status == "default" or int(status) >= 400:
                content = resolve(spec, response).get("content", {})
                assert set(content) == {"application/problem+json"}, (path, method, status)
                schema = resolve(spec, content["application/problem+json"]["schema"])
                assert {"type", "title", "status", "detail", "errors"} <= set(schema["properties"])
                checked += 1
    assert checked > 30


def test_list_and_write_operations_document_their_errors(spec):
    polls = spec["paths"][f"{PREFIX}/polls"]
    assert "422" in polls["get"]["responses"] and "400" in polls["get"]["responses"]
    assert {"401", "403", "422"} <= set(polls["post"]["responses"])
    item = spec["paths"][f"{PREFIX}/polls/{{poll_id}}"]
    assert {"404", "412"} <= set(item["put"]["responses"]) and {"404"} <= set(item["get"]["responses"])


def test_write_operations_declare_bearer_auth_and_reads_do_not(spec):
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    writes = 0
    for path, method, operation in operations(spec):
        if method in WRITE_METHODS:
            assert operation.get("security") == [{"bearerAuth": [operation["x-required-scope"]]}], (path, method)
            assert {"401", "403"} <= set(operation["responses"]), (path, method)
            writes += 1
        else:
            assert not operation.get("security"), (path, method)
    assert writes >= 17
    assert not spec.get("security"), "reads are public: no global security requirement"


def test_request_bodies_are_documented_strict(spec):
    poll_in = resolve(spec, spec["paths"][f"{PREFIX}/polls"]["post"]["requestBody"]["content"]["application/json"]["schema"])
    assert {"pollster", "field_start_date", "field_end_date", "country", "population", "questions"} <= set(poll_in["required"])
    assert "sample_size" in poll_in["properties"]


def test_query_parameters_are_documented(spec):
    params = {p["name"] for p in spec["paths"][f"{PREFIX}/polls"]["get"]["parameters"] if p["in"] == "query"}
    assert {"limit", "cursor", "pollster", "sponsor", "country", "population", "mode", "field_date_from",
            "field_date_to", "series", "tag", "q", "sort"} <= params  # fmt: skip


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "spec-url") and value:
                self.urls.append((tag, value))


def test_the_docs_page_uses_only_our_own_static_assets(client):
    response = client.get(f"{PREFIX}/docs")

    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    parser = _Assets()
    parser.feed(html)
    scripts = [url for tag, url in parser.urls if tag == "script"]
    assert scripts == ["/static/vendor/redoc/redoc.standalone.js"]
    for _tag, url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), f"third-party or relative asset {url}"
    assert not re.search(r"https?://", html.split("<body", 1)[-1].replace("http://www.w3.org", "")), "no third-party host"
    assert ("redoc", f"{PREFIX}/openapi.json") in parser.urls

    script = client.get(scripts[0])
    assert script.status_code == 200
    assert script.mimetype in ("text/javascript", "application/javascript")
    assert len(script.get_data()) > 100_000
    script.close()


def test_every_api_operation_documents_429_with_retry_after_and_health_is_documented(spec):
    checked = 0
    for path, method, operation in operations(spec):
        if not path.startswith(PREFIX + "/"):
            assert "429" not in operation["responses"], (path, method)  # /healthz, /readyz: never limited
            continue
        too_many = resolve(spec, operation["responses"]["429"])
        assert set(too_many["content"]) == {"application/problem+json"}, (path, method)
        assert "Retry-After" in too_many["headers"]
        checked += 1
    assert checked >= 30
    assert "get" in spec["paths"]["/healthz"]
    assert {"200", "503"} <= set(spec["paths"]["/readyz"]["get"]["responses"])


def test_every_api_operation_documents_the_problems_the_shared_handlers_answer(spec):
    """503 (database outage) on every API operation, 400 on every JSON body (it may not parse) and
    400/409/422 on every POST (Idempotency-Key): these come from shared handlers, not from the views."""
    checked = 0
    for path, method, operation in operations(spec):
        if not path.startswith(PREFIX + "/"):
            continue
        responses = operation["responses"]
        unavailable = resolve(spec, responses["503"])
        assert set(unavailable["content"]) == {"application/problem+json"}, (path, method)
        assert "Retry-After" in unavailable["headers"], (path, method)
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            assert "400" in responses, (path, method)
        if method == "post":
            assert {"400", "409", "422"} <= set(responses), (path, method)
        checked += 1
    assert checked >= 40
