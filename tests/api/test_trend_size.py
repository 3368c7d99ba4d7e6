"""How much a trend response carries (``step_days``, ``polls``) and how many dots and table rows a
series chart and its embed page carry, on a long SYNTHETIC series created through the API: 12 polls
by 3 made-up pollsters, one every 50 days (555 grid days: above the 500-row grid bound). The poll-list
and chart bounds are lowered for the test (creating hundreds of polls through the API would take a
minute); the grid bound is the real one.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re

import pandas as pd
import pytest

import pollapp.stats.trend as stats_trend

from pollapp.services import chart_bounds, trend_size
from pollapp.services.trend_size import MAX_GRID_POINTS
from stats_support import OFFSETS, SERIES, add_poll, build_world, create_pollsters, create_series

URL = f"/api/v1/series/{SERIES}/trend"
N_POLLS = 12
MAX_LISTED_POLLS = 8


@pytest.fixture
def long_series(client, auth, monkeypatch):
    monkeypatch.setattr(trend_size, "MAX_LISTED_POLLS", MAX_LISTED_POLLS)
    create_pollsters(client, auth)
    create_series(client, auth)
    pollsters = list(OFFSETS)
    for i in range(N_POLLS):
        approve = round(40 + 5 * math.sin(i / 3) + OFFSETS[pollsters[i % 3]], 1)
        add_poll(client, auth, pollster=pollsters[i % 3], start=dt.date(2020, 1, 1) + dt.timedelta(days=50 * i),
                 approve=approve)


def _get(client, query):
    response = client.get(URL + query)
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    return response.get_json()


def _days(grid):
    return (dt.date.fromisoformat(grid[-1]["date"]) - dt.date.fromisoformat(grid[0]["date"])).days


@pytest.fixture
def fits(monkeypatch):
    calls = []
    real = stats_trend.fit_trend
    monkeypatch.setattr(stats_trend, "fit_trend", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def test_long_series_default_is_bounded_and_every_detail_is_there_on_request(client, long_series, fits):
    default = _get(client, "?outcome=approve")
    full = _get(client, "?outcome=approve&step_days=1&polls=all")

    # Full detail: the daily grid and every poll, as before the bounds.
    days = _days(full["grid"])
    assert days > MAX_GRID_POINTS and len(full["grid"]) == days + 1
    assert len(full["included"]) == full["n_polls_included"] == N_POLLS
    assert full["parameters"]["step_days"] == 1 and not any("`included`" in w for w in full["warnings"])

    # Default: at most ~MAX_GRID_POINTS rows, every step days from the first day, plus the last day.
    step = math.ceil((days + 1) / MAX_GRID_POINTS)
    grid = default["grid"]
    assert default["parameters"]["step_days"] == step > 1 and default["parameters"]["polls"] == "auto"
    assert len(grid) <= MAX_GRID_POINTS + 1
    assert grid[0]["date"] == full["grid"][0]["date"] and grid[-1]["date"] == full["grid"][-1]["date"]
    offsets = [(dt.date.fromisoformat(g["date"]) - dt.date.fromisoformat(grid[0]["date"])).days for g in grid]
    assert all(o % step == 0 for o in offsets[:-1])
    # The statistics are those of the daily grid at every date kept.
    daily = {g["date"]: g for g in full["grid"]}
    assert all(daily[g["date"]] == g for g in grid)

    # The latest MAX_LISTED_POLLS included polls (by field midpoint), the counts complete, a warning.
    assert default["n_polls_included"] == N_POLLS and len(default["included"]) == MAX_LISTED_POLLS
    assert default["included"] == full["included"][-MAX_LISTED_POLLS:]
    assert any(f"latest {MAX_LISTED_POLLS} of the {N_POLLS} polls" in w for w in default["warnings"])
    for key in ("fitted_params", "house_effects", "n_polls_excluded", "data_version"):
        assert default[key] == full[key]

    # The CSV carries the same grid rows as the JSON of the same request.
    csv = client.get(f"/api/v1/series/{SERIES}/trend.csv?outcome=approve")
    frame = pd.read_csv(io.StringIO(csv.get_data(as_text=True)))
    assert list(frame["date"]) == [g["date"] for g in grid]

    # polls=none: no list, complete counts; an explicit step is used as given.
    none = _get(client, "?outcome=approve&polls=none&step_days=30")
    assert none["included"] == [] and none["excluded"] == [] and none["n_polls_included"] == N_POLLS
    assert none["parameters"]["step_days"] == 30 and all(daily[g["date"]] == g for g in none["grid"])
    assert len(fits) == 1, "every representation is made from one fit"


def test_short_series_is_unchanged_by_the_bounds(client, auth):
    build_world(client, auth)  # 12 polls over five weeks
    default = _get(client, "?outcome=approve")
    full = _get(client, "?outcome=approve&step_days=1&polls=all")
    assert default["parameters"]["step_days"] == 1
    for key in ("grid", "included", "excluded", "warnings", "n_polls_included"):
        assert default[key] == full[key]
    assert len(default["grid"]) == _days(default["grid"]) + 1


@pytest.mark.parametrize("query, parameter", [("step_days=0", "step_days"), ("polls=some", "polls"),
                                              ("step_days=x", "step_days")])
def test_bad_representation_arguments_are_refused(client, auth, query, parameter):
    build_world(client, auth, rounds=2)
    response = client.get(f"{URL}?outcome=approve&{query}")
    assert response.status_code == 422 and parameter in response.get_data(as_text=True)


def test_the_chart_and_embed_page_are_bounded_above_their_limits(client, long_series, monkeypatch):
    page = client.get(f"/embed/series/{SERIES}").get_data(as_text=True)
    assert "evenly spread" not in page and "every poll (CSV)" not in page  # 24 dots, 24 rows: under both

    monkeypatch.setattr(chart_bounds, "MAX_CHART_DOTS", 10)
    monkeypatch.setattr(chart_bounds, "MAX_TABLE_ROWS", 6)
    spec = client.get(f"/api/v1/series/{SERIES}/chart.vl.json").get_json()
    dots = spec["datasets"]["polls"]
    assert 8 <= len(dots) <= 10
    assert {d["poll_id"] for d in dots}.__len__() * 2 == len(dots), "whole polls: both outcomes or none"
    dates = sorted(d["date"] for d in dots)
    assert dates[0] <= "2020-01-03" and dates[-1] >= (dt.date(2020, 1, 1) + dt.timedelta(days=50 * (N_POLLS - 1))).isoformat()
    assert f"of {N_POLLS} polls, evenly spread over time" in spec["datasets"]["source"][0]["lines"][0]

    page = client.get(f"/embed/series/{SERIES}?theme=dark").get_data(as_text=True)  # not the cached page
    table = page[page.index("<tbody>"):page.index("</tbody>")]
    assert table.count("<tr>") == 6
    assert f"the latest 6 of {2 * N_POLLS} rows" in page
    assert re.search(rf'href="[^"]*/api/v1/series/{SERIES}/data.csv"', page)


def test_sample_dots_keeps_whole_polls_evenly_spread():
    dots = [{"poll_id": i, "date": (dt.date(2000, 1, 1) + dt.timedelta(days=i)).isoformat(), "outcome": o}
            for i in range(1000) for o in ("a", "b")]
    assert chart_bounds.sample_dots(dots[:100], limit=100) == dots[:100]
    kept = chart_bounds.sample_dots(dots, limit=100)
    ids = sorted({d["poll_id"] for d in kept})
    assert len(kept) == 100 and len(ids) == 50 and ids[0] == 0 and ids[-1] == 999
    gaps = {b - a for a, b in zip(ids, ids[1:])}
    assert max(gaps) - min(gaps) <= 1, "evenly spaced ranks"


def test_a_fresh_fit_and_a_cached_one_give_the_same_bounded_bytes(app, client, long_series, fits, monkeypatch):
    """The default representation of a fresh fit is made from the payload just encoded, that of a cached
    fit from the stored body decoded: the two must be the same bytes (numbers, dates, NaN, order)."""
    from pollapp.api.statistics import stats_cache
    from pollapp.services import stats_series

    monkeypatch.setattr(stats_series, "_now", lambda: "2026-01-01T00:00:00+00:00")  # both fits at one instant
    app.config["RESPONSE_CACHE"] = "off"
    fresh = client.get(URL + "?outcome=approve&polls=all")  # default step: bounded, made from the fresh payload
    assert fresh.status_code == 200 and len(fits) == 1
    with app.test_request_context():
        stats_cache().clear()
    assert client.get(URL + "?outcome=approve&step_days=1&polls=all").status_code == 200 and len(fits) == 2
    again = client.get(URL + "?outcome=approve&polls=all")  # bounded, made from the cached full body
    assert len(fits) == 2
    assert again.get_data() == fresh.get_data()


@pytest.mark.parametrize("step", [1, 2, 7, 30])
def test_thinned_keeps_every_step_days_from_the_first_and_the_last(step):
    """Counted in days from the first date (not positions): a grid with gaps (and the year 2000's
    29 February) keeps the same rows as counting each date's days from the first."""
    start = dt.date(1999, 12, 1)
    dates = [(start + dt.timedelta(days=d)).isoformat() for d in [*range(0, 200), *range(203, 400, 3), 555]]
    kept = trend_size.thinned(dates, step)
    days = [(dt.date.fromisoformat(d) - start).days for d in dates]
    expected = [i for i, d in enumerate(days[:-1]) if d % step == 0] + [len(dates) - 1]
    assert (list(range(len(dates)))[kept] if isinstance(kept, slice) else kept) == expected
    assert trend_size.thinned(dates[:1], step) in (slice(None), [0])
