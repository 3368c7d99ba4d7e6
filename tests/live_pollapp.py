"""A live pollapp server for tests that talk HTTP over TCP (the Python client's): the real app on
127.0.0.1 (a free port, a werkzeug server in a thread) on a migrated database of its own, loaded
the way ``make run`` does (``flask db upgrade``, ``flask data load``). Each server records every
request it answers (``seen``: method, path, query, conditional and idempotency headers, status,
Retry-After, time) so tests can check what went over the wire."""

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

from flask import Flask
from werkzeug.serving import make_server

from factories import make_key
from own_database import migrated_app

DATA = Path(__file__).resolve().parents[1] / "data"


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
def served_in_thread(app: Flask, *, threaded: bool = True) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port chosen by the OS) in a background thread; yields its URL.
    The one helper every test that talks HTTP over TCP to an in-process app uses."""
    server = make_server("127.0.0.1", 0, app, threaded=threaded)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server",
                              daemon=True)  # a short poll: shutdown() waits for it
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextlib.contextmanager
def serving(app: Flask) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Serve ``app`` like :func:`served_in_thread`: yields its URL and the requests it saw."""
    seen: list[dict[str, Any]] = []
    _recording(app, seen)
    with served_in_thread(app) as url:
        yield url, seen


SEED_YEAR = "2019"


def write_seed(target: Path) -> Path:
    """``data/`` copied to ``target`` with the Putin-approval polls of :data:`SEED_YEAR` only: real
    polls of three pollsters (Levada Center, FOM, VTsIOM: enough for house effects), about 110
    instead of 1,364, whose load takes 9 s."""
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
