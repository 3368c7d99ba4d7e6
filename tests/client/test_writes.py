"""The client's writes and its HTTP manners on a live server of this module's own (it writes):
keys, Idempotency-Key on every POST, If-Match on updates (412 when stale), file imports (dry run
and real), and retries of 429 that honour Retry-After on a server with tiny rate limits."""

from __future__ import annotations

import contextlib
import csv
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

from factories import make_key, poll_doc
from pollapp import create_app
from pollapp.client import (
    Client,
    Forbidden,
    InvalidInput,
    PreconditionFailed,
    RateLimited,
    Unauthorized,
)
from pollapp.extensions import db

from live_pollapp import Live, live_server, serving

CONCESSIONS = "ukraine-territorial-concessions"


@pytest.fixture(scope="module")
def live(tmp_path_factory, seed_dir: Path) -> Iterator[Live]:
    """The seed without the Ukraine-war polls (this module imports them through the client)."""
    seed = tmp_path_factory.mktemp("client-writes-seed")
    shutil.copytree(seed_dir, seed, dirs_exist_ok=True, ignore=shutil.ignore_patterns("ukraine_war.csv"))
    with live_server(tmp_path_factory.mktemp("client-writes"), "client_writes", seed) as server:
        yield server


@pytest.fixture(scope="module")
def api(live: Live) -> Client:
    return Client(live.url, api_key=live.write_key)


@pytest.fixture(scope="module")
def concessions_csv(seeded: Live, tmp_path_factory) -> Path:
    """The territorial-concessions polls in pollapp's CSV layout, as the read-only server exports them."""
    response = requests.get(f"{seeded.url}/api/v1/polls.csv", params={"series": CONCESSIONS}, timeout=60)
    response.raise_for_status()
    path = tmp_path_factory.mktemp("exported") / "concessions.csv"
    path.write_bytes(response.content)
    return path


def test_import_file_dry_run_reports_and_writes_nothing_then_imports(api, live, concessions_csv):
    assert api.polls(pollster="kiis").empty

    dry = api.import_file(concessions_csv)

    assert dry["dry_run"] is True and dry["counts"]["polls"]["created"] == 11
    assert api.polls(pollster="kiis").empty
    done = api.import_file(concessions_csv, dry_run=False, reason="client test import")
    assert done["dry_run"] is False and done["counts"]["polls"]["created"] == 11
    assert len(api.polls(pollster="kiis")) == 11
    posts = [r for r in live.requests_to("/api/v1/imports") if r["method"] == "POST"]
    assert len(posts) == 2 and all(r["idempotency_key"] for r in posts)
    assert posts[0]["idempotency_key"] != posts[1]["idempotency_key"]


def test_a_bad_file_raises_invalid_input_listing_each_problem_and_writes_nothing(api, tmp_path, concessions_csv):
    with concessions_csv.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows, columns = list(reader), reader.fieldnames
    for row in rows:  # every row of the first poll (one row per answer)
        if row["poll_key"] == rows[0]["poll_key"]:
            row["field_end_date"] = "not-a-date"
    path = tmp_path / "broken.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    before = len(api.polls())

    with pytest.raises(InvalidInput) as caught:
        api.import_file(path, dry_run=False)

    assert caught.value.status == 422, caught.value.errors
    assert any(e.get("row") == 2 and e.get("column") == "field_end_date" for e in caught.value.errors), caught.value.errors
    assert len(api.polls()) == before


def test_writes_need_a_key_with_the_write_scope(live):
    with pytest.raises(Unauthorized) as anonymous:
        Client(live.url).create_poll(poll_doc())
    with pytest.raises(Forbidden) as read_only:
        Client(live.url, api_key=make_key(live.app, "read", "client-read")).create_poll(poll_doc())

    assert anonymous.value.status == 401 and read_only.value.status == 403
    assert read_only.value.detail


def test_create_poll_sends_an_idempotency_key_and_returns_the_poll(api, live):
    created = api.create_poll(poll_doc(source="client-test", source_id="create-1"), reason="client test")

    assert created["id"] > 0 and created["pollster"]["slug"] == "kiis"
    assert api.poll(created["id"])["questions"][0]["code"] == "peace_closer"
    (post,) = [r for r in live.requests_to("/api/v1/polls") if r["method"] == "POST" and r["status"] == 201][-1:]
    assert post["idempotency_key"]


def test_update_poll_sends_if_match_and_a_stale_one_is_precondition_failed(api, live):
    created = api.create_poll(poll_doc(source="client-test", source_id="update-1"))
    stale = requests.get(f"{live.url}/api/v1/polls/{created['id']}", timeout=30).headers["ETag"]

    updated = api.update_poll(created["id"], {"sample_size": 1001}, reason="corrected sample size")

    assert updated["sample_size"] == 1001
    patch = [r for r in live.requests_to(f"/api/v1/polls/{created['id']}") if r["method"] == "PATCH"][-1]
    assert patch["if_match"] == stale and patch["status"] == 200
    with pytest.raises(PreconditionFailed) as caught:
        api.update_poll(created["id"], {"sample_size": 1002}, if_match=stale)
    assert caught.value.status == 412 and "changed since you read it" in caught.value.detail
    assert api.poll(created["id"])["sample_size"] == 1001


@pytest.fixture
def limited_server(live: Live) -> Iterator[Callable[..., Live]]:
    """``limited_server(**limits)``: this module's database served by a second app whose rate limits
    are on, with the given limits and a moving window (three quick requests are always over
    "2/second"; a fixed window could restart between the second and the third)."""
    with contextlib.ExitStack() as stack:

        def start(**limits: str) -> Live:
            app = create_app({
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": live.app.config["SQLALCHEMY_DATABASE_URI"],
                "SQLALCHEMY_ENGINE_OPTIONS": live.app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
                "RATELIMIT_ENABLED": True,
                "RATELIMIT_STRATEGY": "moving-window",
                **limits,
            })
            stack.callback(_dispose, app)
            url, seen = stack.enter_context(serving(app))
            return Live(app, url, seen, live.write_key)

        yield start


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def limited(limited_server) -> Live:
    # windows of 3 s, not 1: on a loaded CI machine two requests meant for one window were once more
    # than a second apart, and the second found a fresh window (201 where a 429 was expected)
    return limited_server(LIMIT_ANONYMOUS_READS="2 per 3 seconds", LIMIT_WRITES="1 per 3 seconds")


def assert_waited_as_told(requests_seen: list[dict]) -> None:
    """After each 429, the next request came no sooner than its Retry-After said."""
    for answered, retry in zip(requests_seen, requests_seen[1:]):
        if answered["status"] == 429:
            assert retry["at"] - answered["at"] >= int(answered["retry_after"]), requests_seen


def test_429_is_retried_after_retry_after(limited):
    api = Client(limited.url, cache_size=0)

    frames = [api.series() for _ in range(3)]

    seen = limited.requests_to("/api/v1/series")
    statuses = [r["status"] for r in seen]
    # the third read is over the limit and retried until the window lets it through (Retry-After is
    # whole seconds rounded down, so it may take a second 429 after a "0")
    assert statuses[:3] == [200, 200, 429] and statuses[-1] == 200 and set(statuses[2:-1]) == {429}
    assert api.http.stats["retries"] == statuses.count(429) <= 2
    assert_waited_as_told(seen)
    assert all(len(f) == 7 for f in frames)


def test_a_retried_post_keeps_its_idempotency_key_and_creates_once(limited):
    api = Client(limited.url, api_key=limited.write_key)

    first = api.create_poll(poll_doc(source="client-test", source_id="limited-1"))
    second = api.create_poll(poll_doc(source="client-test", source_id="limited-2"))

    posts = [r for r in limited.requests_to("/api/v1/polls") if r["method"] == "POST"]
    statuses = [r["status"] for r in posts]
    assert statuses[:2] == [201, 429] and statuses[-1] == 201 and set(statuses[1:-1]) == {429}
    assert len({r["idempotency_key"] for r in posts[1:]}) == 1  # every retry is the same attempt
    assert posts[1]["idempotency_key"] != posts[0]["idempotency_key"]
    assert_waited_as_told(posts)
    assert first["id"] != second["id"] and second["source_id"] == "limited-2"


def test_a_wait_longer_than_allowed_raises_rate_limited_at_once(limited_server):
    server = limited_server(LIMIT_ANONYMOUS_READS="2/minute")
    api = Client(server.url, max_retry_wait=5, cache_size=0)
    api.series()
    api.series()

    with pytest.raises(RateLimited) as caught:
        api.series()

    assert caught.value.status == 429 and "limited to 2/minute" in caught.value.detail
    assert 5 < caught.value.retry_after <= 60
    assert api.http.stats["retries"] == 0
    assert [r["status"] for r in server.requests_to("/api/v1/series")] == [200, 200, 429]
