"""Cached hits answered before Flask (pollapp.web.hit_path): the same status, bytes and headers as Flask's
own hit for every representation and variant, the rate limit counted once in the same bucket (and
its 429 answered by Flask), nothing served across a write, and Flask's path for what the hit path
must not answer (keys, conditional requests, HEAD, an unreadable generation). Data: SYNTHETIC
(stats_support)."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from factories import create_sponsor, if_match
from pollapp.extensions import db
from pollapp.repository import CommittedGenerationReader, committed_data_generation
from pollapp.web import hit_path
from stats_support import SERIES, build_world
from test_query_counts import counted

TREND = f"/api/v1/series/{SERIES}/trend?outcome=approve"
POINTS = f"/api/v1/series/{SERIES}/points"
EMBED = f"/embed/series/{SERIES}"
#: The rate-limit headers whose values move with every request.
MOVING = {"x-ratelimit-remaining", "x-ratelimit-reset"}


@pytest.fixture
def world(client, auth) -> list[dict[str, Any]]:
    return build_world(client, auth, rounds=2)


@pytest.fixture
def limited(more_apps) -> Callable[..., Flask]:
    """Apps on the test's database with rate limits on (the shared test app has them off)."""
    return lambda **config: more_apps(**{"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                                         "LIMIT_ANONYMOUS_READS": "1000/minute", **config})


def hits(app: Flask) -> int:
    return hit_path.recorded_of(app).hits


def comparable(response) -> tuple[int, bytes, list[tuple[str, str]]]:
    headers = sorted((k.lower(), "" if k.lower() in MOVING else v) for k, v in response.headers.items())
    return response.status_code, response.get_data(), headers


def test_a_hit_path_answer_equals_flasks_hit_for_every_representation(limited, world):
    app = limited()
    client = app.test_client()
    gzip_ok, origin, csv = {"Accept-Encoding": "gzip, deflate"}, {"Origin": "https://news.example"}, {"Accept": "text/csv"}
    cases = [
        (POINTS, {}), (POINTS, gzip_ok), (POINTS, origin), (TREND, {}), (TREND, csv), (TREND, {**csv, **gzip_ok}),
        ("/api/v1/polls?limit=3", gzip_ok), (f"/api/v1/polls/{world[0]['id']}", {}), (EMBED, {}), (EMBED, gzip_ok),
        (f"/charts/series/{SERIES}.png", {}), ("/", gzip_ok), (f"/oembed?url=http://localhost{EMBED}&format=json", origin),
        (f"/api/v1/series/{SERIES}/datapackage.json", {}),
    ]
    for url, headers in cases:
        computed = client.get(url, headers=headers)
        assert computed.status_code == 200, (url, computed.get_data(as_text=True)[:300])
        before = hits(app)
        fast = client.get(url, headers=headers)  # the computed response was stored, and recorded
        assert hits(app) == before + 1, url
        app.config["RESPONSE_CACHE_HIT_PATH"] = "off"
        flask_hit = client.get(url, headers=headers)  # Flask's own hit, from the same entry
        app.config["RESPONSE_CACHE_HIT_PATH"] = True
        assert hits(app) == before + 1 and flask_hit.headers["X-Cache"] == "hit", url
        assert comparable(fast) == comparable(flask_hit), (url, headers)
        assert int(fast.headers["X-RateLimit-Remaining"]) == int(flask_hit.headers["X-RateLimit-Remaining"]) + 1
        if fast.headers.get("Content-Encoding") == "gzip":
            assert gzip.decompress(fast.get_data()) == client.get(url, headers={
                k: v for k, v in headers.items() if k != "Accept-Encoding"}).get_data()
    # the HTTPS view of the same URL is another representation (HSTS): recorded separately
    secure = client.get(POINTS, base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] and "Strict-Transport-Security" not in client.get(POINTS).headers


def test_the_rate_limit_is_counted_once_and_its_429_is_flasks(limited, world):
    app = limited(LIMIT_ANONYMOUS_READS="4/minute")
    client = app.test_client()
    answers = [client.get(POINTS) for _ in range(5)]
    assert [r.status_code for r in answers] == [200, 200, 200, 200, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["3", "2", "1", "0", "0"]
    assert hits(app) == 3  # the first was computed, the fifth counted here and refused by Flask
    refused = answers[-1]
    assert refused.mimetype == "application/problem+json" and "limited to 4/minute" in refused.get_json()["detail"]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # another address has its own bucket on the hit path too
    other = client.get(POINTS, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 200 and other.headers["X-RateLimit-Remaining"] == "3" and hits(app) == 4


def test_behind_a_proxy_the_bucket_is_the_forwarded_address(limited, world):
    app = limited(LIMIT_ANONYMOUS_READS="3/minute", PROXY_COUNT=1)
    client = app.test_client()
    for address in ("203.0.113.1", "203.0.113.2"):
        answers = [client.get(POINTS, headers={"X-Forwarded-For": address}) for _ in range(4)]
        assert [r.status_code for r in answers] == [200, 200, 200, 429], address
    assert hits(app) >= 1


def test_nothing_recorded_before_a_write_is_served_after_it(app, client, auth, world):
    poll_url = f"/api/v1/polls/{world[0]['id']}"
    for _ in range(3):
        before = client.get(poll_url)
    assert hits(app) == 2
    precondition = if_match(client, poll_url, auth)
    served = hits(app)
    patched = client.patch(poll_url, json={"sample_size": 1555}, headers=precondition)
    assert patched.status_code == 200, patched.get_json()
    after = client.get(poll_url)
    assert hits(app) == served and after.get_json()["sample_size"] == 1555
    assert after.headers["ETag"] == patched.headers["ETag"] != before.headers["ETag"]
    create_sponsor(client, auth, "unrelated")  # another generation: Flask's path first, then the hit path
    for _ in range(3):
        again = client.get(poll_url)
    assert hits(app) == served + 2 and again.get_data() == after.get_data()


def test_a_hit_reads_the_generation_once_and_nothing_through_the_pool(app, client, world, monkeypatch):
    client.get(POINTS)
    reads = []
    reader = app.wsgi_app.reader
    real = reader.read
    monkeypatch.setattr(reader, "read", lambda: reads.append(1) or real())
    with counted(app) as statements:
        hit = client.get(POINTS)
    assert hit.headers["X-Cache"] == "hit" and hits(app) == 1
    assert reads == [1] and statements == []


def test_keys_conditional_requests_and_head_go_through_flask(app, client, auth, world):
    for _ in range(2):
        first = client.get(POINTS)
    assert hits(app) == 1
    not_modified = client.get(POINTS, headers={"If-None-Match": first.headers["ETag"]})
    keyed = client.get(POINTS, headers=auth)
    head = client.head(POINTS)
    assert not_modified.status_code == 304 and not_modified.headers["ETag"] == first.headers["ETag"]
    assert keyed.status_code == 200 and keyed.get_data() == first.get_data()
    assert head.status_code == 200 and head.get_data() == b""
    assert hits(app) == 1


def test_an_unreadable_generation_or_the_switch_leaves_it_to_flask(app, client, world, monkeypatch):
    for _ in range(2):
        first = client.get(POINTS)
    assert hits(app) == 1

    def broken() -> int:
        raise OSError("connection lost")

    monkeypatch.setattr(app.wsgi_app.reader, "read", broken)
    answered = client.get(POINTS)
    assert answered.status_code == 200 and answered.get_data() == first.get_data() and hits(app) == 1
    monkeypatch.undo()
    app.config["RESPONSE_CACHE_HIT_PATH"] = "0"
    assert client.get(POINTS).headers["X-Cache"] == "hit" and hits(app) == 1
    app.config["RESPONSE_CACHE_HIT_PATH"] = True
    app.config["RESPONSE_CACHE"] = "off"
    assert "X-Cache" not in client.get(POINTS).headers and hits(app) == 1


def test_the_reader_sees_each_commit_and_reconnects_after_dispose(app, client, auth, world):
    with app.app_context():
        engine = db.engine
        reader = CommittedGenerationReader(engine)
        assert reader.read() == committed_data_generation(db.session)
        create_sponsor(client, auth, "moves-the-generation")
        db.session.remove()
        assert reader.read() == committed_data_generation(db.session) and reader.connects == 1
        engine.dispose()  # as a test's reset or a pool recycle does: closed, and a new one next time
        assert reader.read() == committed_data_generation(db.session) and reader.connects == 2
        engine.dispose()
        db.session.remove()


def test_threads_share_the_readers_one_connection(app, world):
    """A threaded server starts a thread per request: the reader must not open (and leak) a connection
    for each of them (on PostgreSQL that exhausted max_connections)."""
    with app.app_context():
        engine = db.engine
        expected = committed_data_generation(db.session)
        db.session.remove()
    reader = CommittedGenerationReader(engine)
    seen: list[int] = []
    for _ in range(3):
        threads = [threading.Thread(target=lambda: seen.append(reader.read())) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert seen == [expected] * 24 and reader.connects == 1
    engine.dispose()
