"""Static renderings by vl-convert (no browser on the server): valid SVG, PNG and PDF whose text
includes the chart's title and source line; options change the picture; conditional GETs."""

from __future__ import annotations

import pytest

from embed_support import KIIS, SERIES, SERIES_TITLE, png_size, svg_text

IMAGE = f"/charts/series/{SERIES}"


def test_series_svg_is_valid_xml_with_title_and_source_line_as_text(real_client):
    response = real_client.get(f"{IMAGE}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    root, text = svg_text(response.data)
    assert root.get("width") == "640"
    assert SERIES_TITLE in text
    assert f"Source: {KIIS}" in text
    assert "trend: Kalman smoother, 95% band" in text
    assert "http://localhost/methodology#trend" in text
    assert "38%" in text  # the latest value of the 'ready' line is labelled


def test_series_svg_in_ukrainian_has_ukrainian_labels_and_dates(real_client):
    _, text = svg_text(real_client.get(f"{IMAGE}.svg?lang=uk").data)
    assert "Джерело:" in text and "тренд: згладжування Калмана, смуга 95%" in text
    assert "38\u00a0%" in text
    assert any(month in text for month in ("січ.", "квіт.", "лип.", "жовт."))
    assert "Jan" not in text


def test_series_png_has_the_requested_size(real_client):
    response = real_client.get(f"{IMAGE}.png?width=600&height=320")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert png_size(response.data) == (600, 320)
    assert png_size(real_client.get(f"{IMAGE}.png?width=600&height=320&scale=2").data) == (1200, 640)


def test_series_pdf_is_a_pdf(real_client):
    response = real_client.get(f"{IMAGE}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")


def test_options_change_the_picture(real_client):
    _, ready = svg_text(real_client.get(f"{IMAGE}.svg?outcome=ready&title=Ready%20for%20concessions").data)
    assert "Ready for concessions" in ready and SERIES_TITLE not in ready
    assert "52%" not in ready  # the 'against' line is not drawn
    hidden = real_client.get(f"{IMAGE}.svg?outcome=ready&show_polls=false&show_band=false").data
    shown = real_client.get(f"{IMAGE}.svg?outcome=ready").data
    assert hidden.count(b"<path") < shown.count(b"<path")
    dark = real_client.get(f"{IMAGE}.svg?theme=dark").data
    assert b"#16181d" in dark and b"#16181d" not in shown


def test_poll_card_svg_has_result_breakdown_and_disclosure(real_client, peace_poll_id):
    response = real_client.get(f"/charts/polls/{peace_poll_id}.svg?question=trump_peace_closer&answer=peace_closer")
    assert response.status_code == 200
    _, text = svg_text(response.data)
    assert "45%" in text and "15%" in text and "30%" in text
    assert KIIS in text and "2–17 Dec 2024" in text and "n = " in text
    assert "Margin of error" in text and f"http://localhost/polls/{peace_poll_id}" in text
    png = real_client.get(f"/charts/polls/{peace_poll_id}.png?question=trump_peace_closer&answer=peace_closer")
    assert png_size(png.data) == (640, 300)


def test_images_are_cached_and_conditional(real_client):
    first = real_client.get(f"{IMAGE}.svg?outcome=against")
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert "stale-while-revalidate=" in first.headers["Cache-Control"]
    again = real_client.get(f"{IMAGE}.svg?outcome=against", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
    assert real_client.get(f"{IMAGE}.svg?outcome=against").headers["X-Cache"] == "hit"


@pytest.mark.parametrize("query, status", [("pollser=kiis", 422), ("theme=sepia", 422), ("width=5", 422),
                                            ("outcome=nothing", 400), ("lang=fr", 422)])
def test_bad_options_are_problems(real_client, query, status):
    response = real_client.get(f"{IMAGE}.svg?{query}")
    assert response.status_code == status and response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["parameter"] == query.split("=")[0]


def test_unknown_series_or_poll_is_404(real_client):
    assert real_client.get("/charts/series/nothing.png").status_code == 404
    assert real_client.get("/charts/polls/999999.svg").status_code == 404
    bad = real_client.get("/charts/polls/1.svg?question=nothing")
    assert bad.status_code in (400, 404)
