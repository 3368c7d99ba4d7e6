"""GET /api/v1/series/{slug}/trend (and .csv): trend lines, their options, caching and 304s.

The series and polls are SYNTHETIC, created through the API (see stats_support.py): 3 pollsters
with known offsets, 4 rounds of polls 10 days apart.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pandas as pd
import pytest

import pollapp.stats.trend as stats_trend
from factories import assert_problem, error_parameters, if_match
from pollapp.schemas.statistics_series_responses import GridRowSchema
from pollapp.services.stats_inputs import DATE, PCT, TREND_METHODS, frame_records
from pollapp.services.statistics import GRID_COLUMNS
from stats_support import SERIES, add_poll, approval_question, build_world, create_series, put_poll

URL = f"/api/v1/series/{SERIES}/trend"


@pytest.fixture
def world(client, auth):
    return build_world(client, auth)


@pytest.fixture
def fit_calls(monkeypatch):
    """Count calls of pollapp.stats.trend.fit_trend (the service imports it at call time)."""
    calls = []
    real = stats_trend.fit_trend

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(stats_trend, "fit_trend", counting)
    return calls


def trend(client, query="", status=200, **kwargs):
    response = client.get(URL + query, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response


@pytest.mark.parametrize("method", TREND_METHODS)
def test_every_method(client, world, method):
    body = trend(client, f"?outcome=approve&method={method}").get_json()
    assert body["method"] == method and body["series"] == SERIES and body["outcome"] == "approve"
    grid = body["grid"]
    days = (dt.date.fromisoformat(grid[-1]["date"]) - dt.date.fromisoformat(grid[0]["date"])).days
    assert len(grid) == days + 1, "a daily grid"
    assert {"date", "estimate_pct", "se_pct", "lower_pct", "upper_pct"} <= set(grid[0])
    assert (method == "kalman") == ("filtered_estimate_pct" in grid[0]), "filtered columns are kalman's"
    estimates = [row["estimate_pct"] for row in grid if row["estimate_pct"] is not None]
    assert estimates and all(30 < e < 50 for e in estimates)
    if method == "kalman":
        assert all(r["lower_pct"] <= r["estimate_pct"] <= r["upper_pct"] for r in grid)
        assert {"sigma2_level", "sigma2_extra", "loglike"} <= set(body["fitted_params"])
        assert {h["pollster"] for h in body["house_effects"]} == {"alpha", "beta", "gamma"}
    assert body["n_polls_included"] == len(body["included"]) == 12 and body["excluded"] == []
    assert body["band"]
    params = body["parameters"]
    assert params["method"] == method and params["level"] == 0.95 and params["min_polls"] == 5
    assert params["population_preference"] == ["adults", "registered_voters", "likely_voters", "other"]
    assert {"start_date", "end_date", "as_of", "exclude_pollster", "drop_overlapping_tracking", "decided_against",
            "n_default"} <= set(params)
    assert body["data_version"] and body["stats_version"] and body["computed_at"].endswith("+00:00")
    polled = body["included"][0]
    assert polled["n"] == 1000 and polled["n_source"] == "poll sample size" and polled["n_eff"] == 1000


def test_method_settings_are_echoed_with_defaults(client, world):
    body = trend(client, "?outcome=approve&method=lowess&frac=0.5").get_json()
    assert body["parameters"]["frac"] == 0.5 and body["parameters"]["it"] == 0
    assert body["settings"] == {"frac": 0.5, "it": 0, "bootstrap": 0, "seed": 0}
    body = trend(client, "?outcome=approve&method=rolling&k=2&window_days=15").get_json()
    assert body["settings"] == {"k": 2, "window_days": 15}
    body = trend(client, "?outcome=approve&house_method=two_stage&bin_days=30").get_json()
    assert body["settings"]["house_method"] == "two_stage" and body["settings"]["bin_days"] == 30


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("?outcome=approve&method=loess", "method"),
        ("?outcome=approve&level=1", "level"),
        ("?outcome=approve&level=-0.5", "level"),
        ("?outcome=approve&level=ninety", "level"),
        ("?outcome=approve&pollser=alpha", "pollser"),
        ("?outcome=approve&frac=0.4", "frac"),  # a lowess setting with the default kalman method
        ("?outcome=approve&method=rolling&half_life_days=3", "half_life_days"),
        ("?outcome=approve&method=lowess&bootstrap=5", "bootstrap"),
        ("?outcome=approve&house_effects=reference", "reference_pollster"),
        ("?outcome=approve&min_polls=1", "min_polls"),
        ("?outcome=approve&start_date=2024-03-01&end_date=2024-01-01", "start_date"),
        ("?outcome=approve&decided_against=approve", "decided_against"),
        ("?outcome=nope", "outcome"),
        ("", "outcome"),  # the series has two outcomes: say which
    ],
)
def test_bad_parameters_are_422_problems_naming_the_parameter(client, auth, query, parameter):
    create_series(client, auth)  # no polls needed: every check runs before the data is used
    body = assert_problem(client.get(URL + query), 422)
    assert parameter in error_parameters(body), body


def test_unknown_series_is_404(client):
    assert_problem(client.get("/api/v1/series/no-such-series/trend?outcome=approve"), 404)


def test_fewer_than_min_polls_is_a_422_with_the_reason(client, world):
    body = assert_problem(client.get(URL + "?outcome=approve&exclude_pollster=alpha&exclude_pollster=beta"), 422)
    assert "4 usable poll(s), at least 5 needed" in body["detail"]
    assert "points" in body["detail"], "points the reader to the raw values"
    assert "min_polls" in error_parameters(body)
    # The raw points are still there.
    points = client.get(f"/api/v1/series/{SERIES}/points?outcome=approve&pollster=gamma").get_json()
    assert points["total"] == 4
    # And a smaller minimum is the reader's explicit choice.
    assert trend(client, "?outcome=approve&exclude_pollster=alpha&exclude_pollster=beta&min_polls=4")


def test_as_of_leaves_out_polls_published_later(client, world):
    # Round 3 starts 2024-01-21 (published 2024-01-26 .. 2024-01-32); as_of 2024-01-25 keeps rounds 0-2 only.
    body = trend(client, "?outcome=approve&as_of=2024-01-25").get_json()
    late = {p["id"] for p in world if p["publication_date"] > "2024-01-25"}
    assert late and {e["poll_id"] for e in body["excluded"]} == late
    assert all(e["reason"] == "published after as_of" for e in body["excluded"])
    assert all(p["publication_date"] <= "2024-01-25" for p in body["included"])
    assert body["grid"][-1]["date"] == "2024-01-25", "the grid ends at as_of"
    assert body["parameters"]["as_of"] == "2024-01-25"


def test_excluded_polls_are_listed_with_their_reason(client, world):
    body = trend(client, "?outcome=approve&exclude_pollster=beta&start_date=2024-01-05").get_json()
    reasons = {(e["pollster"], e["reason"]) for e in body["excluded"]}
    assert ("beta", "pollster excluded") in reasons
    assert ("alpha", "field midpoint outside the date range") in reasons
    assert body["n_polls_excluded"] == len(body["excluded"]) == 5
    assert body["grid"][0]["date"] == "2024-01-05"


def test_decided_only_share(client, world, auth):
    # One poll lacks the second outcome: it is excluded with the reason, not silently mixed in.
    add_poll(client, auth, pollster="gamma", start=dt.date(2024, 2, 1), approve=41,
             questions=[{**approval_question(41, 49), "answers": approval_question(41, 49)["answers"][::2]}])
    body = trend(client, "?outcome=approve&decided_against=disapprove").get_json()
    for row in body["included"]:
        assert row["pct"] == pytest.approx(100 * row["published_pct"] / row["decided_pct"], abs=1e-3)
        assert row["n_eff"] == pytest.approx(1000 * row["decided_pct"] / 100, abs=1e-3)
    assert [e["reason"] for e in body["excluded"]] == [
        "no value for outcome 'disapprove' (needed for the decided-only share)"
    ]
    assert body["decided_against"] == "disapprove"


def test_population_preference_keeps_one_row_per_poll(client, auth, world):
    questions = [
        approval_question(44, 46, code="adults_q", population="adults"),
        approval_question(38, 52, code="lv_q", population="likely_voters"),
    ]
    poll = add_poll(client, auth, pollster="gamma", start=dt.date(2024, 2, 1), approve=0, questions=questions)
    body = trend(client, "?outcome=approve").get_json()
    row = next(r for r in body["included"] if r["poll_id"] == poll["id"])
    assert row["population"] == "adults" and row["pct"] == 44
    assert {"poll_id": poll["id"], "pollster": "gamma",
            "reason": "population 'likely_voters' not preferred (kept 'adults')"} in body["excluded"]
    body = trend(client, "?outcome=approve&population_preference=likely_voters").get_json()
    row = next(r for r in body["included"] if r["poll_id"] == poll["id"])
    assert row["population"] == "likely_voters" and row["pct"] == 38


def test_two_questions_for_the_same_population_count_once(client, auth, world):
    # A synthetic split-sample poll: two wordings of the question, both mapped, both of all adults.
    questions = [
        approval_question(44, 46, code="wording_a", base_n=400),
        approval_question(42, 48, code="wording_b", base_n=600),
    ]
    poll = add_poll(client, auth, pollster="gamma", start=dt.date(2024, 2, 1), approve=0, questions=questions)
    kept_question = next(q["id"] for q in poll["questions"] if q["code"] == "wording_b")
    body = trend(client, "?outcome=approve").get_json()
    row = next(r for r in body["included"] if r["poll_id"] == poll["id"])
    assert row["question_id"] == kept_question and row["n"] == 600, "the larger base is kept"
    assert {"poll_id": poll["id"], "pollster": "gamma",
            "reason": f"another question of this poll measures it for the same population (kept question "
                      f"{kept_question})"} in body["excluded"]


def test_decided_shares_summing_over_100_by_rounding(client, auth, world):
    question = approval_question(51, 50)
    question["answers"] = question["answers"][:2]  # 51 + 50 = 101: rounding, accepted by the store
    poll = add_poll(client, auth, pollster="gamma", start=dt.date(2024, 2, 1), approve=0, questions=[question])
    body = trend(client, "?outcome=approve&decided_against=disapprove").get_json()
    row = next(r for r in body["included"] if r["poll_id"] == poll["id"])
    assert row["pct"] == pytest.approx(100 * 51 / 101, abs=1e-3) and row["n_eff"] == pytest.approx(1000)
    assert any("more than 100%" in w for w in body["warnings"])


def test_overlapping_tracking_releases_are_dropped(client, auth, world):
    # A synthetic tracking poll re-reporting overlapping 7-day windows every 2 days.
    ids = [
        add_poll(client, auth, pollster="alpha", start=dt.date(2024, 2, 1) + dt.timedelta(days=2 * i), approve=42,
                 days=6, tracking=True)["id"]
        for i in range(3)
    ]
    body = trend(client, "?outcome=approve").get_json()
    dropped = {e["poll_id"] for e in body["excluded"] if "tracking" in e["reason"]}
    assert dropped == set(ids[:2]), "the newest release is kept, the overlapping older ones dropped"
    kept = trend(client, "?outcome=approve&drop_overlapping_tracking=false").get_json()
    assert not any("tracking" in e["reason"] for e in kept["excluded"])


def test_unknown_sample_sizes_are_filled_in_and_said(client, auth, world):
    poll = add_poll(client, auth, pollster="alpha", start=dt.date(2024, 2, 1), approve=43, sample_size=None)
    body = trend(client, "?outcome=approve").get_json()
    row = next(r for r in body["included"] if r["poll_id"] == poll["id"])
    assert row["n"] is None and row["n_source"] == "pollster median" and row["n_eff"] == 1000
    assert any("filled in" in w for w in body["warnings"])


def test_unknown_sample_size_with_no_known_pollster_n_uses_the_default(client, auth, world):
    client.post("/api/v1/pollsters", json={"slug": "delta", "name": "Synthetic delta"}, headers=auth)
    poll = add_poll(client, auth, pollster="delta", start=dt.date(2024, 2, 2), approve=40, sample_size=None)
    body = trend(client, "?outcome=approve&method=weighted&n_default=600").get_json()
    row = next(r for r in body["included"] if r["poll_id"] == poll["id"])
    assert row["n_source"] == "default" and row["n_eff"] == 600


def test_as_of_fills_unknown_n_only_from_polls_published_by_then(client, auth, world):
    client.post("/api/v1/pollsters", json={"slug": "delta", "name": "Synthetic delta"}, headers=auth)
    early = add_poll(client, auth, pollster="delta", start=dt.date(2024, 1, 2), approve=40, sample_size=None)
    add_poll(client, auth, pollster="delta", start=dt.date(2024, 2, 1), approve=40, sample_size=400)
    now = trend(client, "?outcome=approve&method=rolling").get_json()
    then = trend(client, "?outcome=approve&method=rolling&as_of=2024-01-25").get_json()
    row_now = next(r for r in now["included"] if r["poll_id"] == early["id"])
    row_then = next(r for r in then["included"] if r["poll_id"] == early["id"])
    assert (row_now["n_source"], row_now["n_eff"]) == ("pollster median", 400)
    assert (row_then["n_source"], row_then["n_eff"]) == ("default", 1000), "the later poll was not known then"
    assert any("n_default = 1000 for 1" in w for w in then["warnings"])


def test_repeat_request_is_served_from_the_cache_and_a_put_invalidates_it(client, auth, world, fit_calls):
    first = trend(client, "?outcome=approve")
    assert len(fit_calls) == 1 and first.headers["X-Cache"] == "miss"
    again = trend(client, "?outcome=approve")
    assert len(fit_calls) == 1, "no refit"
    assert again.headers["X-Cache"] == "hit" and again.get_data() == first.get_data()
    # Equivalent spellings of the same parameters share the entry.
    trend(client, "?outcome=approve&level=0.950&method=kalman&min_polls=5")
    assert len(fit_calls) == 1

    # Change only an answer of one member poll (a whole-document PUT, as an editor would).
    target = world[5]
    question = target["questions"][0]
    put_poll(client, auth, target, questions=[approval_question(60, 30)])
    changed = trend(client, "?outcome=approve")
    assert len(fit_calls) == 2 and changed.headers["X-Cache"] == "miss"
    assert changed.get_json()["data_version"] != first.get_json()["data_version"]
    row = next(r for r in changed.get_json()["included"] if r["poll_id"] == target["id"])
    assert row["pct"] == 60 and question["answers"][0]["pct"] != 60


def test_other_writes_invalidate_too(admin, client, auth, world, fit_calls):
    trend(client, "?outcome=approve")
    assert client.delete(f"/api/v1/polls/{world[0]['id']}", headers=if_match(client, f"/api/v1/polls/{world[0]['id']}", admin)).status_code == 204
    body = trend(client, "?outcome=approve").get_json()
    assert len(fit_calls) == 2 and body["n_polls_included"] == 11
    add_poll(client, auth, pollster="beta", start=dt.date(2024, 2, 1), approve=37)
    assert trend(client, "?outcome=approve").get_json()["n_polls_included"] == 12 and len(fit_calls) == 3


def test_if_none_match_gives_304_before_any_work(client, auth, world, fit_calls):
    first = trend(client, "?outcome=approve")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"'), "weak: computed_at may differ between two computations of the same numbers"
    not_modified = client.get(URL + "?outcome=approve", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.get_data() == b""
    assert not_modified.headers["ETag"] == etag
    assert not_modified.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert "Accept" in first.headers["Vary"]
    assert client.get(URL + "?outcome=approve", headers={"If-None-Match": "*"}).status_code == 304
    assert len(fit_calls) == 1
    # Different parameters, different representation.
    other = trend(client, "?outcome=approve&level=0.9")
    assert other.headers["ETag"] != etag
    # A write to a member poll changes the ETag.
    put_poll(client, auth, world[0], questions=[approval_question(50, 40)])
    assert client.get(URL + "?outcome=approve", headers={"If-None-Match": etag}).status_code == 200


def test_csv_matches_json(client, world):
    body = trend(client, "?outcome=approve").get_json()
    by_accept = trend(client, "?outcome=approve", headers={"Accept": "text/csv"})
    by_path = client.get(URL + ".csv?outcome=approve")
    assert by_accept.mimetype == by_path.mimetype == "text/csv"
    assert by_accept.get_data() == by_path.get_data()
    assert by_path.headers["X-Cache"] == "hit", "the CSV of a cached trend is cached too"
    assert by_accept.headers["ETag"] != trend(client, "?outcome=approve").headers["ETag"], "CSV is another representation"
    frame = pd.read_csv(io.StringIO(by_path.get_data(as_text=True)))
    expected = pd.DataFrame(body["grid"])
    assert list(frame.columns) == list(expected.columns)
    assert frame["date"].tolist() == expected["date"].tolist()
    pd.testing.assert_frame_equal(frame.drop(columns="date"), expected.drop(columns="date").astype(float))


def test_csv_route_validates_and_304s_like_json(client, world):
    body = assert_problem(client.get(URL + ".csv?outcome=approve&method=spline"), 422)
    assert "method" in error_parameters(body)
    first = client.get(URL + ".csv?outcome=approve")
    assert client.get(URL + ".csv?outcome=approve", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_fast_grid_records_equal_a_marshmallow_dump():
    # A small synthetic grid with a missing band value: the column-wise fast path gives the same JSON as
    # dumping the same rows through the documented schema.
    grid = pd.DataFrame({
        "date": pd.date_range("2024-01-01", periods=3, freq="D"),
        "estimate": [0.41234567, 0.4201, 0.43],
        "se": [0.01, float("nan"), 0.012],
        "lower": [0.39, float("nan"), 0.40648],
        "upper": [0.43, float("nan"), 0.45352],
    })
    fast = frame_records(grid, GRID_COLUMNS)
    rows = [
        {
            "date": day.date(),
            **{f"{name}_pct": (None if pd.isna(grid[name][i]) else round(grid[name][i] * 100, 4))
               for name in ("estimate", "se", "lower", "upper")},
        }
        for i, day in enumerate(grid["date"])
    ]
    slow = GridRowSchema(many=True).dump(rows)
    assert json.dumps(fast, sort_keys=True) == json.dumps(slow, sort_keys=True)
    assert fast[1]["se_pct"] is None and fast[0]["estimate_pct"] == 41.2346
    assert frame_records(grid, {"date": ("date", DATE), "x": ("estimate", PCT)}, digits=2)[2] == {
        "date": "2024-01-03", "x": 43.0}


@pytest.mark.parametrize("query", ["?outcome=approve", "?outcome=approve&decided_against=disapprove",
                                   "?outcome=approve&method=lowess", "?outcome=approve&method=rolling&as_of=2024-01-25"])
def test_served_trend_is_the_schema_dump_byte_for_byte(client, world, auth, query):
    # The body is built column by column and encoded with orjson (no marshmallow on the request path):
    # it must be exactly the documented schema's dump encoded the same way, so a wrong type (an int where
    # the schema says Float), a missing or extra field or another field order fails. (orjson, not Flask's
    # json: they spell some tiny floats of fitted_params differently, 2.7e-6 and 2.7e-06.) One poll
    # without a sample size adds the filled-in columns (no design effect).
    import orjson

    from pollapp.schemas.statistics_series_responses import TrendSchema

    add_poll(client, auth, pollster="alpha", start=dt.date(2024, 2, 5), approve=41, sample_size=None)
    body = trend(client, query).get_data()
    data = json.loads(body)
    for row in data["grid"]:
        row["date"] = dt.date.fromisoformat(row["date"])
    for row in data["included"]:
        for name in ("field_start_date", "field_end_date", "mid_date", "publication_date"):
            row[name] = row[name] and dt.date.fromisoformat(row[name])
    assert body == orjson.dumps(TrendSchema().dump(data))
    assert data["grid"] and data["included"]


def test_statistics_endpoints_are_documented(client):
    from openapi_spec_validator import validate

    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    paths = spec["paths"]
    for path in ("/api/v1/polls/{poll_id}/intervals", "/api/v1/compare", "/api/v1/series/{slug}/trend",
                 "/api/v1/series/{slug}/trend.csv", "/api/v1/series/{slug}/house-effects",
                 "/api/v1/series/{slug}/adjusted-points"):
        assert "422" in paths[path]["get"]["responses"], path
    trend_doc = paths["/api/v1/series/{slug}/trend"]["get"]
    assert set(trend_doc["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert "304" in trend_doc["responses"]
    names = {p["name"] for p in trend_doc["parameters"] if p["in"] == "query"}
    assert {"method", "outcome", "level", "as_of", "exclude_pollster", "population_preference", "decided_against",
            "min_polls", "drop_overlapping_tracking", "start_date", "end_date"} <= names
    assert "grid" in spec["components"]["schemas"]["Trend"]["properties"]
