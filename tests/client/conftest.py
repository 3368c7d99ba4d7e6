"""The Python client tested against a LIVE pollapp server: the real app on 127.0.0.1 (a free port,
a werkzeug server in a thread), on a migrated database of its own loaded with the repository's real
data the way ``make run`` does (``flask db upgrade``, ``flask data load``). No mocks: every request
goes over TCP through the whole stack.

The seed is ``data/`` with the Putin-approval file cut to the polls of one year (2019: Levada
Center, FOM and VTsIOM, about 110 real polls, enough for house effects): the whole file's 1,364
polls take 9 s to load, over half the time these tests may add to a run. Everything else is loaded whole.

``seeded`` is one server per session that tests only READ; a module that writes builds its own with
:func:`live_server`. Each server records every request it answers (``seen``) so tests can check what
went over the wire (conditional requests, retries, headers).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from factories import make_key
from own_database import migrated_app

DATA = Path(__file__).resolve().parents[2] / "data"


@dataclasses.dataclass
class Live:
    app: Flask
    url: str
    seen: list[dict[str, Any]]
    write_key: str

    def requests_to(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.seen if r["path"] == path]


def _recording(app: Flask, seen: list[dict[str, Any]]) -> None:
    """Wrap the WSGI app: note each request's method, path, conditional headers and status."""
    inner = app.wsgi_app

    def wsgi(environ, start_response):
        entry = {
            "at": time.monotonic(),
            "method": environ["REQUEST_METHOD"],
            "path": environ.get("PATH_INFO", ""),
            "query": environ.get("QUERY_STRING", ""),
            "if_none_match": environ.get("HTTP_IF_NONE_MATCH"),
            "if_match": environ.get("HTTP_IF_MATCH"),
            "idempotency_key": environ.get("HTTP_IDEMPOTENCY_KEY"),
            "user_agent": environ.get("HTTP_USER_AGENT"),
        }

        def recording_start(status, headers, exc_info=None):
            entry["status"] = int(status.split()[0])
            entry["retry_after"] = dict(headers).get("Retry-After")
            seen.append(entry)
            return start_response(status, headers, exc_info)

        return inner(environ, recording_start)

    app.wsgi_app = wsgi


@contextlib.contextmanager
def serving(app: Flask) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Serve ``app`` on 127.0.0.1 (a free port) in a thread: yields its URL and the requests it saw."""
    seen: list[dict[str, Any]] = []
    _recording(app, seen)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="client-live-server",
                              daemon=True)  # a short poll: shutdown() waits for it
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


SEED_YEAR = "2019"


@pytest.fixture(scope="session")
def seed_dir(tmp_path_factory) -> Path:
    """``data/`` with the Putin-approval polls of :data:`SEED_YEAR` only (see the module docstring)."""
    target = tmp_path_factory.mktemp("client-seed")
    shutil.copytree(DATA, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("tools", "README.md"))
    source = DATA / "polls" / "putin_approval.csv"
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = [row for row in reader if row["field_end_date"].startswith(SEED_YEAR)]
        columns = reader.fieldnames
    assert rows, "no Putin-approval poll in the seed year"
    with (target / "polls" / source.name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return target


@contextlib.contextmanager
def live_server(directory: Path, label: str, seed: Path) -> Iterator[Live]:
    """A migrated app loaded with ``seed``, served on 127.0.0.1, with a ``write`` API key."""
    with migrated_app(directory, label) as app:
        loaded = app.test_cli_runner().invoke(args=["data", "load", str(seed)])
        assert loaded.exit_code == 0, loaded.output
        key = make_key(app, "write", "client-tests")
        with serving(app) as (url, seen):
            yield Live(app, url, seen, key)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory, seed_dir: Path) -> Iterator[Live]:
    """The session's read-only server (tests must not write to it)."""
    with live_server(tmp_path_factory.mktemp("client"), "client_reads", seed_dir) as live:
        yield live
