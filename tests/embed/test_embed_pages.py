"""Embed pages, poll pages, the gallery and the headers that let newsrooms frame (only) the embeds."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from embed_support import KIIS, SERIES, SERIES_TITLE


class Head(HTMLParser):
    """Collects <meta>, <link>, <script> and <noscript> contents of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.scripts: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and ("property" in a or "name" in a):
            self.meta[a.get("property") or a["name"]] = a.get("content", "")
        elif tag == "link":
            self.links.append(a)
        elif tag == "script" and "src" in a:
            self.scripts.append(a["src"])
        self._in_title = tag == "title"

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag):
        self._in_title = False


def parse(body: bytes) -> Head:
    head = Head()
    head.feed(body.decode())
    return head


def test_series_embed_page_has_title_summary_table_noscript_and_no_third_party(real_client):
    response = real_client.get(f"/embed/series/{SERIES}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.data.decode()
    head = parse(response.data)
    assert head.title == SERIES_TITLE
    assert "rose from 10% in Jul 2022 to 38% in May 2025 (Kyiv International Institute of Sociology, 11 polls)" in html
    assert 'role="group"' in html and 'tabindex="0"' in html and 'aria-describedby="chart-summary"' in html
    assert "<table>" in html and "<noscript><img src=\"http://localhost/charts/series/" in html
    assert all(src.startswith("/") for src in head.scripts)  # pollapp's own bundle, no CDN
    assert any(re.fullmatch(r"/embed/assets/vega-[0-9a-f]{16}\.js", src) for src in head.scripts)
    assert "cookie" not in {k.lower() for k in response.headers.keys()} and "Set-Cookie" not in response.headers


def test_embed_page_has_oembed_discovery_and_social_cards(real_client):
    head = parse(real_client.get(f"/embed/series/{SERIES}?lang=uk").data)
    oembed = [link for link in head.links if link.get("type") == "application/json+oembed"]
    assert len(oembed) == 1 and oembed[0]["href"].startswith("http://localhost/oembed?url=")
    assert head.meta["og:image"].startswith(f"http://localhost/charts/series/{SERIES}.png?lang=uk&width=1200&height=630")
    assert head.meta["twitter:card"] == "summary_large_image"
    assert head.meta["twitter:image"] == head.meta["og:image"]
    assert head.meta["og:title"] == SERIES_TITLE and "частка" in head.meta["og:description"]
    image = real_client.get(head.meta["og:image"].removeprefix("http://localhost"))
    assert image.status_code == 200 and image.mimetype == "image/png"


def test_poll_card_embed_page(real_client, peace_poll_id):
    response = real_client.get(f"/embed/polls/{peace_poll_id}?question=trump_peace_closer&answer=peace_closer")
    assert response.status_code == 200
    html = response.data.decode()
    assert "45% — Peace closer (net) (15% Peace significantly closer + 30% Peace slightly closer)" in html
    assert KIIS in html and f"/polls/{peace_poll_id}" in html
    head = parse(response.data)
    assert any(link.get("type") == "application/json+oembed" for link in head.links)
    assert head.meta["og:image"].startswith(f"http://localhost/charts/polls/{peace_poll_id}.png?")


def test_poll_page_has_card_and_full_methodology(real_client, peace_poll_id):
    response = real_client.get(f"/polls/{peace_poll_id}")
    assert response.status_code == 200
    html = response.data.decode()
    for text in ("Full methodology", "Disclosure score", "sample size", "985", "phone_live",
                 "Adults 18+ living in government-controlled territory"):
        assert text in html, text
    assert real_client.get("/polls/999999").status_code == 404


def test_gallery_lists_every_series_with_latest_values_and_embed_panel(real_client):
    series = real_client.get("/api/v1/series?limit=500").get_json()["items"]
    html = real_client.get("/").data.decode()
    assert html.count('class="gallery-item"') == len(series)
    assert html.count("<iframe src=") == len(series)
    assert "&lt;iframe src=&#34;http://localhost/embed/series/" in html  # the copy-paste snippet
    assert "http://localhost/oembed?url=http%3A%2F%2Flocalhost%2Fembed%2Fseries%2F" in html
    assert "<strong>38%</strong>" in html  # the latest value of the concessions series


@pytest.mark.parametrize("path", [f"/embed/series/{SERIES}", f"/charts/series/{SERIES}.svg"])
def test_embeds_and_images_may_be_framed_anywhere(real_client, path):
    response = real_client.get(path)
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize("path", ["/api/v1/series", f"/api/v1/series/{SERIES}/chart.vl.json", "/", "/api/v1/docs"])
def test_api_and_other_pages_may_not_be_framed(real_client, path):
    response = real_client.get(path)
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", [f"/embed/series/{SERIES}", "/", "/methodology"])
def test_pollapp_pages_only_load_from_self(real_client, path):
    policy = real_client.get(path).headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "connect-src 'self'" in policy


def test_embed_page_is_conditional_and_cacheable(real_client):
    first = real_client.get(f"/embed/series/{SERIES}?outcome=ready")
    assert re.fullmatch(r"public, max-age=\d+, stale-while-revalidate=\d+", first.headers["Cache-Control"])
    again = real_client.get(f"/embed/series/{SERIES}?outcome=ready", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    other = real_client.get(f"/embed/series/{SERIES}?outcome=against")
    assert other.headers["ETag"] != first.headers["ETag"]


def test_bundle_is_one_immutable_file(real_client):
    head = parse(real_client.get(f"/embed/series/{SERIES}").data)
    bundle = next(src for src in head.scripts if src.startswith("/embed/assets/"))
    response = real_client.get(bundle)
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert b"vegaEmbed" in response.data and len(response.data) > 500_000
    response.close()
    assert real_client.get("/embed/assets/vega-0000000000000000.js").status_code == 404


def test_unknown_parameters_on_pages_are_refused(real_client):
    response = real_client.get(f"/embed/series/{SERIES}?pollser=kiis")
    assert response.status_code == 422
    assert response.get_json()["errors"] == [{"parameter": "pollser", "detail": "Unknown field."}]
    assert real_client.get("/?x=1").status_code == 422
    assert real_client.get("/embed/series/nothing").status_code == 404
