"""A migrated app on a database of its own, for module- or session-scoped fixtures that load real
data once (``data/``) and then only read it: a SQLite file, or, when ``TEST_DATABASE_URL`` names a
server, a schema of its own there (dropped afterwards), so it never meets the per-test database."""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, make_url, select, text

from pollapp import create_app
from pollapp.extensions import db

SERVER_URL = os.environ.get("TEST_DATABASE_URL", "")


@contextlib.contextmanager
def migrated_app(directory: Path, label: str, *, sqlite: bool = False, **config: Any) -> Iterator[Flask]:
    """An app whose database has been made by the migrations (``flask db upgrade``), as ``make run`` does;
    ``sqlite=True``: a SQLite file even when the suite runs on a server (cross-database tests)."""
    settings: dict[str, Any] = {"TESTING": True, **config}
    schema = admin = None
    if SERVER_URL and not SERVER_URL.startswith("sqlite") and not sqlite:
        schema = f"{label}_{uuid.uuid4().hex[:12]}"
        admin = create_engine(SERVER_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        settings["SQLALCHEMY_DATABASE_URI"] = SERVER_URL
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": f"-csearch_path={schema}"}}
    else:
        settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{directory / f'{label}.db'}"
    app = create_app(settings)
    try:
        upgraded = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def table_contents(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but alembic_version), all columns, in primary-key order: what a backup
    must reproduce and a killed import must leave untouched."""
    from pollapp.services import backup_format

    with app.app_context():
        contents = {
            t.name: [tuple(row) for row in db.session.execute(select(t).order_by(*t.primary_key.columns))]
            for t in backup_format.tables()
        }
        db.session.remove()
    return contents


# ---------------------------------------------------------------- the real data, loaded once per session

DATA = Path(__file__).resolve().parent.parent / "data"
#: What the session's load is told (tests/services/test_history_recording.py checks it is recorded).
LOAD_REASON = "initial load"


class RealData:
    """The repository's ``data/`` loaded ONCE per session the production way (``flask db upgrade``,
    then ``flask data load data/ --reason "initial load"``) into a database no test touches, and
    fresh copies of it for the modules that read or change the real data.

    Why: the load took 40-65 s per module on a loaded CI machine and five modules did it; a copy
    costs a file copy on SQLite and a ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL (which copies
    the template's files; the template must have no open connection, so its app is disposed
    before any copy is made and never used again). ``first_load`` is the load's CLI result (its
    report), as a module that ran the load itself would have seen it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._admin = None
        self._dropper = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-copy")
        self._dropped: list[concurrent.futures.Future[None]] = []
        if SERVER_URL and not SERVER_URL.startswith("sqlite"):
            url = make_url(SERVER_URL)
            self.template = f"{url.database}_real_data"
            self._admin = create_engine(url, isolation_level="AUTOCOMMIT")
            with self._admin.connect() as conn:
                # the test database's own settings (.ci/run turns synchronous_commit off there) are
                # per database: a new one, even made from a template, starts without them
                self._settings = list(conn.execute(text(
                    "SELECT unnest(setconfig) FROM pg_db_role_setting WHERE setrole = 0 AND setdatabase ="
                    " (SELECT oid FROM pg_database WHERE datname = current_database())")).scalars())
                leftovers = conn.execute(text(  # copies of an interrupted run (names: the template's + "_")
                    "SELECT datname FROM pg_database WHERE left(datname, length(:prefix)) = :prefix"),
                    {"prefix": f"{self.template}_"}).scalars().all()
                for name in [*leftovers, self.template]:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{self.template}"'))
                self._configure(conn, self.template)
            loaded_url = url.set(database=self.template).render_as_string(hide_password=False)
        else:
            self.template = str(directory / "real_data.db")
            loaded_url = f"sqlite:///{self.template}"
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": loaded_url})
        try:
            runner = app.test_cli_runner()
            upgraded = runner.invoke(args=["db", "upgrade"])
            assert upgraded.exit_code == 0, upgraded.output
            self.first_load = runner.invoke(args=["data", "load", str(DATA), "--reason", LOAD_REASON])
            assert self.first_load.exit_code == 0, self.first_load.output
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()

    @contextlib.contextmanager
    def copy(self, directory: Path, label: str, **config: Any) -> Iterator[Flask]:
        """An app on a fresh copy of the loaded database, dropped (or left in ``directory``) afterwards."""
        name = None
        if self._admin is not None:
            name = f"{self.template}_{label}_{uuid.uuid4().hex[:8]}"[:63]
            with self._admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
                self._configure(conn, name)
            url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
        else:
            path = directory / f"{label}.db"
            shutil.copyfile(self.template, path)
            url = f"sqlite:///{path}"
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, **config})
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            if name is not None:
                # DROP DATABASE waits for a checkpoint (1-10 s on a busy machine): done by a thread
                # of its own while the next tests run; close() waits for it and re-raises its error
                self._dropped.append(self._dropper.submit(self._drop, name))

    def _configure(self, conn: Any, name: str) -> None:
        for setting in self._settings:
            key, _, value = setting.partition("=")
            conn.execute(text(f'ALTER DATABASE "{name}" SET "{key}" = \'{value}\''))

    def _drop(self, name: str) -> None:
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        self._dropper.shutdown(wait=True)
        for dropped in self._dropped:
            dropped.result()
        if self._admin is not None:
            with self._admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)'))
            self._admin.dispose()
