"""Graceful degradation: when the statistics of a series cannot be computed (too few polls, polls all on
one day, a model that does not fit), every statistics endpoint answers a 422 problem saying why, and
the raw points, the downloads and the chart (without a trend line) are still served.

The series are SYNTHETIC (stats_support.py). Degenerate data is built for real where it exists (one
poll; two polls on the same day; a single pollster for house effects); a numerical failure that the
bundled models do not hit on small data (a singular matrix, a non-converging optimiser) is injected by
replacing the stats function with one that raises exactly what numpy/statsmodels raise.
"""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pytest
from statsmodels.tools.sm_exceptions import ConvergenceWarning

import pollapp.stats.house_effects as stats_house
import pollapp.stats.trend as stats_trend
from factories import assert_problem
from stats_support import SERIES, add_poll, create_pollsters, create_series

BASE = f"/api/v1/series/{SERIES}"
STATISTICS = ["/trend", "/trend.csv", "/house-effects", "/house-effects.csv", "/adjusted-points"]
RAW = ["/points", "/data.csv", "/data.json"]
DAY = dt.date(2024, 3, 1)


def make_series(client, auth, polls: list[tuple[str, int, float]]) -> None:
    """``polls``: (pollster, day offset, approve %) each."""
    create_pollsters(client, auth, sorted({p for p, _, _ in polls}))
    create_series(client, auth)
    for pollster, offset, approve in polls:
        add_poll(client, auth, pollster=pollster, start=DAY + dt.timedelta(days=offset), approve=approve)


def assert_degrades(client, reason: str, statistics: list[str] = STATISTICS) -> None:
    """Each statistics endpoint refuses with ``reason`` in its detail; the raw data is still served."""
    for path in statistics:
        body = assert_problem(client.get(f"{BASE}{path}?outcome=approve"), 422)
        assert reason in body["detail"], (path, body)
    for path in RAW:
        assert client.get(f"{BASE}{path}").status_code == 200, path
    points = client.get(f"{BASE}/points").get_json()
    assert points["items"] or points.get("points"), points


def chart_spec(client) -> dict:
    response = client.get(f"{BASE}/chart.vl.json")
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    return response.get_json()


def test_one_poll(client, auth):
    make_series(client, auth, [("alpha", 0, 40)])
    assert_degrades(client, "poll")


def test_two_polls_on_the_same_day(client, auth):
    make_series(client, auth, [("alpha", 0, 40), ("beta", 0, 44)])
    assert_degrades(client, "poll")


def test_a_single_pollster_has_no_house_effects_but_a_trend(client, auth):
    make_series(client, auth, [("alpha", 7 * i, 40 + i % 2) for i in range(6)])
    assert client.get(f"{BASE}/trend?outcome=approve").status_code == 200
    assert_degrades(client, "fewer than two", ["/house-effects", "/house-effects.csv", "/adjusted-points"])


def test_all_identical_values_fit_a_flat_line_or_refuse_but_never_fail(client, auth):
    """Zero variance between polls is legitimate data: the line is flat at that value."""
    make_series(client, auth, [(("alpha", "beta")[i % 2], 5 * i, 40.0) for i in range(8)])
    for path in STATISTICS:
        response = client.get(f"{BASE}{path}?outcome=approve")
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:1000])
    grid = client.get(f"{BASE}/trend?outcome=approve").get_json()["grid"]
    assert all(abs(row["estimate_pct"] - 40.0) < 0.5 for row in grid), grid[:3]


@pytest.fixture
def failing_models(monkeypatch):
    """The trend and house-effect fits fail the way numpy and statsmodels fail (the services import
    them at call time, so replacing the module attributes reaches them)."""

    def singular(*args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    def not_converging(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            warnings.warn("Maximum Likelihood optimization failed to converge.", ConvergenceWarning)

    monkeypatch.setattr(stats_trend, "fit_trend", singular)
    monkeypatch.setattr(stats_house, "house_effects", not_converging)


def test_a_model_failure_is_a_422_with_the_reason_and_points_are_served(client, auth, failing_models):
    make_series(client, auth, [(("alpha", "beta")[i % 2], 5 * i, 40 + i) for i in range(8)])
    assert_degrades(client, "Singular matrix", ["/trend", "/trend.csv"])
    assert_degrades(client, "converge", ["/house-effects", "/house-effects.csv", "/adjusted-points"])
    body = assert_problem(client.get(f"{BASE}/trend?outcome=approve"), 422)
    assert body["title"] == "Statistics unavailable"


def assert_points_without_trend(client, n_points: int, note: str) -> None:
    """The spec draws every poll and no line; the embed page says why there is no line."""
    spec = chart_spec(client)
    assert len(spec["datasets"]["polls"]) == n_points
    assert spec["datasets"]["trend"] == [] and "trend" not in [layer.get("name") for layer in spec["layer"]]
    source = " ".join(spec["datasets"]["source"][0]["lines"])
    assert "Kalman" not in source and note in source  # the source line says why, not which smoother
    page = client.get(f"/embed/series/{SERIES}")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    assert note in page.get_data(as_text=True)


def test_the_chart_draws_the_points_without_a_trend_when_the_trend_fails(client, auth, failing_models):
    make_series(client, auth, [(("alpha", "beta")[i % 2], 5 * i, 40 + i) for i in range(8)])
    # Both outcomes (approve, disapprove) of the 8 polls are drawn; neither gets a line.
    assert_points_without_trend(client, 16, "could not be fitted")


def test_the_chart_of_a_one_poll_series_draws_the_poll(client, auth):
    make_series(client, auth, [("alpha", 0, 40)])
    assert_points_without_trend(client, 2, "fewer than")
