"""GET /api/v1/series/{slug}/house-effects and /adjusted-points.

Most tests use a SYNTHETIC series created through the API (stats_support.py: pollsters alpha/beta/gamma
read +3/-3/0 points against each other). One test reads the repository's REAL seed data (data/, the
same files `make run` loads; a copy of the session's load, ``real_data``) and checks the Putin-approval
house effects of Levada, FOM and VTsIOM and a Kalman trend of Ukrainians' readiness for territorial
concessions.
"""

from __future__ import annotations


import pytest

from factories import assert_problem, error_parameters
from stats_support import OFFSETS, SERIES, build_world

URL = f"/api/v1/series/{SERIES}/house-effects"


@pytest.fixture
def world(client, auth):
    return build_world(client, auth, rounds=5)


def get_ok(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response


@pytest.mark.parametrize("method", ["auto", "kalman", "fixed_effects"])
def test_house_effects_recover_the_synthetic_offsets(client, world, method):
    query = f"?outcome=approve&method={method}" + ("&bin_days=15" if method == "fixed_effects" else "")
    body = get_ok(client, URL + query).get_json()
    assert body["method"] == ("kalman" if method == "auto" else method)
    effects = {row["pollster"]: row for row in body["house_effects"]}
    assert set(effects) == set(OFFSETS)
    for pollster, offset in OFFSETS.items():
        row = effects[pollster]
        assert row["n_polls"] == 5
        assert row["lower_pct"] < row["estimate_pct"] < row["upper_pct"]
        assert row["estimate_pct"] == pytest.approx(offset, abs=1.0), pollster
    assert sum(row["estimate_pct"] for row in effects.values()) == pytest.approx(0, abs=1e-3), "sum to zero"
    assert body["constraint"] == "sum_to_zero" and "average pollster" in body["explanation"]
    assert body["n_polls_included"] == 15 and body["excluded"] == []
    assert body["parameters"]["method"] == method and body["level"] == 0.95


def test_reference_pollster_anchors_the_effects(client, world):
    body = get_ok(client, URL + "?outcome=approve&constraint=reference&reference_pollster=gamma").get_json()
    effects = {row["pollster"]: row["estimate_pct"] for row in body["house_effects"]}
    assert effects["gamma"] == 0
    assert effects["alpha"] > 1.5 and effects["beta"] < -1.5
    assert "pollster 'gamma'" in body["explanation"]


def test_adjusted_points_subtract_the_house_effect(client, world):
    body = get_ok(client, f"/api/v1/series/{SERIES}/adjusted-points?outcome=approve").get_json()
    assert len(body["points"]) == 15
    effects = {row["pollster"]: row["estimate_pct"] for row in body["house_effects"]}
    for point in body["points"]:
        assert point["house_effect_pct"] == pytest.approx(effects[point["pollster"]], abs=1e-3)
        assert point["adjusted_pct"] == pytest.approx(point["pct"] - point["house_effect_pct"], abs=2e-4)
        assert point["mid_date"] and point["n_eff"] == 1000 and point["n_source"] == "poll sample size"
    adjusted = [p["adjusted_pct"] for p in body["points"]]
    raw = [p["pct"] for p in body["points"]]
    assert max(adjusted) - min(adjusted) < max(raw) - min(raw), "adjusting removes the pollster spread"


def test_one_computation_serves_both_endpoints(client, world):
    first = get_ok(client, URL + "?outcome=approve")
    assert first.headers["X-Cache"] == "miss"
    points = get_ok(client, f"/api/v1/series/{SERIES}/adjusted-points?outcome=approve")
    assert points.headers["X-Cache"] == "hit"
    assert points.get_json()["computed_at"] == first.get_json()["computed_at"]
    again = client.get(URL + "?outcome=approve", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
    assert points.headers["ETag"] != first.headers["ETag"]


def test_a_single_pollster_has_no_house_effect(client, world):
    body = assert_problem(client.get(URL + "?outcome=approve&exclude_pollster=alpha&exclude_pollster=beta"), 422)
    assert "fewer than two" in body["detail"]


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("?outcome=approve&method=bayes", "method"),
        ("?outcome=approve&constraint=anchored", "constraint"),
        ("?outcome=approve&constraint=reference", "reference_pollster"),
        ("?outcome=approve&reference_pollster=gamma", "reference_pollster"),
        ("?outcome=approve&constraint=reference&reference_pollster=zeta", "reference_pollster"),
        ("?outcome=approve&level=2", "level"),
        ("?outcome=approve&frac=0.3", "frac"),
        ("?outcome=approve&min_polls=100", "min_polls"),
    ],
)
def test_bad_parameters_are_422_problems_naming_the_parameter(client, auth, query, parameter):
    build_world(client, auth, rounds=2)
    body = assert_problem(client.get(URL + query), 422)
    assert parameter in error_parameters(body), body


@pytest.fixture
def real_client(real_data, tmp_path):
    """A client on a fresh copy of the session's load of data/ (``real_data`` in conftest.py)."""
    with real_data.copy(tmp_path, "house_effects") as app:
        yield app.test_client()


def test_real_seed_data(real_client):
    """REAL data: the repository's data/ directory, loaded as `make run` does."""
    client = real_client

    # Putin approval measured by three pollsters (data/README.md: Levada 291 monthly polls in
    # putin_approval.csv + 10 in ukraine_war.csv, FOM 370 weekly, VTsIOM 703 weekly).
    body = get_ok(client, "/api/v1/series/russia-putin-approval/house-effects?outcome=approve").get_json()
    effects = {row["pollster"]: row for row in body["house_effects"]}
    assert {p: r["n_polls"] for p, r in effects.items()} == {"levada-center": 301, "fom": 370, "vtsiom": 703}
    for row in effects.values():
        assert row["lower_pct"] < row["estimate_pct"] < row["upper_pct"]
        assert 0 < row["se_pct"] < 1
    assert sum(r["estimate_pct"] for r in effects.values()) == pytest.approx(0, abs=1e-3)
    # Sample sizes are not in these sources: every poll says how its n was filled in.
    assert any("filled in" in w for w in body["warnings"])

    # Ukrainians ready for territorial concessions (KIIS): a Kalman trend through the real polls.
    trend = get_ok(
        client, "/api/v1/series/ukraine-territorial-concessions/trend?outcome=ready&method=kalman"
    ).get_json()
    assert trend["method"] == "kalman" and trend["n_polls_included"] >= 5
    assert {p["pollster"] for p in trend["included"]} == {"kiis"}
    assert any("Only one pollster" in w for w in trend["warnings"])
    first, last = trend["grid"][0], trend["grid"][-1]
    assert first["estimate_pct"] < last["estimate_pct"], "readiness for concessions rose from 2022 to 2025"
    assert all(r["lower_pct"] <= r["estimate_pct"] <= r["upper_pct"] for r in trend["grid"])
    kiis_dec_2024 = next(p for p in trend["included"] if p["field_start_date"] == "2024-12-02")
    assert kiis_dec_2024["n"] == 985 and kiis_dec_2024["n_source"] == "question base"


def test_house_effects_as_csv_have_the_json_fields_as_columns(client, world):
    import io

    import pandas as pd

    effects = get_ok(client, URL + "?outcome=approve&constraint=reference&reference_pollster=gamma").get_json()["house_effects"]

    response = get_ok(client, URL + ".csv?outcome=approve&constraint=reference&reference_pollster=gamma")

    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'inline; filename="{SERIES}-house-effects.csv"'
    frame = pd.read_csv(io.BytesIO(response.data))
    assert list(frame.columns) == ["pollster", "estimate_pct", "se_pct", "lower_pct", "upper_pct", "n_polls"]
    assert list(frame.columns) == list(effects[0])
    assert frame.to_dict("records") == effects
    again = client.get(URL + ".csv?outcome=approve&constraint=reference&reference_pollster=gamma",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert_problem(client.get(URL + ".csv?outcome=approve&pollser=gamma"), 422)
    assert_problem(client.get("/api/v1/series/nothing/house-effects.csv?outcome=approve"), 404)
