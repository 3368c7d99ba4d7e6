"""Imports are one transaction: SIGKILL in the middle of a large import leaves the database exactly as
it was, through the server (gunicorn, ``POST /api/v1/imports``) and through ``flask data import``.

The file is SYNTHETIC (``bench/synthetic.py`` ``write_fte_csv``: every name says "Synthetic"): 8,000
rows in FiveThirtyEight's layout, 6,000 polls: more than ``bulk_polls.ANALYZE_AFTER``, so the
PostgreSQL import runs its ANALYZE inside the transaction too, and two of the fast path's write steps
(``imports_fte_fast_documents.CHUNK_POLLS`` new polls each), so the import is still writing well after the first
writes show (the fast path writes 1,500 rows in a fraction of a second). The kill is made to land mid-import,
and the test asserts it did: the process is still running and its transaction has already written
(PostgreSQL: its backend holds a transaction id, ``pg_stat_activity.backend_xid``; SQLite: the
rollback journal exists, and is still there after the kill, hot). Then the tables are compared with
their contents before, row by row, SQLite's integrity check passes, and the same import succeeds.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, make_url, text

from factories import make_key
from own_database import SERVER_URL, migrated_app, table_contents

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ROWS, BASE_ROWS = 8_000, 150
APP_NAME = "pollapp-crash-test"
WAIT_S = 60


def _synthetic():
    spec = importlib.util.spec_from_file_location("bench_synthetic", ROOT / "bench" / "synthetic.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Target:
    """The database under test and how to see, from outside, that an import is writing to it."""

    def __init__(self, app: Flask, directory: Path):
        self.app = app
        self.url = app.config["SQLALCHEMY_DATABASE_URI"]
        self.sqlite = self.url.startswith("sqlite")
        options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("connect_args", {}).get("options", "")
        self.env = {**os.environ, "FLASK_APP": "pollapp", "DATABASE_URL": self.url, "PGAPPNAME": APP_NAME,
                    "PGOPTIONS": options, "OPENBLAS_NUM_THREADS": "1"}  # fmt: skip
        self.journal = Path(f"{make_url(self.url).database}-journal") if self.sqlite else None
        self.monitor = None if self.sqlite else create_engine(SERVER_URL, connect_args={"options": options})

    def start_watching(self) -> None:
        self.journal_sizes: list[int] = []
        self.answers_size = None if self.sqlite else self._answers_size()

    def _answers_size(self) -> int:
        with self.monitor.connect() as conn:
            return conn.execute(text("SELECT pg_relation_size('answers')")).scalar()

    def writing(self) -> str | None:
        """Evidence that the import is writing (None: not yet).

        PostgreSQL: the import's backend holds a transaction id and ``answers``, which each write step
        of the fast path fills after its polls and questions, has grown (new rows take new pages
        before they are committed): polls and questions are written, nothing is committed; the
        step's memberships and revisions, the next step and the ANALYZE are still to come. SQLite shows nothing of an
        uncommitted transaction but its rollback journal: it appears with the first write (the
        pollsters, one flush) and grows in a step each time the bulk writes of polls, questions,
        answers, memberships and revisions touch pages that existed before; five steps after it
        appeared is well into them."""
        if self.sqlite:
            size = self.journal.stat().st_size if self.journal.exists() else 0
            if size and (not self.journal_sizes or size > self.journal_sizes[-1]):
                self.journal_sizes.append(size)
            if len(self.journal_sizes) > 5:
                return f"rollback journal grew in steps: {self.journal_sizes}"
            return None
        with self.monitor.connect() as conn:
            xid = conn.execute(text(
                "SELECT backend_xid FROM pg_stat_activity WHERE application_name = :name AND backend_xid IS NOT NULL"
            ), {"name": APP_NAME}).scalar()  # fmt: skip
        size = self._answers_size()
        grew = xid and size > self.answers_size
        return f"answers grew from {self.answers_size} to {size} bytes in transaction {xid}" if grew else None

    def wait_backends_gone(self) -> None:
        """PostgreSQL aborts a killed client's transaction when it notices the closed socket."""
        if self.sqlite:
            return
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            with self.monitor.connect() as conn:
                if not conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"), {"n": APP_NAME}).scalar():
                    return
            time.sleep(0.1)
        raise AssertionError("the killed import's PostgreSQL backend is still there")


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Iterator[tuple[Target, Path]]:
    directory = tmp_path_factory.mktemp("crash")
    synthetic = _synthetic()
    base, big = directory / "synthetic-base.csv", directory / "synthetic-fte-approval.csv"
    synthetic.write_fte_csv(base, BASE_ROWS)
    synthetic.write_fte_csv(big, ROWS)  # the same seed: its first rows are the base's, unchanged
    with migrated_app(directory, "crash_test") as app:
        loaded = app.test_cli_runner().invoke(args=["data", "import", str(base), "--series", "synthetic-fte"])
        assert loaded.exit_code == 0, loaded.output
        found = Target(app, directory)
        try:
            yield found, big
        finally:
            if found.monitor is not None:
                found.monitor.dispose()


def _kill_mid_import(target: Target, start: Callable[[], subprocess.Popen], finished: Callable[[], bool]) -> str:
    """Start the import, wait until it writes, SIGKILL its whole process group; returns the evidence."""
    target.start_watching()
    process = start()
    try:
        deadline = time.monotonic() + WAIT_S
        evidence = None
        while evidence is None and time.monotonic() < deadline and process.poll() is None:
            evidence = target.writing()
            time.sleep(0.05)
        assert evidence is not None, f"the import never started writing (exit code {process.poll()})"
        time.sleep(0.2)
        assert process.poll() is None and not finished(), "the import finished before the kill"
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(WAIT_S)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(WAIT_S)
    if target.sqlite:
        assert target.journal.exists(), "a kill mid-transaction leaves a hot journal"
    return evidence


def _assert_untouched(target: Target, before: dict[str, Any]) -> None:
    target.wait_backends_gone()
    if target.sqlite:
        with sqlite3.connect(make_url(target.url).database) as conn:  # rolls the hot journal back
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    after = table_contents(target.app)
    for table, rows in before.items():
        assert after[table] == rows, table


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _multipart(path: Path) -> tuple[bytes, str]:
    boundary = "pollapp-crash-test-boundary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="series"\r\n\r\nsynthetic-fte\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: text/csv\r\n\r\n")  # fmt: skip
    return head.encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _serve(target: Target, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "600", "wsgi:app"],
        cwd=ROOT, env=target.env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline and server.poll() is None:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/series", timeout=10).close()
            return server
        except OSError:  # refused while gunicorn starts
            time.sleep(0.1)
    os.killpg(server.pid, signal.SIGKILL)
    raise AssertionError("gunicorn did not start")


def test_killing_the_server_mid_import_leaves_the_database_as_it_was(target):
    target, big = target
    before = table_contents(target.app)
    token = make_key(target.app, "write", "crash-test uploader")
    before_with_key = table_contents(target.app)
    body, content_type = _multipart(big)
    port = _free_port()
    outcome: dict[str, Any] = {}

    def upload() -> None:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/imports", data=body, method="POST",
                                         headers={"Authorization": f"Bearer {token}", "Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=WAIT_S * 5) as response:
                outcome["status"] = response.status
        except OSError as exc:  # the server was killed: no response
            outcome["error"] = exc

    def start() -> subprocess.Popen:
        server = _serve(target, port)
        threading.Thread(target=upload, daemon=True).start()
        return server

    evidence = _kill_mid_import(target, start, finished=lambda: "status" in outcome)
    assert "status" not in outcome, (evidence, outcome)
    _assert_untouched(target, before_with_key)
    assert before_with_key["api_keys"][:-1] == before["api_keys"]


def test_killing_flask_data_import_mid_way_leaves_the_database_as_it_was_and_it_then_succeeds(target):
    target, big = target
    before = table_contents(target.app)

    def start() -> subprocess.Popen:
        return subprocess.Popen([str(BIN / "flask"), "data", "import", str(big), "--series", "synthetic-fte"],
                                cwd=ROOT, env=target.env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    _kill_mid_import(target, start, finished=lambda: False)
    _assert_untouched(target, before)

    again = target.app.test_cli_runner().invoke(args=["data", "import", str(big), "--series", "synthetic-fte"])
    assert again.exit_code == 0, again.output
    created = int(re.search(r"^polls: (\d+) created", again.output, re.M).group(1))
    assert created > 1000
    assert len(table_contents(target.app)["polls"]) == len(before["polls"]) + created
