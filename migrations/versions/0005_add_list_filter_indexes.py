"""add the indexes the poll list's filters and sorts need

Found by ``bench/bench_plans.py`` on the large synthetic dataset (100,000 polls, PostgreSQL):

* the ``sponsor`` filter looked ``poll_sponsors`` up by sponsor with only the (poll, sponsor) primary
  key (a sequential scan of the link table): ``ix_poll_sponsors_sponsor_id``;
* ``poll_partners`` had no index by pollster (a pollster's polls, renames' history):
  ``ix_poll_partners_pollster_id``.

Not here: ``sort=[-]publication_date`` orders by ``coalesce(publication_date, field_end_date), id``
and sorts every live poll per page (about 0.2 s at 100,000 polls). An expression index fixes it on
PostgreSQL, but SQLAlchemy cannot reflect expression indexes on SQLite and warns, which the
models == migrations test (warnings are errors) turns into a failure; left to a follow-up.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 10:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_poll_sponsors_sponsor_id', 'poll_sponsors', ['sponsor_id'], unique=False)
    op.create_index('ix_poll_partners_pollster_id', 'poll_partners', ['pollster_id'], unique=False)


def downgrade():
    op.drop_index('ix_poll_partners_pollster_id', table_name='poll_partners')
    op.drop_index('ix_poll_sponsors_sponsor_id', table_name='poll_sponsors')
