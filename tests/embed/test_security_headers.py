"""Security headers (pollapp.web.headers) on every kind of response: JSON, CSV, HTML pages, SVG
charts, JavaScript, errors (404, 405, 422) and 304s. Runs against the real-data app of this folder
so that the pages and charts are real ones."""

from __future__ import annotations

import pytest

from embed_support import SERIES
from pollapp.web.headers import DOCS_POLICY

HTML_PAGES = ["/methodology", f"/embed/series/{SERIES}", "/api/v1/docs"]


def requests(real_client, peace_poll_id):
    yield "json", real_client.get("/api/v1/pollsters"), 200
    yield "csv", real_client.get(f"/api/v1/series/{SERIES}/data.csv"), 200
    yield "svg", real_client.get(f"/charts/series/{SERIES}.svg"), 200
    yield "oembed", real_client.get(f"/oembed?url=http://localhost/embed/series/{SERIES}"), 200
    for url in HTML_PAGES + [f"/polls/{peace_poll_id}"]:
        yield url, real_client.get(url), 200
    yield "health", real_client.get("/healthz"), 200
    yield "404", real_client.get("/api/v1/nothing-here"), 404
    yield "404 page", real_client.get("/embed/series/no-such-series"), 404
    yield "405", real_client.delete("/api/v1/openapi.json"), 405
    yield "422", real_client.get("/api/v1/polls?limit=0"), 422
    etag = real_client.get("/api/v1/pollsters").headers["ETag"]
    yield "304", real_client.get("/api/v1/pollsters", headers={"If-None-Match": etag}), 304
    chart = real_client.get(f"/charts/series/{SERIES}.svg")
    yield "304 chart", real_client.get(f"/charts/series/{SERIES}.svg", headers={"If-None-Match": chart.headers["ETag"]}), 304


def test_every_response_carries_the_security_headers(real_client, peace_poll_id):
    seen = 0
    for name, response, status in requests(real_client, peace_poll_id):
        assert response.status_code == status, (name, response.get_data(as_text=True)[:300])
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", name
        assert "Strict-Transport-Security" not in response.headers, name  # plain HTTP here
        assert "Content-Security-Policy" in response.headers, name
        if response.mimetype == "text/html":
            policy = response.headers["Content-Security-Policy"]
            assert "default-src 'none'" in policy and "frame-ancestors" in policy, name
        response.close()
        seen += 1
    assert seen == 15


def test_the_docs_page_gets_a_policy_that_lets_redoc_run_and_nothing_else(real_client):
    policy = real_client.get("/api/v1/docs").headers["Content-Security-Policy"]
    assert policy == DOCS_POLICY
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy and "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("url", ["/api/v1/pollsters", f"/embed/series/{SERIES}", "/nothing-here"])
def test_hsts_only_over_https(real_client, url):
    secure = real_client.get(url, base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in real_client.get(url).headers
