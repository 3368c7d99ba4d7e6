"""pollapp: public-opinion polls with their full methodology, and statistics people can trust."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.1.0"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory: configuration, extensions, blueprints, error handlers, commands.

    Flask is imported here, not at the top of the module: ``import pollapp.client`` runs this
    package's ``__init__`` and must work where only the client's needs (requests, pandas) are installed."""
    from flask import Flask

    app = Flask(__name__, instance_relative_config=True)
    from pollapp.config import load_config

    load_config(app, config)
    app.json.sort_keys = False  # keep the schemas' field order: id and names first, as documented
    # UTF-8 text as is (not \uXXXX escapes): the bulk outputs encoded with orjson (pollapp.services.poll_rows)
    # are then byte-identical to the schemas' dumps, so body-digest ETags mean the same on both paths.
    app.json.ensure_ascii = False
    _register_extensions(app)
    _register_blueprints(app)
    _register_web(app)
    _register_commands(app)
    return app


def _register_extensions(app: Flask) -> None:
    from pollapp.extensions import db, migrate
    from pollapp.services import data_generation, data_version_store, history

    history.install()  # every session records poll revisions at commit (pollapp.services.history)
    data_generation.install()  # ...and bumps the data generation when it changed public data (after history)
    data_version_store.install()  # ...then stores the data versions of the series it changed (after the bump)
    db.init_app(app)
    with app.app_context():
        _enforce_sqlite_foreign_keys(db.engine)
        _ping_idle_connections(app, db.engine)
        # How long the cached-hit path may trust a generation it read; writes wait as long (see there).
        data_generation.set_lease(db.engine, float(app.config.get("GENERATION_LEASE_MS", 0)) / 1000.0)
    migrate.init_app(app, db, directory=app.config.get("MIGRATIONS_DIR", _migrations_dir()))


def _enforce_sqlite_foreign_keys(engine) -> None:
    """SQLite ignores foreign keys (and so ON DELETE CASCADE) unless each connection asks for them,
    and its built-in ``lower()`` folds ASCII only: replace it by Python's, so that case-insensitive
    search finds "вступ" in "ВСТУП" on SQLite as it does on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record) -> None:  # pragma: no cover - trivial
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def _ping_idle_connections(app: Flask, engine) -> None:
    """Instead of ``pool_pre_ping``'s round trip on every checkout (:mod:`pollapp.dbpool`)."""
    if app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("pool_pre_ping"):
        return  # a deployment that asked for a ping on every checkout gets it
    from pollapp.dbpool import ping_when_idle

    ping_when_idle(engine, float(app.config.get("DATABASE_PING_AFTER", 1.0)))


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def _migrations_dir() -> str:
    import os

    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def _register_blueprints(app: Flask) -> None:
    from pollapp.api import register_api
    from pollapp.embed import register_embed

    register_api(app)
    register_embed(app)


def _register_web(app: Flask) -> None:
    from pollapp.web import register_web

    register_web(app)  # proxy, rate limits, CORS, security headers (after the blueprints: see pollapp.web)


def _register_commands(app: Flask) -> None:
    from pollapp.cli import data_cli, keys_cli

    app.cli.add_command(data_cli)
    app.cli.add_command(keys_cli)
