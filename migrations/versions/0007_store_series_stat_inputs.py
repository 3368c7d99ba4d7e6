"""store the statistics' rows of a series with its data version

The transaction that stores a series' data version (pollapp.services.data_version_store) also packs
the statistics' rows it read (pollapp.services.stats_inputs_store): an uncached statistic reads them
at the same fingerprint instead of running its grouped SELECT (issue 7). Added empty: a stored
version without them is refreshed by the next write of the series or by ``flask data versions``;
until then statistics read their rows with SQL, as before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('series_data_versions') as batch_op:
        batch_op.add_column(sa.Column('stat_inputs', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('stat_inputs_format', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('series_data_versions') as batch_op:
        batch_op.drop_column('stat_inputs_format')
        batch_op.drop_column('stat_inputs')
