"""The whole-response cache (pollapp.web.response_cache): a repeated public GET costs one SQL statement
(the data generation) and returns the same bytes and representation headers; a write is seen by the
next GET; errors are never stored; per-request headers are still added on hits; two instances share
entries through Redis and keep answering when Redis goes away. Data: SYNTHETIC (stats_support)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

import pollapp.stats.trend as stats_trend
from factories import create_sponsor, if_match
from pollapp.services import stats_cache
from pollapp.web import response_cache
from redis_server import redis_server
from stats_support import SERIES, build_world
from test_query_counts import counted

TREND = f"/api/v1/series/{SERIES}/trend?outcome=approve"
POINTS = f"/api/v1/series/{SERIES}/points"
EMBED = f"/embed/series/{SERIES}"
REPRESENTATION = ("Content-Type", "ETag", "Cache-Control", "Pollapp-Data-Version", "Link", "Vary",
                  "Content-Security-Policy")


@pytest.fixture
def world(client, auth) -> list[dict[str, Any]]:
    return build_world(client, auth, rounds=2)


def urls(world: list[dict[str, Any]]) -> list[str]:
    return [
        "/api/v1/polls?limit=3", f"/api/v1/polls/{world[0]['id']}", "/api/v1/pollsters", POINTS, TREND,
        f"/api/v1/series/{SERIES}", EMBED, f"/oembed?url=http://localhost{EMBED}&format=json",
    ]


def representation(response) -> dict[str, Any]:
    return {name: response.headers.get(name) for name in REPRESENTATION}


def test_every_get_route_is_cached_or_left_out_with_a_reason(app):
    gets = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}
    assert gets - set(response_cache.CACHED) - set(response_cache.NOT_CACHED) == set()
    assert set(response_cache.CACHED) - gets == set()
    assert set(response_cache.CACHED) & set(response_cache.NOT_CACHED) == set()


def test_a_repeated_get_runs_one_statement_and_returns_the_same_bytes(app, client, world):
    # Flask's own hits here; the hit path in front of them (pollapp.web.hit_path) has its tests
    app.config["RESPONSE_CACHE_HIT_PATH"] = "off"
    first = {}
    for url in urls(world):
        miss = client.get(url)
        assert miss.status_code == 200, (url, miss.get_data(as_text=True)[:500])
        with counted(app) as statements:
            hit = client.get(url)
        assert len(statements) == 1 and "data_generation" in statements[0], (url, statements)
        assert hit.status_code == 200 and hit.headers["X-Cache"] == "hit", url
        assert hit.get_data() == miss.get_data() and representation(hit) == representation(miss), url
        assert hit.headers.get("ETag") or "oembed" in url, url  # oEmbed answers carry no validator
        first[url] = hit

    app.config["RESPONSE_CACHE"] = "off"  # the benchmark's switch: every request computed again
    cache = app.extensions[response_cache.EXTENSION]
    hits, stores = cache.local.hits, cache.stores
    for url, hit in first.items():
        uncached = client.get(url)
        assert uncached.get_data() == hit.get_data() and representation(uncached) == representation(hit), url
    assert (cache.local.hits, cache.stores) == (hits, stores)


def test_a_write_is_seen_by_the_next_get_and_an_unrelated_one_refits_nothing(client, auth, world, monkeypatch):
    poll_url = f"/api/v1/polls/{world[0]['id']}"
    poll, trend = client.get(poll_url), client.get(TREND)
    assert client.get(poll_url).headers["X-Cache"] == "hit"

    patched = client.patch(poll_url, json={"sample_size": 1555}, headers=if_match(client, poll_url, auth))
    assert patched.status_code == 200, patched.get_json()
    after, trend_after = client.get(poll_url), client.get(TREND)
    assert after.get_json()["sample_size"] == 1555 and after.headers["ETag"] == patched.headers["ETag"]
    assert after.headers["ETag"] != poll.headers["ETag"]
    assert trend_after.headers["Pollapp-Data-Version"] != trend.headers["Pollapp-Data-Version"]
    assert trend_after.headers["ETag"] != trend.headers["ETag"]

    fits = []
    real = stats_trend.fit_trend
    monkeypatch.setattr(stats_trend, "fit_trend", lambda *a, **k: fits.append(1) or real(*a, **k))
    create_sponsor(client, auth, "unrelated")  # moves the generation, not this series' data
    again = client.get(TREND)
    assert again.status_code == 200 and fits == []
    assert again.get_data() == trend_after.get_data() and again.headers["ETag"] == trend_after.headers["ETag"]


def test_a_hit_answers_304_and_gets_the_per_request_headers(client, world):
    origin = {"Origin": "https://news.example"}
    miss = client.get(POINTS, headers=origin)
    hit = client.get(POINTS, headers=origin)
    assert hit.headers["X-Cache"] == "hit"
    for response in (miss, hit):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    not_modified = client.get(POINTS, headers={"If-None-Match": miss.headers["ETag"]})
    assert not_modified.status_code == 304 and not_modified.get_data() == b""
    assert not_modified.headers["X-Cache"] == "hit"
    assert not_modified.headers["ETag"] == miss.headers["ETag"] and not_modified.headers["Cache-Control"]

    page, page_hit = client.get(EMBED), client.get(EMBED)
    assert page_hit.headers["X-Cache"] == "hit"
    assert page_hit.headers["Content-Security-Policy"] == page.headers["Content-Security-Policy"]
    assert "frame-ancestors" in page_hit.headers["Content-Security-Policy"]


def test_errors_are_never_stored(app, client, world):
    for url in ("/api/v1/polls/999999", "/api/v1/polls?pollser=kiis", "/embed/series/nope", "/api/v1/series/nope/trend"):
        for _ in range(2):
            response = client.get(url)
            assert response.status_code >= 400 and response.headers.get("X-Cache") != "hit", url
    assert response_cache.EXTENSION not in app.extensions or app.extensions[response_cache.EXTENSION].stores == 0


@pytest.fixture
def build(more_apps) -> Any:
    """More app instances on the test's database (as more servers would be); their rate limits, when
    switched on, count in memory even when they share a Redis for the response cache."""
    return lambda **config: more_apps(RATELIMIT_STORAGE_URI="memory://", **config)


def test_hits_are_rate_limited_and_carry_the_limit_headers(build, world):
    client = build(RATELIMIT_ENABLED=True, LIMIT_ANONYMOUS_READS="3/minute").test_client()
    responses = [client.get(POINTS) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert responses[2].headers["X-Cache"] == "hit"
    assert [r.headers["X-RateLimit-Remaining"] for r in responses[:3]] == ["2", "1", "0"]


def test_two_instances_share_entries_through_redis_and_survive_its_loss(build, world):
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(redis_server())
        first, second = build(REDIS_URL=url), build(REDIS_URL=url)
        computed = first.test_client().get(TREND)
        assert computed.status_code == 200
        with counted(second) as statements:
            shared = second.test_client().get(TREND)
        assert shared.headers["X-Cache"] == "hit" and len(statements) == 1
        assert shared.get_data() == computed.get_data() and shared.headers["ETag"] == computed.headers["ETag"]
        assert second.extensions[response_cache.EXTENSION].remote_hits == 1
        stack.close()  # Redis stops

        assert second.test_client().get(POINTS).status_code == 200  # computed; storing in Redis fails quietly
        again = second.test_client().get(POINTS)
        assert again.status_code == 200 and again.headers["X-Cache"] == "hit"  # the local tier still serves
        assert first.test_client().get(f"/api/v1/series/{SERIES}").status_code == 200


def test_a_series_fitted_by_one_instance_is_not_refitted_by_another_after_a_write_elsewhere(
        build, world, client, auth, monkeypatch):
    """Whole responses are shared by data generation, which a write anywhere moves; the fitted trend is
    shared through Redis under the series' own data version, so the second instance, asked after a
    write that left this series alone, answers with the first instance's fit (same bytes), not a new one."""
    fits: list[int] = []
    fit = stats_trend.fit_trend
    monkeypatch.setattr(stats_trend, "fit_trend", lambda *args, **kw: fits.append(1) or fit(*args, **kw))
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(redis_server())
        first, second = build(REDIS_URL=url), build(REDIS_URL=url)
        computed = first.test_client().get(TREND)
        assert computed.status_code == 200 and fits == [1]
        create_sponsor(client, auth, "elsewhere")  # a new generation: no response is shared any more
        answered = second.test_client().get(TREND)
        assert answered.status_code == 200
        assert fits == [1] and answered.get_data() == computed.get_data()
        assert second.extensions[stats_cache.EXTENSION].remote_hits >= 1
        alone = build().test_client().get(TREND)  # an instance without Redis fits for itself
        assert alone.status_code == 200 and fits == [1, 1]
