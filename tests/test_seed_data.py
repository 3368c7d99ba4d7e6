"""The REAL seed data in the repository's ``data/`` directory, loaded the way ``make run`` does
(``flask db upgrade``, then ``flask data load data/`` twice) into a database of this module's own,
then read through the API. The first load is the session's (``real_data`` in conftest.py: loading
takes a minute on a busy CI machine), copied for this module; the second runs on the copy; the tests
only read, and the per-test databases of the other modules are untouched.
"""

from __future__ import annotations

import calendar
import json
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from pollapp.extensions import db
from pollapp.models import Base, Poll

DATA = Path(__file__).resolve().parent.parent / "data"
UKRAINE_WAR_SERIES = {
    "ukraine-territorial-concessions",
    "ukraine-trust-zelensky",
    "russia-negotiations-vs-war",
    "russia-support-military-actions",
}


class Seeded:
    def __init__(self, app: Flask, first, second, counts_after_first, counts_after_second, stamps) -> None:
        self.app, self.first, self.second = app, first, second
        self.counts_after_first, self.counts_after_second = counts_after_first, counts_after_second
        self.stamps = stamps
        self.client = app.test_client()


def _counts_and_stamps(app: Flask) -> tuple[dict[str, int], tuple]:
    with app.app_context():
        counts = {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
        stamps = db.session.execute(select(func.max(Poll.updated_at), func.count(Poll.id))).one()
        db.session.remove()
    return counts, tuple(stamps)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, real_data) -> Iterator[Seeded]:
    """The first load is the session's (``real_data``: its report, and a fresh copy of what it loaded);
    the second runs here, on this module's copy."""
    with real_data.copy(tmp_path_factory.mktemp("seed"), "seed_test") as app:
        runner = app.test_cli_runner()
        first = real_data.first_load
        counts_first, stamps_first = _counts_and_stamps(app)
        second = runner.invoke(args=["data", "load", str(DATA)])
        assert second.exit_code == 0, second.output
        counts_second, stamps_second = _counts_and_stamps(app)
        yield Seeded(app, first, second, counts_first, counts_second, (stamps_first, stamps_second))


def _report(result) -> dict[str, tuple[int, int, int]]:
    counts = {}
    for line in result.stdout.splitlines():
        match = re.fullmatch(r"(.+): (\d+) created, (\d+) updated, (\d+) unchanged", line.strip())
        if match:
            counts[match.group(1)] = tuple(int(g) for g in match.groups()[1:])
    return counts


def test_first_load_creates_the_real_polls(seeded):
    report = _report(seeded.first)
    assert report["polls"][0] >= 1400 and report["polls"][1:] == (0, 0)
    assert report["pollsters"][0] >= 6
    assert report["series"][0] >= 5
    assert seeded.counts_after_first["polls"] == report["polls"][0]


def test_loading_twice_changes_nothing(seeded):
    report = _report(seeded.second)
    assert report, seeded.second.output
    for kind, (created, updated, unchanged) in report.items():
        assert (created, updated) == (0, 0), kind
        assert unchanged > 0, kind
    assert seeded.counts_after_second == seeded.counts_after_first
    first, second = seeded.stamps
    assert first == second, "no poll was rewritten (max updated_at and count are the same)"


def test_the_four_ukraine_war_series_exist_with_polls(seeded):
    body = seeded.client.get("/api/v1/series?limit=500").get_json()
    series = {s["slug"]: s for s in body["items"]}
    assert UKRAINE_WAR_SERIES <= set(series)
    for slug in UKRAINE_WAR_SERIES:
        assert series[slug]["poll_count"] >= 2, slug
        assert series[slug]["outcomes"], slug
    assert "kiis" in series["ukraine-territorial-concessions"]["pollsters"]
    assert "levada-center" in series["russia-negotiations-vs-war"]["pollsters"]


def test_putin_approval_is_measured_by_three_pollsters(seeded):
    body = seeded.client.get("/api/v1/series/russia-putin-approval").get_json()
    assert {"levada-center", "fom", "vtsiom"} <= set(body["pollsters"])
    assert body["poll_count"] >= 1300


def test_embed_pages_stay_small_on_the_25_year_series_and_unchanged_on_the_short_ones(seeded):
    """Putin approval (1,374 polls since 1999, 2,748 dots) is over the chart bounds: an even sample of
    dots and the latest table rows, said on the page; the Ukraine-war series are under them. (The
    rolling trend keeps the test fast; the bounds do not depend on the method.)"""
    from pollapp.services import chart_bounds

    page = seeded.client.get("/embed/series/russia-putin-approval?method=rolling").get_data(as_text=True)
    spec = json.loads(page[page.index('id="chart-spec">') + len('id="chart-spec">'):page.rindex("</script>")])
    assert len(page) < 300_000, "was 1 MB before the chart bounds"
    assert 0.9 * chart_bounds.MAX_CHART_DOTS <= len(spec["datasets"]["polls"]) <= chart_bounds.MAX_CHART_DOTS
    assert "evenly spread over time" in spec["datasets"]["source"][0]["lines"][0]
    assert page.count("<tr><td>") == chart_bounds.MAX_TABLE_ROWS and "every poll (CSV)" in page
    for slug in UKRAINE_WAR_SERIES:
        page = seeded.client.get(f"/embed/series/{slug}?method=rolling").get_data(as_text=True)
        assert "evenly spread" not in page and "every poll (CSV)" not in page


def _kiis_december(seeded) -> dict:
    response = seeded.client.get("/api/v1/polls?pollster=kiis&limit=500")
    assert response.status_code == 200
    body = response.get_json()
    assert {p["pollster"]["slug"] for p in body["items"]} == {"kiis"}
    matches = [p for p in body["items"] if (p["field_start_date"], p["field_end_date"]) == ("2024-12-02", "2024-12-17")]
    assert len(matches) == 1
    return matches[0]


def test_kiis_december_2024_poll_with_wording_answers_and_net(seeded):
    poll = _kiis_december(seeded)

    assert poll["country"] == "UA" and poll["population"] == "adults"
    assert poll["publication_date"] == "2024-12-27"
    assert poll["source_url"].startswith("https://kiis.com.ua/")
    question = next(q for q in poll["questions"] if q["code"] == "trump_peace_closer")
    assert "Donald Trump" in question["wording"] and "end of hostilities" in question["wording"]
    assert question["base_n"] == 985
    answers = {a["code"]: a for a in question["answers"]}
    assert {code: a["pct"] for code, a in answers.items() if not a["is_net"]} == {
        "peace_significantly_closer": 15,
        "peace_slightly_closer": 30,
        "peace_slightly_more_distant": 9,
        "peace_significantly_more_distant": 5,
        "no_change_or_undecided": 40,
    }
    net = answers["peace_closer"]
    assert net["pct"] == 45 and net["is_net"] is True
    assert net["components"] == ["peace_significantly_closer", "peace_slightly_closer"]
    assert sum(answers[c]["pct"] for c in net["components"]) == 45


def test_kiis_december_2024_poll_has_a_disclosure_score(seeded):
    disclosure = _kiis_december(seeded)["disclosure"]
    assert isinstance(disclosure["score"], int) and 0 < disclosure["score"] <= 100
    assert len(disclosure["items"]) == 12
    present = sum(item["present"] for item in disclosure["items"])
    assert disclosure["score"] == round(100 * present / 12)
    assert len(disclosure["missing"]) == 12 - present


def test_text_search_finds_the_kiis_poll(seeded):
    kiis = _kiis_december(seeded)
    body = seeded.client.get("/api/v1/polls?q=donald trump&limit=500").get_json()
    assert kiis["id"] in {p["id"] for p in body["items"]}


def test_every_poll_has_a_source_url_and_its_month_only_dates_say_so(seeded):
    polls = []
    cursor = None
    while True:
        url = "/api/v1/polls?limit=500" + (f"&cursor={cursor}" if cursor else "")
        body = seeded.client.get(url).get_json()
        polls.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(polls) == body["total"] == seeded.counts_after_first["polls"]
    assert len({p["id"] for p in polls}) == len(polls)
    missing = [p["source_id"] for p in polls if not (p["source_url"] or "").startswith(("https://", "http://"))]
    assert missing == []
    monthly = [p for p in polls if p["field_dates_precision"] == "month"]
    assert monthly
    for poll in monthly:
        start, end = dt.date.fromisoformat(poll["field_start_date"]), dt.date.fromisoformat(poll["field_end_date"])
        notes = (poll["notes"] or "").lower()
        assert start.day == 1, poll["source_id"]
        assert "month" in notes or "stored as" in notes, poll["source_id"]
        if end.day != calendar.monthrange(end.year, end.month)[1]:
            assert "stored as" in notes, f"{poll['source_id']}: a month cut short says why"


def test_series_points_of_real_data(seeded):
    body = seeded.client.get("/api/v1/series/ukraine-territorial-concessions/points?limit=500").get_json()
    assert body["total"] == len(body["items"]) > 0
    for point in body["items"]:
        assert 0 <= point["pct"] <= 100
        assert point["source_url"]
        assert point["pollster"] == "kiis"
