"""CORS (pollapp.web.cors): public reads open to any origin, writes to none."""

from __future__ import annotations

ORIGIN = {"Origin": "https://news.example"}


def cors_headers(response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}


def test_public_reads_allow_any_origin_and_expose_the_useful_headers(client, pollster):
    for url in ("/api/v1/pollsters", "/api/v1/pollsters/kiis", "/api/v1/polls.csv", "/charts/series/none.svg",
                "/oembed?url=http://localhost/embed/series/none"):
        response = client.get(url, headers=ORIGIN)
        assert response.headers["Access-Control-Allow-Origin"] == "*", url
        assert "Access-Control-Allow-Credentials" not in response.headers
    exposed = {h.strip().lower() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "link", "pollapp-data-version", "retry-after", "x-ratelimit-remaining"} <= exposed


def test_a_read_preflight_is_allowed(client):
    response = client.options("/api/v1/polls", headers={**ORIGIN, "Access-Control-Request-Method": "GET",
                                                        "Access-Control-Request-Headers": "If-None-Match"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "POST" not in response.headers["Access-Control-Allow-Methods"]


def test_writes_are_not_cors_enabled(client, auth):
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        preflight = client.options("/api/v1/pollsters/kiis", headers={
            **ORIGIN, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": "Authorization, Content-Type"})
        assert cors_headers(preflight) == {}, method
    write = client.post("/api/v1/pollsters", json={"slug": "kiis", "name": "KIIS", "country": "UA"}, headers={**ORIGIN, **auth})
    assert write.status_code == 201 and cors_headers(write) == {}


def test_pages_and_health_are_not_cors_resources(client):
    for url in ("/embed/series/none", "/healthz", "/methodology"):
        assert "Access-Control-Allow-Origin" not in client.get(url, headers=ORIGIN).headers, url
