"""Whole-database operations: rows of whole tables for backups, which tables have rows, moving the
PostgreSQL id sequences after a restore, the readiness probe and the Alembic revision of the schema.

They work on tables and the connection rather than on the domain models, so they live apart."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Integer, Table, exists, select, text
from sqlalchemy.orm import Session


def table_rows(session: Session, table: Table, batch: int = 2000) -> Iterator[Any]:
    """Every row of ``table`` in primary-key order, fetched ``batch`` at a time (a server-side cursor
    on PostgreSQL), so a dump's memory does not grow with the table."""
    query = select(table).order_by(*table.primary_key.columns)
    yield from session.execute(query, execution_options={"yield_per": batch})


def tables_with_rows(session: Session, tables: Sequence[Table]) -> list[str]:
    return [t.name for t in tables if session.execute(select(exists().select_from(t))).scalar()]


def reset_sequences(session: Session, tables: Sequence[Table]) -> None:
    """After rows were inserted with their ids, move each PostgreSQL id sequence past the largest id so
    the next row gets a fresh one (SQLite picks max(rowid)+1 by itself)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        columns = list(table.primary_key.columns)
        if len(columns) != 1 or not columns[0].autoincrement or not isinstance(columns[0].type, Integer):
            continue
        column = columns[0].name
        session.execute(
            text(f'SELECT setval(pg_get_serial_sequence(:table, :column), coalesce(max("{column}"), 0) + 1, false) '
                 f'FROM "{table.name}"'),
            {"table": table.name, "column": column},
        )  # fmt: skip


def database_answers(session: Session) -> bool:
    """``SELECT 1`` (readiness probe); raises the driver's error when the database is unreachable."""
    return session.execute(text("SELECT 1")).scalar() == 1


def schema_revision(session: Session) -> str | None:
    """The Alembic revision the database is at (None: never migrated, e.g. made by ``create_all``)."""
    from alembic.migration import MigrationContext

    return MigrationContext.configure(session.connection()).get_current_revision()
