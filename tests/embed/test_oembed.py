"""oEmbed 1.0 provider (https://oembed.com/, section 2): rich type, iframe html, PNG thumbnail."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from embed_support import SERIES, SERIES_TITLE, png_size

PAGE = f"http://localhost/embed/series/{SERIES}"
REQUIRED = {"version", "type"}
RICH_REQUIRED = {"html", "width", "height"}
OPTIONAL = {"title", "author_name", "author_url", "provider_name", "provider_url", "cache_age",
            "thumbnail_url", "thumbnail_width", "thumbnail_height"}
THUMBNAIL = {"thumbnail_url", "thumbnail_width", "thumbnail_height"}


def check_oembed(body: dict, maxwidth: int | None = None, maxheight: int | None = None) -> None:
    """The oEmbed 1.0 rules a consumer relies on."""
    assert REQUIRED | RICH_REQUIRED <= set(body)
    assert set(body) <= REQUIRED | RICH_REQUIRED | OPTIONAL
    assert body["version"] == "1.0" and body["type"] == "rich"
    assert isinstance(body["width"], int) and isinstance(body["height"], int)
    assert body["html"].startswith("<iframe ") and body["html"].endswith("</iframe>")
    assert f'width="{body["width"]}"' in body["html"] and f'height="{body["height"]}"' in body["html"]
    present = THUMBNAIL & set(body)
    assert present in (set(), THUMBNAIL), "thumbnail_url, _width and _height go together"
    if maxwidth:
        assert body["width"] <= maxwidth and body.get("thumbnail_width", 0) <= maxwidth
    if maxheight:
        assert body["height"] <= maxheight and body.get("thumbnail_height", 0) <= maxheight
    assert isinstance(body.get("cache_age", 0), int)


def oembed(client, url: str, **params):
    query = "&".join([f"url={quote(url, safe='')}", *(f"{k}={v}" for k, v in params.items())])
    return client.get(f"/oembed?{query}")


def test_series_oembed_is_a_valid_rich_answer(real_client):
    response = oembed(real_client, PAGE, format="json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    check_oembed(body)
    assert body["title"] == SERIES_TITLE and body["provider_name"] == "pollapp"
    assert f'src="http://localhost/embed/series/{SERIES}?height=' in body["html"]
    thumbnail = real_client.get(body["thumbnail_url"].removeprefix("http://localhost"))
    assert png_size(thumbnail.data) == (body["thumbnail_width"], body["thumbnail_height"])


def test_maxwidth_and_maxheight_are_respected(real_client):
    body = oembed(real_client, PAGE + "?outcome=ready&lang=uk", maxwidth=400, maxheight=300).get_json()
    check_oembed(body, 400, 300)
    assert "outcome=ready" in body["html"] and "lang=uk" in body["thumbnail_url"]
    tiny = oembed(real_client, PAGE, maxwidth=100, maxheight=100).get_json()
    check_oembed(tiny, 100, 100)  # too small for a thumbnail: none is offered


def test_poll_card_oembed(real_client, peace_poll_id):
    url = f"http://localhost/embed/polls/{peace_poll_id}?question=trump_peace_closer&answer=peace_closer"
    body = oembed(real_client, url).get_json()
    check_oembed(body)
    assert body["title"].startswith("In your opinion, is the election of Donald Trump")
    assert f"/charts/polls/{peace_poll_id}.png?" in body["thumbnail_url"]


@pytest.mark.parametrize("url", [
    "http://localhost/embed/series/nothing",
    "http://elsewhere.example/embed/series/" + SERIES,
    "http://localhost/api/v1/series",
    f"http://localhost/embed/series/{SERIES}?theme=sepia",
    "http://localhost/embed/polls/999999",
    "not a url",
])
def test_unknown_urls_are_404(real_client, url):
    assert oembed(real_client, url).status_code == 404


def test_xml_format_is_501(real_client):
    assert oembed(real_client, PAGE, format="xml").status_code == 501


def test_missing_url_is_refused(real_client):
    assert real_client.get("/oembed").status_code == 422
