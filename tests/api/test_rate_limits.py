"""Rate limits (pollapp.web.ratelimits): 429 problem+json with Retry-After once a class of requests
is over its limit, separate buckets per client address and per API key, the proxy setting, and
counters shared through Redis by two app instances.

Every test builds its own app with limits switched on (the shared test app has them off) and tiny
limits, on the database the ``app`` fixture has just reset.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest
from flask import Flask

from factories import PROBLEM, make_key, poll_doc
from redis_server import redis_server

POLLSTER = {"slug": "kiis", "name": "Kyiv International Institute of Sociology", "country": "UA"}


@pytest.fixture
def limited(more_apps) -> Callable[..., Flask]:
    """Builds apps on the test's database with rate limits on and the given config."""
    return lambda **config: more_apps(RATELIMIT_ENABLED=True, **config)


def assert_too_many(response) -> int:
    assert response.status_code == 429, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == 429 and body["title"] == "Too Many Requests"
    assert "limited to" in body["detail"] and "Traceback" not in body["detail"]
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 60
    assert response.headers["X-RateLimit-Remaining"] == "0"
    return retry_after


def test_anonymous_reads_are_limited_per_address_with_retry_after(limited):
    client = limited(LIMIT_ANONYMOUS_READS="3/minute").test_client()

    answers = [client.get("/api/v1/pollsters") for _ in range(3)]

    assert [r.status_code for r in answers] == [200, 200, 200]
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["2", "1", "0"]
    assert answers[0].headers["X-RateLimit-Limit"] == "3"
    assert "Retry-After" not in answers[0].headers  # only a 429 tells the client to wait
    assert_too_many(client.get("/api/v1/polls"))  # one bucket for every read, not per URL
    assert_too_many(client.get("/embed/series/none"))  # newsroom pages and images count as reads
    # a forged X-Forwarded-For does not buy a fresh bucket (no proxy is trusted by default)
    assert_too_many(client.get("/api/v1/pollsters", headers={"X-Forwarded-For": "203.0.113.9"}))
    # another address has its own bucket; health checks and static files are never limited
    other = client.get("/api/v1/pollsters", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code != 429
    static = client.get("/static/vendor/redoc/redoc.standalone.js")
    assert static.status_code == 200 and "X-RateLimit-Limit" not in static.headers
    static.close()


def test_a_read_key_gets_the_higher_limit(limited):
    app = limited(LIMIT_ANONYMOUS_READS="2/minute", LIMIT_KEY_READS="5/minute")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_key(app, 'read')}"}
    for _ in range(2):
        assert client.get("/api/v1/pollsters").status_code == 200
    assert_too_many(client.get("/api/v1/pollsters"))

    keyed = [client.get("/api/v1/pollsters", headers=headers) for _ in range(5)]

    assert [r.status_code for r in keyed] == [200] * 5
    assert keyed[0].headers["X-RateLimit-Limit"] == "5"
    assert_too_many(client.get("/api/v1/pollsters", headers=headers))
    # an unknown key is no key: it shares the address's anonymous bucket
    assert_too_many(client.get("/api/v1/pollsters", headers={"Authorization": "Bearer pa_00000000_nope"}))


def test_writes_are_limited_per_key_and_imports_more_strictly(limited):
    app = limited(LIMIT_WRITES="2/minute", LIMIT_IMPORTS="1/minute")
    client = app.test_client()
    first = {"Authorization": f"Bearer {make_key(app, 'write', 'first')}"}
    second = {"Authorization": f"Bearer {make_key(app, 'write', 'second')}"}

    assert client.post("/api/v1/pollsters", json=POLLSTER, headers=first).status_code == 201
    assert client.post("/api/v1/polls", json=poll_doc(), headers=first).status_code == 201
    assert_too_many(client.post("/api/v1/pollsters", json={**POLLSTER, "slug": "other"}, headers=first))
    assert client.get("/api/v1/pollsters/other").status_code == 404  # the refused write wrote nothing
    assert client.get("/api/v1/pollsters", headers=first).status_code == 200  # reads count apart

    assert client.post("/api/v1/pollsters", json={**POLLSTER, "slug": "other"}, headers=second).status_code == 201
    upload = {"file": (b"", "polls.csv")}
    assert client.post("/api/v1/imports", data=upload, headers=second).status_code == 422  # counted
    assert_too_many(client.post("/api/v1/imports", data={"file": (b"", "polls.csv")}, headers=second))
    assert client.post("/api/v1/pollsters", json={**POLLSTER, "slug": "third"}, headers=second).status_code == 201


def test_behind_a_configured_proxy_the_forwarded_address_and_scheme_count(limited):
    client = limited(LIMIT_ANONYMOUS_READS="1/minute", PROXY_COUNT=1).test_client()

    assert client.get("/api/v1/pollsters", headers={"X-Forwarded-For": "203.0.113.1"}).status_code == 200
    assert_too_many(client.get("/api/v1/pollsters", headers={"X-Forwarded-For": "203.0.113.1"}))
    secure = client.get("/api/v1/pollsters", headers={"X-Forwarded-For": "203.0.113.2", "X-Forwarded-Proto": "https"})
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_two_instances_share_their_counters_through_redis(limited):
    with redis_server() as url:
        first = limited(REDIS_URL=url, LIMIT_ANONYMOUS_READS="3/minute").test_client()
        assert [first.get("/api/v1/pollsters").status_code for _ in range(2)] == [200, 200]
        # a second instance (its own connection to Redis) sees the two reads already counted
        second = limited(REDIS_URL=url, LIMIT_ANONYMOUS_READS="3/minute").test_client()
        assert second.get("/api/v1/pollsters").headers["X-RateLimit-Remaining"] == "0"
        assert_too_many(second.get("/api/v1/pollsters"))
        assert_too_many(first.get("/api/v1/pollsters"))

        import redis

        stored = redis.Redis.from_url(url).keys("*")
        assert any(b"anonymous-read:ip:127.0.0.1" in key for key in stored), stored

    # control: in memory, a new instance starts from zero (which is why REDIS_URL exists)
    alone = limited(LIMIT_ANONYMOUS_READS="3/minute").test_client()
    alone.get("/api/v1/pollsters")
    fresh = limited(LIMIT_ANONYMOUS_READS="3/minute").test_client()
    assert fresh.get("/api/v1/pollsters").headers["X-RateLimit-Remaining"] == "2"



def test_an_unreachable_counter_store_serves_unlimited_and_logs_once(limited, monkeypatch):
    from pollapp.web import ratelimits

    with socket.socket() as probe:  # a port nothing listens on: every Redis call is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = limited(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/0", LIMIT_ANONYMOUS_READS="1/minute").test_client()
    logged: list[str] = []  # counted on the logger itself: other tests may reconfigure logging handlers
    monkeypatch.setattr(ratelimits.log, "exception", lambda message, *args: logged.append(message % args))

    answers = [client.get("/api/v1/pollsters") for _ in range(3)]

    assert [r.status_code for r in answers] == [200, 200, 200]
    assert all("X-RateLimit-Remaining" not in r.headers for r in answers)
    assert len(logged) == 1 and "Rate-limit store failed" in logged[0]


def test_in_memory_counters_restart_after_their_window_and_expired_ones_are_swept(monkeypatch):
    from pollapp.web.ratelimits import MemoryCounters

    now = [1000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    counters = MemoryCounters("memory://")
    counters.timer.cancel()
    first_timer = counters.timer

    assert [counters.incr("a", 60) for _ in range(3)] == [1, 2, 3]
    assert counters.incr("b", 10) == 1
    now[0] += 30  # b's window is over, a's is not
    assert counters.get("a") == 3 and counters.get("b") == 0
    assert counters.incr("b", 10) == 1  # a new window
    now[0] += counters.SWEEP_EVERY  # every window is over: the next count sweeps the other keys
    assert counters.incr("c", 60) == 1
    assert set(counters.storage) == {"c"} and set(counters.expirations) == {"c"}
    assert counters.timer is first_timer  # counting started no timer thread
