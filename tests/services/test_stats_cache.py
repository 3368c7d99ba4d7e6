"""The statistics services below the HTTP layer: the result cache, the series data version, the
sample-size rules, parameter normalisation and the stats-error mapping.

Polls are SYNTHETIC, created through the API (tests/stats_support.py) so that the data version is
exercised through the same writes a client makes.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete

import pollapp.stats.trend as stats_trend
from pollapp import repository, stats
from pollapp.exceptions import InsufficientData, InvalidInput
from pollapp.extensions import db
from pollapp.models import SeriesDataVersion
from pollapp.services import statistics
from pollapp.services import stats_inputs as si
from pollapp.services.cache import LRUCache

from factories import if_match
from stats_support import SERIES, add_poll, approval_question, build_world, put_poll


# ---------------------------------------------------------------- the cache


def test_lru_evicts_the_least_recently_used_entry():
    cache = LRUCache(max_entries=2)
    cache.set("a", b"1")
    cache.set("b", b"2")
    assert cache.get("a") == b"1"  # a is now the most recent
    cache.set("c", b"3")
    assert cache.get("b") is None and cache.get("a") == b"1" and cache.get("c") == b"3"
    assert (cache.hits, cache.misses) == (3, 1) and len(cache) == 2


def test_lru_is_bounded_in_bytes():
    cache = LRUCache(max_entries=100, max_bytes=10)
    cache.set("a", b"12345")
    cache.set("b", b"12345")
    cache.set("c", b"123")
    assert cache.get("a") is None and cache.size_bytes == 8
    cache.set("huge", b"x" * 11)  # larger than the whole cache: not stored, nothing evicted
    assert cache.get("huge") is None and cache.get("b") == b"12345"
    cache.set("b", b"1")  # replacing an entry accounts for its old size
    assert cache.size_bytes == 4
    cache.clear()
    assert len(cache) == 0 and cache.size_bytes == 0
    with pytest.raises(ValueError):
        LRUCache(max_entries=0)


# ---------------------------------------------------------------- option lists and sample sizes


def test_option_lists_match_the_statistics_package():
    from pollapp.stats import change, house_effects, intervals, trend
    from pollapp.stats.trend import kalman

    assert si.INTERVAL_METHODS == intervals.METHODS
    assert si.SIMULTANEOUS_METHODS == intervals.SIMULTANEOUS_METHODS
    assert si.TREND_METHODS == trend.TREND_METHODS
    assert set(si.TREND_HOUSE_EFFECTS) == set(kalman.HOUSE_CONSTRAINTS) - {"anchored"}
    assert si.TREND_HOUSE_METHODS == kalman.HOUSE_METHODS
    assert si.HOUSE_EFFECT_METHODS == house_effects.METHODS
    assert set(si.HOUSE_EFFECT_CONSTRAINTS) == set(house_effects.CONSTRAINTS) - {"anchored"}
    assert si.CHANGE_CI_METHODS == change.CI_METHODS and si.CHANGE_TEST_METHODS == change.TEST_METHODS
    # Every trend method's defaults are the stats functions' own defaults.
    import inspect

    for method, defaults in statistics.TREND_SETTINGS.items():
        signature = inspect.signature(getattr(trend, f"{method}_trend"))
        for name, value in defaults.items():
            assert signature.parameters[name].default == value, (method, name)


def resolve(**kw):
    base = {"sample_size": None, "base_n": None, "design_effect": None, "margin_of_error": None,
            "confidence_level": None}
    return si.resolve_sample(**(base | kw))


def test_sample_size_rules():
    from pollapp.stats.intervals import design_effect_from_moe

    assert resolve(sample_size=1000) == si.SampleInfo(1000, si.N_POLL, 1.0, si.DEFF_ASSUMED, 1000.0)
    assert resolve(sample_size=2000, base_n=500, design_effect=1.25).n_eff == 400
    assert resolve(sample_size=2000, base_n=500).n_source == si.N_QUESTION_BASE
    # The reported margin describes the whole sample: the design effect is backed out with the poll's n.
    info = resolve(sample_size=1000, base_n=400, margin_of_error=3.5)
    assert info.design_effect == pytest.approx(design_effect_from_moe(0.035, 1000))
    assert info.n_eff == pytest.approx(400 / info.design_effect)
    # A 90% margin is read at 90%.
    assert resolve(sample_size=1000, margin_of_error=3.0, confidence_level=90).design_effect == pytest.approx(
        design_effect_from_moe(0.03, 1000, level=0.9))
    # A rounded-down margin would claim better than simple random sampling: floored at 1.
    assert resolve(sample_size=1000, margin_of_error=3.0).design_effect == 1.0
    implied = resolve(margin_of_error=3.1)
    assert implied.n is None and implied.n_source == si.N_FROM_MOE
    assert implied.n_eff == pytest.approx(1.959964**2 * 0.25 / 0.031**2, rel=1e-6)
    assert resolve().n_eff is None and resolve(design_effect=1.5).n_eff is None


# ---------------------------------------------------------------- parameters and errors


def test_equivalent_parameters_normalise_to_one_key():
    a = statistics.trend_params(outcome="approve", exclude_pollster=["b", "a", "a"], level=0.95)
    b = statistics.trend_params(method="kalman", outcome="approve", exclude_pollster=["a", "b"], min_polls=5,
                                house_method="auto", frac=None)
    assert a == b and a.as_dict()["exclude_pollster"] == ["a", "b"]
    assert statistics.trend_params(outcome="approve", level=0.9) != a
    with pytest.raises(InvalidInput) as info:
        statistics.trend_params(outcome="approve", k=3)
    assert info.value.errors[0].parameter == "k" and "method=rolling" in info.value.detail


def test_stats_errors_become_domain_errors_naming_the_api_parameter():
    error = si.stats_error(stats.StatsInputError("start must not be after end", parameter="start"), ["start_date"])
    assert isinstance(error, InvalidInput) and error.status == 422
    assert error.errors[0].parameter == "start_date"
    data_error = si.stats_error(stats.StatsInputError("p must lie in [0, 1]", parameter="p"), ["start_date"])
    assert data_error.errors == [] and data_error.detail == "p must lie in [0, 1]"
    short = si.stats_error(stats.InsufficientDataError("2 usable", count=2, minimum=5, parameter="min_polls"),
                           ["min_polls"])
    assert isinstance(short, InsufficientData) and short.errors[0].parameter == "min_polls"


# ---------------------------------------------------------------- data version and service-level cache


@pytest.fixture
def world(client, auth):
    return build_world(client, auth, rounds=2)


def version(app):
    with app.app_context():
        return statistics.series_version(db.session, SERIES).digest


def test_data_version_changes_with_every_write_that_matters(admin, app, client, auth, world):
    v0 = version(app)
    assert version(app) == v0, "stable between reads"
    client.get(f"/api/v1/series/{SERIES}/trend?outcome=approve&min_polls=2")
    assert version(app) == v0, "reads do not change it"

    # Only an answer changes: the poll row itself is untouched, replace_poll still bumps updated_at.
    put_poll(client, auth, world[0], questions=[approval_question(55, 35)])
    v1 = version(app)
    assert v1 != v0

    poll = add_poll(client, auth, pollster="alpha", start=dt.date(2024, 3, 1), approve=41)
    v2 = version(app)
    assert v2 != v1

    question_id = poll["questions"][0]["id"]
    assert client.delete(f"/api/v1/series/{SERIES}/members/{question_id}", headers=if_match(client, f"/api/v1/series/{SERIES}/members/{question_id}", auth)).status_code == 204
    v3 = version(app)
    assert v3 == v1, "a content hash: taking the added poll out again gives the data of v1 again"

    assert client.delete(f"/api/v1/polls/{world[1]['id']}", headers=if_match(client, f"/api/v1/polls/{world[1]['id']}", admin)).status_code == 204
    v4 = version(app)
    assert v4 not in (v0, v1, v2)

    renamed = client.patch("/api/v1/pollsters/beta", json={"name": "Renamed synthetic beta"}, headers=if_match(client, "/api/v1/pollsters/beta", auth))
    assert renamed.status_code == 200, renamed.get_json()
    assert version(app) != v4


def test_raw_data_version_is_one_cheap_aggregate(app, world):
    with app.app_context():
        series = repository.series_by_slug(db.session, SERIES)
        raw = repository.series_data_version(db.session, series.id)
    updated, count, id_sum, last_poll, last_pollster = raw
    assert count == len(world) and id_sum == sum(p["id"] for p in world)
    assert updated is not None and last_poll is not None and last_pollster is not None


def test_service_cache_hit_does_not_refit(app, world, monkeypatch):
    calls = []
    real = stats_trend.fit_trend
    monkeypatch.setattr(stats_trend, "fit_trend", lambda *a, **k: calls.append(1) or real(*a, **k))
    cache = LRUCache()
    params = statistics.trend_params(outcome="approve", method="lowess", min_polls=3, frac=0.8)
    with app.app_context():
        first = statistics.series_trend(db.session, SERIES, params, cache=cache)
        second = statistics.series_trend(db.session, SERIES, params, cache=cache)
        uncached = statistics.series_trend(db.session, SERIES, params)
    assert (first.cached, second.cached, uncached.cached) == (False, True, False)
    assert second.body == first.body and len(calls) == 2
    assert first.data["method"] == "lowess" and first.data["parameters"]["frac"] == 0.8
    assert cache.hits == 1 and len(cache) == 2  # the full result (every day, every poll) and the default one


def test_an_edit_the_data_version_leaves_out_still_refits(app, client, auth, world):
    """A poll's confidence level is not a published point column, so editing only it leaves the data
    version as it was; but it sets the poll's effective sample size from its margin of error, so the
    trend must not be answered from the cache (its key moves with the series' fingerprint too)."""
    moe = add_poll(client, auth, pollster="alpha", start=dt.date(2024, 2, 20), approve=47, sample_size=None,
                   margin_of_error=1.5, confidence_level=95)
    cache = LRUCache()
    params = statistics.trend_params(outcome="approve", method="kalman", min_polls=3)
    with app.app_context():
        before = statistics.series_trend(db.session, SERIES, params, cache=cache).data
    url = f"/api/v1/polls/{moe['id']}"
    edited = client.patch(url, json={"confidence_level": 80}, headers=if_match(client, url, auth))
    assert edited.status_code == 200, edited.get_json()
    with app.app_context():
        after = statistics.series_trend(db.session, SERIES, params, cache=cache)
        fresh = statistics.series_trend(db.session, SERIES, params).data
    assert after.data["data_version"] == before["data_version"], "the published points did not change"
    assert not after.cached
    def n_eff(result):
        return next(p["n_eff"] for p in result["included"] if p["poll_id"] == moe["id"])

    assert n_eff(after.data) != n_eff(before) and n_eff(after.data) == n_eff(fresh)
    assert after.data["grid"] == fresh["grid"]


@pytest.mark.parametrize("selected", [{"outcome": "approve"}, {"outcome": "approve", "decided_against": "disapprove"}])
def test_an_uncached_version_and_the_statistics_read_the_series_once(app, world, monkeypatch, selected):
    params = statistics.trend_params(method="kalman", min_polls=3, **selected)
    with app.app_context():
        # No stored version (a 0.1.0 database, or a write path the store missed): hashed on read.
        db.session.execute(delete(SeriesDataVersion))
        db.session.commit()
        two_reads = statistics.series_trend(db.session, SERIES, params)  # version, then the statistics' rows
        fresh = LRUCache()
        with monkeypatch.context() as m:  # from here on, any second read of the series fails
            for name in ("series_outcome_rows", "series_outcome_stat_columns", "series_points_stream"):
                m.setattr(repository, name, lambda *a, **k: pytest.fail("the series was read twice"))
            version = statistics.series_version(db.session, SERIES, cache=fresh, selection=params.selection)
            one_read = statistics.series_trend(db.session, SERIES, params, cache=fresh, version=version)
        cached = statistics.series_version(db.session, SERIES, cache=fresh, selection=params.selection)
    assert version.rows is not None and version.digest == two_reads.data["data_version"]
    assert {r[2] for r in version.rows} == {o for o in selected.values()}, "only the outcomes used are kept"
    same = {k: v for k, v in one_read.data.items() if k != "computed_at"}
    assert same == {k: v for k, v in two_reads.data.items() if k != "computed_at"}
    assert cached.digest == version.digest and cached.rows is None, "a cached version reads nothing"


def test_house_effects_service_refuses_one_pollster(app, world):
    params = statistics.house_params(outcome="approve", exclude_pollster=["alpha", "beta"], min_polls=2)
    with app.app_context(), pytest.raises(InsufficientData):
        statistics.house_effects(db.session, SERIES, params)
