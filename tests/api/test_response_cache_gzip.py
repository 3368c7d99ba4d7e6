"""Compressed variants in the whole-response cache (pollapp.web.response_cache): a request that accepts
gzip gets the stored gzip bytes (the identity body once inflated, byte for byte) with
``Content-Encoding: gzip``, its own strong ETag and the right Content-Length; ``Vary: Accept-Encoding``
on every cached view's response; ``If-None-Match`` with either ETag is a 304; small bodies and PNGs
are not compressed; the entry bound counts the variants. Data: SYNTHETIC (stats_support)."""

from __future__ import annotations

import contextlib
import gzip
from typing import Any

import pytest
from flask import Flask

from pollapp import create_app
from pollapp.extensions import db
from pollapp.services import response_cache as store
from pollapp.web import response_cache
from redis_server import redis_server
from stats_support import SERIES, build_world

GZIP = {"Accept-Encoding": "gzip, deflate, br"}
TREND = f"/api/v1/series/{SERIES}/trend?outcome=approve"
POINTS = f"/api/v1/series/{SERIES}/points"
EMBED = f"/embed/series/{SERIES}"


@pytest.fixture
def world(client, auth) -> list[dict[str, Any]]:
    return build_world(client, auth, rounds=2)


def vary(response) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("Vary", "").split(",") if v.strip()}


def test_gzip_variant_inflates_to_the_identity_body_with_its_own_etag(client, world):
    cases = [("/api/v1/polls?limit=6", {}), (POINTS, {}), (TREND, {}), (TREND, {"Accept": "text/csv"}), (EMBED, {})]
    for url, extra in cases:
        compressed_miss = client.get(url, headers={**GZIP, **extra})  # computed, stored, served compressed
        identity = client.get(url, headers=extra)
        compressed = client.get(url, headers={**GZIP, **extra})
        assert identity.status_code == compressed.status_code == compressed_miss.status_code == 200, url
        assert compressed.headers["X-Cache"] == identity.headers["X-Cache"] == "hit", url

        body = identity.get_data()
        assert len(body) >= store.MIN_COMPRESS_BYTES and "Content-Encoding" not in identity.headers, url
        for response in (compressed_miss, compressed):
            assert response.headers["Content-Encoding"] == "gzip", url
            assert gzip.decompress(response.get_data()) == body, url
            assert int(response.headers["Content-Length"]) == len(response.get_data()) < len(body), url
            assert response.headers["ETag"] == identity.headers["ETag"][:-1] + '-gzip"', url
            assert response.headers["ETag"].startswith("W/") == identity.headers["ETag"].startswith("W/")
            for name in ("Content-Type", "Cache-Control", "Vary"):
                assert response.headers[name] == identity.headers[name], (url, name)
        assert compressed.get_data() == compressed_miss.get_data(), url
        assert int(identity.headers["Content-Length"]) == len(body), url
        assert "accept-encoding" in vary(identity), url
        assert "accept" in vary(identity) or url != TREND, url  # the trend's JSON or CSV follows Accept


def test_if_none_match_with_either_etag_is_a_304_naming_the_etag_it_matched(app, client, world):
    identity, compressed = client.get(POINTS), client.get(POINTS, headers=GZIP)
    plain_tag, gzip_tag = identity.headers["ETag"], compressed.headers["ETag"]
    assert plain_tag != gzip_tag

    def revalidate(tag: str, headers: dict[str, str]) -> Any:
        return client.get(POINTS, headers={**headers, "If-None-Match": tag})

    for _ in range(2):  # a hit, then a miss (the entry gone, as after an eviction)
        for tag, headers in ((gzip_tag, GZIP), (plain_tag, GZIP), (plain_tag, {})):
            not_modified = revalidate(tag, headers)
            assert not_modified.status_code == 304 and not_modified.get_data() == b""
            assert not_modified.headers["ETag"] == tag and "accept-encoding" in vary(not_modified)
            assert not_modified.headers["Cache-Control"]
        star = revalidate("*", GZIP)
        assert star.status_code == 304 and star.headers["ETag"] == gzip_tag
        # the gzip ETag names nothing a client without gzip can be served
        refused = revalidate(gzip_tag, {})
        assert refused.status_code == 200 and refused.get_data() == identity.get_data()
        app.extensions[response_cache.EXTENSION].local.clear()


def test_no_gzip_for_small_bodies_png_head_or_a_refusing_client(client, world):
    small = client.get("/api/v1/pollsters?limit=1", headers=GZIP)
    assert small.status_code == 200 and len(small.get_data()) < store.MIN_COMPRESS_BYTES
    assert "Content-Encoding" not in small.headers and "accept-encoding" in vary(small)

    png_url = f"/charts/series/{SERIES}.png?width=300&height=200"
    client.get(png_url)
    png = client.get(png_url, headers=GZIP)
    assert png.status_code == 200 and png.mimetype == "image/png" and png.headers["X-Cache"] == "hit"
    assert "Content-Encoding" not in png.headers and png.get_data().startswith(b"\x89PNG")
    assert "accept-encoding" in vary(png)

    for refusal in ("gzip;q=0, br", "identity", "br"):
        refused = client.get(POINTS, headers={"Accept-Encoding": refusal})
        assert refused.status_code == 200 and "Content-Encoding" not in refused.headers, refusal
    head = client.head(POINTS, headers=GZIP)
    compressed = client.get(POINTS, headers=GZIP)
    assert head.headers["Content-Encoding"] == "gzip" and head.get_data() == b""
    assert head.headers["Content-Length"] == compressed.headers["Content-Length"]


def test_the_entry_bound_counts_the_variants_and_keeps_gzip_alone_when_only_it_fits(app, client, world):
    app.config["RESPONSE_CACHE_HIT_PATH"] = "off"  # the lookups counted below are Flask's path's
    identity = client.get(POINTS)
    cache = app.extensions[response_cache.EXTENSION]
    entry = next(iter(cache.local._data.values()))
    assert entry.gzip is not None and len(entry) == len(entry.body) + len(entry.gzip) + sum(
        len(k) + len(v) for k, v in entry.headers)
    assert cache.local.size_bytes == len(entry)
    assert store.Entry.decode(entry.encode()) == entry
    assert store.Entry.decode(entry.gzip_only().encode()) == entry.gzip_only()

    cache.local.clear()
    cache.max_entry_bytes = len(entry.gzip) + 4096  # the identity body (about 10x larger) does not fit
    client.get(POINTS, headers=GZIP)
    stored = next(iter(cache.local._data.values()))
    assert stored.body is None and stored.gzip == entry.gzip and cache.local.size_bytes == len(stored)
    hits = cache.local.hits
    compressed = client.get(POINTS, headers=GZIP)
    assert compressed.headers["X-Cache"] == "hit" and gzip.decompress(compressed.get_data()) == identity.get_data()
    computed = client.get(POINTS)  # no gzip: computed, as before variants, and nothing stored over it
    assert computed.get_data() == identity.get_data() and computed.headers["ETag"] == identity.headers["ETag"]
    assert "accept-encoding" in vary(computed) and cache.local.hits == hits + 2
    assert next(iter(cache.local._data.values())) is stored


def test_instances_share_the_gzip_variant_through_redis(app: Flask, world):
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(redis_server())
        built = [create_app({
            "TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SQLALCHEMY_ENGINE_OPTIONS": app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": url,
        }) for _ in range(2)]  # fmt: skip
        try:
            computed = built[0].test_client().get(TREND)
            shared = built[1].test_client().get(TREND, headers=GZIP)
            assert shared.headers["X-Cache"] == "hit" and built[1].extensions[response_cache.EXTENSION].remote_hits == 1
            assert gzip.decompress(shared.get_data()) == computed.get_data()
            assert shared.headers["ETag"] == computed.headers["ETag"][:-1] + '-gzip"'
        finally:
            for each in built:
                with each.app_context():
                    db.session.remove()
                    db.engine.dispose()


def test_an_if_match_with_the_gzip_etag_names_the_same_version(client, auth, world):
    url = f"/api/v1/polls/{world[0]['id']}"
    read = client.get(url, headers=GZIP)
    assert read.headers["ETag"].endswith('-gzip"')  # what requests, browsers and CDNs are given
    patched = client.patch(url, json={"sample_size": 1234}, headers={**auth, "If-Match": read.headers["ETag"]})
    assert patched.status_code == 200, patched.get_json()
    stale = client.patch(url, json={"sample_size": 1235}, headers={**auth, "If-Match": read.headers["ETag"]})
    assert stale.status_code == 412
