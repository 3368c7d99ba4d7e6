"""Scaling out (issue 7): two gunicorn instances (one sync worker each, separate processes and ports)
on ONE database (the test's: a SQLite file, or PostgreSQL in the PostgreSQL pass) and one Redis. A
write through one instance is visible through the other at once, with the ETag the first one serves:
the response caches of both are keyed by the database's data generation, so neither serves the
state it had cached before the write. Data: SYNTHETIC (stats_support)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from factories import make_key
from redis_server import redis_server
from stats_support import SERIES, build_world

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TREND = f"/api/v1/series/{SERIES}/trend?outcome=approve"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def instances(database_url: str, redis_url: str, count: int = 2) -> Iterator[list[str]]:
    """``count`` x ``gunicorn wsgi:app`` with one sync worker each on free ports (started together);
    yields their base URLs; killed afterwards."""
    env = {**{k: v for k, v in os.environ.items() if k != "POLLAPP_GENERATION_LEASE_MS"},  # production's lease
           "DATABASE_URL": database_url, "REDIS_URL": redis_url, "OPENBLAS_NUM_THREADS": "1",
           "POLLAPP_RATELIMIT_ENABLED": "false"}
    servers: list[subprocess.Popen] = []
    bases: list[str] = []
    try:
        for _ in range(count):
            port = _free_port()
            servers.append(subprocess.Popen(
                [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1", "wsgi:app"],
                cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))  # fmt: skip
            bases.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        for server, base in zip(servers, bases):
            while True:
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=5).close()
                    break
                except OSError:
                    assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                    time.sleep(0.1)
        yield bases
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def call(base: str, path: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None):
    request = urllib.request.Request(base + path, method=method, headers={"Content-Type": "application/json", **(headers or {})},
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_a_write_through_one_instance_is_seen_with_its_etag_through_the_other(app, client, auth):
    polls = build_world(client, auth, rounds=2)
    token = make_key(app, "write", "scale-out")
    poll_url = f"/api/v1/polls/{polls[0]['id']}"
    with ExitStack() as stack:
        redis_url = stack.enter_context(redis_server())
        database_url = app.config["SQLALCHEMY_DATABASE_URI"]
        one, two = stack.enter_context(instances(database_url, redis_url))

        status, headers, poll = call(two, poll_url)
        assert status == 200
        e1 = headers["ETag"]
        status, trend_headers, _ = call(two, TREND)
        assert status == 200
        assert call(two, poll_url)[1]["X-Cache"] == "hit" and call(two, TREND)[1]["X-Cache"] == "hit"
        assert call(one, poll_url)[1]["ETag"] == e1  # the first instance agrees (served from Redis)

        status, patched_headers, patched = call(one, poll_url, "PATCH", {"sample_size": poll["sample_size"] + 345},
                                                {"Authorization": f"Bearer {token}", "If-Match": e1})
        assert status == 200, patched

        status, headers, seen = call(two, poll_url)
        assert status == 200 and seen["sample_size"] == poll["sample_size"] + 345
        assert headers["ETag"] != e1 and headers["ETag"] == patched_headers["ETag"] == call(one, poll_url)[1]["ETag"]
        trends = [call(base, TREND)[1] for base in (two, one)]
        for moved in trends:
            assert moved["Pollapp-Data-Version"] != trend_headers["Pollapp-Data-Version"]
            assert moved["ETag"] != trend_headers["ETag"]
        assert trends[0]["ETag"] == trends[1]["ETag"]
        assert trends[0]["Pollapp-Data-Version"] == trends[1]["Pollapp-Data-Version"]
