"""Readiness: may a load balancer send traffic to this instance?

Ready means the database answers and its schema is at the migrations' head: an instance deployed
with new code before ``flask db upgrade`` ran (or pointed at a stale database) would fail on the
first query that touches a new column, so it reports itself not ready instead.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from pollapp import repository


@dataclass(frozen=True)
class Readiness:
    database: bool
    migrations: bool
    detail: str | None = None

    @property
    def ready(self) -> bool:
        return self.database and self.migrations


@functools.lru_cache(maxsize=8)
def head_revision(migrations_dir: str) -> str | None:
    """The head revision of the migration scripts (read once per directory and process)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", migrations_dir)
    return ScriptDirectory.from_config(config).get_current_head()


def readiness(session: Session, migrations_dir: str) -> Readiness:
    try:
        repository.database_answers(session)
        current = repository.schema_revision(session)
    except SQLAlchemyError:
        session.rollback()
        return Readiness(database=False, migrations=False, detail="The database does not answer.")
    head = head_revision(migrations_dir)
    if current != head:
        return Readiness(
            database=True,
            migrations=False,
            detail=f"The database schema is at revision {current or 'none'}; the code needs {head}: run `flask db upgrade`.",
        )
    return Readiness(database=True, migrations=True)
