"""Acceptance: real headless Chromium (Debian's, driven by Playwright; never `playwright install`)
against the live real-data server on 127.0.0.1. Each page must render its chart, draw one mark per
poll (and a band), show a tooltip on hover, and request nothing from any other host; a screenshot of
each goes to the test output folder (``TEST_OUTPUT_DIR``, default ``test-output/``).

One browser for the whole session keeps these tests to a few seconds.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from embed_support import KIIS, SERIES

CHROMIUM = os.environ.get("POLLAPP_CHROMIUM", "/usr/bin/chromium")
# Without the networking flags Chromium tries to reach Google's services (notes/ci.md).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
OUTPUT = Path(os.environ.get("TEST_OUTPUT_DIR") or Path(__file__).resolve().parents[2] / "test-output")
RENDER_TIMEOUT_MS = 30_000


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs it (apt-get install chromium), "
                    "or set POLLAPP_CHROMIUM.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class Visit:
    """A page opened in a fresh context, with every request it made recorded."""

    def __init__(self, browser, url: str, width: int = 720, height: int = 560) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.response = self.page.goto(url)

    def other_hosts(self, server: str) -> set[str]:
        ours = urlsplit(server).netloc
        return {urlsplit(u).netloc for u in self.requests if urlsplit(u).scheme in ("http", "https")} - {ours}

    def screenshot(self, name: str) -> Path:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / name
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser) -> Iterator:
    opened: list[Visit] = []

    def open_page(url: str, **kwargs) -> Visit:
        opened.append(Visit(browser, url, **kwargs))
        return opened[-1]

    yield open_page
    for v in opened:
        v.close()


def test_series_embed_renders_marks_band_and_tooltip_from_our_host_only(live_server, real_client, visit):
    polls = real_client.get(f"/api/v1/series/{SERIES}/points?outcome=ready&limit=500").get_json()["total"]
    v = visit(f"{live_server}/embed/series/{SERIES}?outcome=ready")
    assert v.response.status == 200
    v.page.wait_for_selector("#chart[data-rendered=true] svg", timeout=RENDER_TIMEOUT_MS)
    dots = v.page.locator("#chart svg g.mark-symbol.role-mark.polls_marks path")
    assert dots.count() == polls and polls >= 10
    assert v.page.locator("#chart svg g.mark-area.role-mark.band_marks path").count() == 1
    assert v.page.locator("#chart svg g.mark-line.role-mark.trend_marks path").count() == 1
    # the chart follows its container's width (responsive embed)
    svg_width = v.page.locator("#chart svg").evaluate("svg => svg.getBoundingClientRect().width")
    assert 650 <= svg_width <= 720
    dots.first.hover()
    tooltip = v.page.locator("#vg-tooltip-element.visible")
    tooltip.wait_for(state="visible", timeout=5_000)
    assert KIIS in tooltip.inner_text() and "Field dates" in tooltip.inner_text()
    # keyboard: the chart is focusable and labelled
    v.page.keyboard.press("Tab")
    assert v.page.evaluate("document.activeElement.id") == "chart"
    assert v.page.locator("#chart").get_attribute("aria-describedby") == "chart-summary"
    assert v.page.title().startswith("Ukrainians ready")
    assert v.other_hosts(live_server) == set(), v.requests
    assert not v.errors
    assert v.screenshot("embed-series.png").stat().st_size > 5_000


def test_series_embed_dark_and_ukrainian(live_server, visit):
    v = visit(f"{live_server}/embed/series/{SERIES}?theme=dark&lang=uk", width=420)
    v.page.wait_for_selector("#chart[data-rendered=true] svg", timeout=RENDER_TIMEOUT_MS)
    background = v.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(22, 24, 29)"
    assert "Джерело: Kyiv International Institute of Sociology" in v.page.locator("#chart svg").text_content()
    assert v.page.locator("#chart svg").evaluate("svg => svg.getBoundingClientRect().width") <= 420
    assert v.other_hosts(live_server) == set()
    assert not any("/charts/" in url for url in v.requests)  # the static fallback is not fetched
    v.screenshot("embed-series-dark-uk-narrow.png")


def test_poll_card_renders_breakdown_whisker_and_tooltip(live_server, peace_poll_id, visit):
    v = visit(f"{live_server}/embed/polls/{peace_poll_id}?question=trump_peace_closer&answer=peace_closer")
    v.page.wait_for_selector("#chart[data-rendered=true] svg", timeout=RENDER_TIMEOUT_MS)
    parts = v.page.locator("#chart svg g.mark-rect.role-mark.parts_marks path")
    assert parts.count() == 2  # 15% significantly closer + 30% slightly closer
    assert v.page.locator("#chart svg g.mark-rule.role-mark.whisker_marks line").count() == 1
    text = v.page.locator("#chart svg").text_content()
    assert "45%" in text and KIIS in text and "2–17 Dec 2024" in text
    # the label printed on the bar answers the hover too (it sits on top of the bar)
    v.page.locator("#chart svg g.mark-text.role-mark.part_labels_marks text").first.hover()
    tooltip = v.page.locator("#vg-tooltip-element.visible")
    tooltip.wait_for(state="visible", timeout=5_000)
    assert "15%" in tooltip.inner_text()
    assert v.other_hosts(live_server) == set(), v.requests
    assert not v.errors
    v.screenshot("embed-poll-card.png")


# Every text of the chart inside the chart's box, which is inside the frame: the page does not scroll
# sideways and nothing is clipped at the frame's edge (the release check of issue 9 found a 473 px chart
# in a 360 px frame; at 480 and 800 px a first fix drew the title above the top edge until embed.js laid
# the chart out a second time). Returns the widths, the texts past the box, the chart's text and the title's.
_NARROW_CHECK = """() => {
  const svg = document.querySelector('#chart svg'), box = svg.getBoundingClientRect();
  const outside = [...svg.querySelectorAll('text')].filter(t => {
    const r = t.getBoundingClientRect();
    return r.width > 0 && (r.right > box.right + 0.5 || r.left < box.left - 0.5 || r.top < box.top - 0.5
                           || r.bottom > box.bottom + 0.5);
  }).map(t => t.textContent);
  return {page: document.documentElement.scrollWidth, chart: document.querySelector('#chart').clientWidth,
          svg: Number(svg.getAttribute('width')), outside: outside, text: svg.textContent,
          title: [...svg.querySelectorAll('.role-title text')].map(t => t.textContent).join(' ')};
}"""


@pytest.mark.parametrize("width, query", [(360, ""), (320, "?lang=uk&theme=dark"), (480, ""), (800, "")])
def test_series_embed_fits_its_frame(live_server, visit, width, query):
    v = visit(f"{live_server}/embed/series/{SERIES}{query}", width=width)
    v.page.wait_for_selector("#chart[data-rendered=true] svg", timeout=RENDER_TIMEOUT_MS)
    seen = v.page.evaluate(_NARROW_CHECK)
    assert seen["page"] <= width and seen["svg"] <= seen["chart"] <= width, seen
    assert seen["outside"] == [], seen["outside"]
    # the title is wrapped (lines are tspans, joined without spaces by textContent), not cut
    assert "Ukrainiansreadyforterritorialconcessions" in seen["text"].replace(" ", "")
    assert "…" not in seen["title"], seen["title"]
    assert not v.errors
    v.screenshot(f"embed-series-{width}.png")


def test_series_embed_fits_its_frame_after_the_frame_narrows(live_server, visit):
    """A frame made narrower after the chart was drawn (a phone turned, a column resized): the chart is
    laid out again at the new width, the title whole and inside the chart."""
    v = visit(f"{live_server}/embed/series/{SERIES}", width=480)
    v.page.wait_for_selector("#chart[data-rendered=true] svg", timeout=RENDER_TIMEOUT_MS)
    v.page.set_viewport_size({"width": 320, "height": 560})
    v.page.wait_for_function("() => Number(document.querySelector('#chart svg').getAttribute('width')) <= 320",
                             timeout=RENDER_TIMEOUT_MS)
    v.page.wait_for_timeout(300)  # the second layout runs on the next animation frame
    seen = v.page.evaluate(_NARROW_CHECK)
    assert seen["page"] <= 320 and seen["svg"] <= seen["chart"] <= 320, seen
    assert seen["outside"] == [], seen["outside"]
    assert "…" not in seen["title"], seen["title"]
    assert not v.errors


def test_poll_card_fits_a_phone_frame(live_server, peace_poll_id, visit):
    v = visit(f"{live_server}/embed/polls/{peace_poll_id}?question=trump_peace_closer&answer=peace_closer", width=320)
    v.page.wait_for_selector("#chart[data-rendered=true] svg", timeout=RENDER_TIMEOUT_MS)
    seen = v.page.evaluate(_NARROW_CHECK)
    assert seen["page"] <= 320 and seen["svg"] <= seen["chart"] <= 320, seen
    assert seen["outside"] == [], seen["outside"]
    assert "distancingtheendofhostilitiesinUkraine?" in seen["text"].replace(" ", "")  # the question, whole
    assert "…" not in seen["title"], seen["title"]
    assert not v.errors
    v.screenshot("embed-poll-card-320.png")


def test_gallery_shows_every_series_with_live_embeds(live_server, real_client, visit):
    series = real_client.get("/api/v1/series?limit=500").get_json()["items"]
    v = visit(f"{live_server}/", width=1000, height=900)
    assert v.response.status == 200
    assert v.page.locator("section.gallery-item").count() == len(series)
    assert v.page.locator("section.gallery-item iframe").count() == len(series)
    frame = v.page.frame_locator(f"#{SERIES} iframe")
    frame.locator("#chart[data-rendered=true] svg").wait_for(timeout=RENDER_TIMEOUT_MS)
    assert frame.locator("svg g.mark-symbol.role-mark.polls_marks path").count() > 0
    assert frame.locator("svg g.mark-area.role-mark.band_marks path").count() >= 1
    frame.locator("svg g.mark-symbol.role-mark.polls_marks path").first.hover()
    frame.locator("#vg-tooltip-element.visible").wait_for(state="visible", timeout=5_000)
    v.page.locator(f"#{SERIES} details.embed-panel summary").click()
    snippet = v.page.locator(f"#snippet-{SERIES}").input_value()
    assert snippet.startswith("<iframe src=") and f"/embed/series/{SERIES}" in snippet
    assert v.other_hosts(live_server) == set(), v.requests
    assert not v.errors
    v.screenshot("gallery.png")


def test_the_api_docs_page_renders_under_its_content_security_policy(live_server, browser):
    """ReDoc (our vendored bundle) must work with the CSP /api/v1/docs is served with
    (pollapp.web.headers.DOCS_POLICY): the page renders the operations and the browser reports no
    policy violation for its own scripts, styles, worker or requests."""
    context = browser.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    page.on("pageerror", lambda error: violations.append(str(error)))
    try:
        response = page.goto(f"{live_server}/api/v1/docs")
        assert "worker-src 'self' blob:" in response.headers["content-security-policy"]
        page.get_by_text("pollapp API (v1)").wait_for(timeout=RENDER_TIMEOUT_MS)
        page.get_by_text("QUERY PARAMETERS").first.wait_for(timeout=RENDER_TIMEOUT_MS)  # operations drawn
        page.wait_for_timeout(500)  # the search worker starts after the first render
        # ReDoc's "API docs by Redocly" badge fetches a logo from Redocly's CDN: blocking that is the
        # policy doing its job (no third-party host); nothing of our own may be blocked.
        assert [v for v in violations if "https://cdn.redoc.ly/" not in v] == []
    finally:
        context.close()
