"""add the index the poll list's publication-date sort needs (PostgreSQL)

``sort=[-]publication_date`` orders by ``coalesce(publication_date, field_end_date), id`` (a poll with
no publication date sorts at its field end), which no index matched: every page sorted all live polls
(230-260 ms at 100,000 polls, ``bench/results/plans.md``). An expression index on the same two keys
serves both directions and the keyset cursor's row comparison.

PostgreSQL only: SQLAlchemy cannot reflect an expression index on SQLite (it warns, and the models ==
migrations test fails on warnings), and the embedded database's lists are small. The models declare it
the same way (``pollapp.models.POSTGRESQL_ONLY_INDEXES``, created by ``create_all`` on PostgreSQL too).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 19:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE INDEX ix_polls_publication_sort ON polls (coalesce(publication_date, field_end_date), id)')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX ix_polls_publication_sort')
