"""Alembic migrations are the only way the schema is made: ``flask db upgrade`` on an EMPTY database
gives exactly the models (alembic's ``compare_metadata`` finds no difference), and upgrading again
changes nothing.

Runs on a fresh SQLite file, and on PostgreSQL when ``TEST_DATABASE_URL`` names one: there in a
fresh schema of its own (``search_path`` set through the connection options), dropped afterwards.
"""

from __future__ import annotations

import os
import traceback
import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import create_engine, inspect, text

from pollapp import create_app
from pollapp.extensions import db
from pollapp.models import POSTGRESQL_ONLY_INDEXES, Base, compared_by_alembic

SERVER_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["server"] if SERVER_URL and not SERVER_URL.startswith("sqlite") else [])


@pytest.fixture(params=BACKENDS)
def empty_app(request, tmp_path) -> Iterator[Flask]:
    """An app on an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}"})
        yield app
        with app.app_context():
            db.engine.dispose()
        return
    schema = f"migration_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(SERVER_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": SERVER_URL,
                "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}},
            }
        )
        with app.app_context():
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT current_schema()")).scalar() == schema
        yield app
        with app.app_context():
            db.engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def upgrade(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and result.exception is None, "".join(traceback.format_exception(*result.exc_info))


def differences(app: Flask) -> list:
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "target_metadata": Base.metadata,
                                                         "include_object": compared_by_alembic})
        return compare_metadata(context, Base.metadata)


def current_revision(app: Flask) -> str | None:
    with app.app_context(), db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(app: Flask) -> str:
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        heads = script.get_heads()
    assert len(heads) == 1, f"one linear history, got heads {heads}"
    return heads[0]


def tables(app: Flask) -> set[str]:
    with app.app_context():
        return set(inspect(db.engine).get_table_names())


def test_upgrade_on_an_empty_database_matches_the_models(empty_app):
    assert tables(empty_app) == set()

    upgrade(empty_app)

    assert tables(empty_app) == {t.name for t in Base.metadata.sorted_tables} | {"alembic_version"}
    assert current_revision(empty_app) == head_revision(empty_app)
    assert differences(empty_app) == []


def postgresql_only_indexes(app: Flask) -> tuple[str, set[str]]:
    """The dialect, and which of the PostgreSQL-only indexes its tables have."""
    with app.app_context():
        inspector = inspect(db.engine)
        tables = {table.name for table, _ in POSTGRESQL_ONLY_INDEXES.values()}
        found = {index["name"] for name in tables for index in inspector.get_indexes(name)}
        return db.engine.dialect.name, found & (set(POSTGRESQL_ONLY_INDEXES) | {"ix_polls_field_end_id"})


def test_the_postgresql_only_indexes_come_from_the_migrations_and_from_create_all(empty_app, app):
    """Left out of the comparison above (expression indexes): checked by name, on each backend, for a
    migrated database and for the tests' ``create_all`` one (CI's role may create pg_trgm)."""
    upgrade(empty_app)
    for each in (empty_app, app):
        dialect, names = postgresql_only_indexes(each)
        expected = set(POSTGRESQL_ONLY_INDEXES) if dialect == "postgresql" else set()
        assert names == expected | {"ix_polls_field_end_id"}


def test_upgrade_is_idempotent_and_keeps_data(empty_app):
    upgrade(empty_app)
    client = empty_app.test_client()
    from factories import make_key

    headers = {"Authorization": f"Bearer {make_key(empty_app)}"}
    assert client.post("/api/v1/pollsters", json={"slug": "kiis", "name": "Synthetic"}, headers=headers).status_code == 201

    upgrade(empty_app)

    assert current_revision(empty_app) == head_revision(empty_app)
    assert differences(empty_app) == []
    assert client.get("/api/v1/pollsters/kiis").status_code == 200


def test_downgrade_to_base_and_upgrade_again(empty_app):
    upgrade(empty_app)

    result = empty_app.test_cli_runner().invoke(args=["db", "downgrade", "base"])

    assert result.exit_code == 0 and result.exception is None, result.output
    assert tables(empty_app) <= {"alembic_version"}
    upgrade(empty_app)
    assert differences(empty_app) == []


def test_the_migrated_schema_enforces_the_rules(empty_app):
    """The CHECK constraints and cascades come from the migration too (compare_metadata ignores CHECKs)."""
    upgrade(empty_app)
    with empty_app.app_context(), db.engine.connect() as conn:
        checks = {c["name"] for c in inspect(conn).get_check_constraints("polls")} | {
            c["name"] for c in inspect(conn).get_check_constraints("answers")
        }
    assert {
        "ck_polls_field_dates_ordered",
        "ck_polls_published_after_field",
        "ck_polls_sample_size_positive",
        "ck_polls_design_effect_at_least_one",
        "ck_answers_pct_range",
    } <= checks
    expected = {
        c.name for table in Base.metadata.sorted_tables for c in table.constraints if c.__class__.__name__ == "CheckConstraint"
    }
    with empty_app.app_context(), db.engine.connect() as conn:
        migrated = {c["name"] for table in Base.metadata.sorted_tables for c in inspect(conn).get_check_constraints(table.name)}
    assert expected <= migrated, expected - migrated


def test_the_comparison_sees_a_drift(empty_app):
    """Guard against a comparison that cannot fail: a schema that lost an index differs."""
    upgrade(empty_app)
    with empty_app.app_context(), db.engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_polls_country"))

    diff = differences(empty_app)

    assert [d[0] for d in diff] == ["add_index"] and diff[0][1].name == "ix_polls_country"
