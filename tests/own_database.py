"""A migrated app on a database of its own, for module- or session-scoped fixtures that load real
data once (``data/``) and then only read it: a SQLite file, or, when ``TEST_DATABASE_URL`` names a
server, a schema of its own there (dropped afterwards), so it never meets the per-test database."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, select, text

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
