"""add trigram indexes for the poll list's text search ``q`` (PostgreSQL)

``q`` looks for a substring of the question wording (``lower(wording) LIKE '%...%'``, and the same on
``wording_en``), which no B-tree can serve: every search read all questions (0.9 s at 220,000 questions,
``bench/results/plans.md``). GIN indexes of trigrams (the ``pg_trgm`` extension, shipped with
PostgreSQL) on the same two expressions let the planner find the matching questions of a selective
search from the index.

PostgreSQL only, as 0008. ``pg_trgm`` is a trusted extension from PostgreSQL 13 (a database owner may
create it); where it cannot be created, the indexes are left out with a warning and ``q`` reads every
question, as before.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 19:30:00.000000

"""
import logging

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.runtime.migration')


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    try:
        with bind.begin_nested():
            bind.exec_driver_sql('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    except sa.exc.DBAPIError as exc:
        log.warning('pg_trgm could not be created (%s): the text search q keeps reading every question',
                    str(exc.orig).splitlines()[0])
        return
    # The extension may live in a schema that is not on this connection's search path (it is one per
    # database): name its operator class with that schema.
    schema = bind.exec_driver_sql(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'").scalar()
    ops = f'{schema}.gin_trgm_ops'
    op.execute(f'CREATE INDEX ix_questions_wording_trgm ON questions USING gin (lower(wording) {ops})')
    op.execute("CREATE INDEX ix_questions_wording_en_trgm ON questions "
               f"USING gin (lower(coalesce(wording_en, '')) {ops})")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_questions_wording_en_trgm')
        op.execute('DROP INDEX IF EXISTS ix_questions_wording_trgm')
