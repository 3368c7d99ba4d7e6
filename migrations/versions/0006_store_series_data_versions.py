"""store series data versions

A series' data version, computed by the transaction that writes its data, with the fingerprint it
was computed at (pollapp.services.data_version_store): an uncached trend request takes it instead of
hashing every point row of the series (issue 7). Created empty: a read of a series with no row (or a
stale one) hashes as before, and the next write of the series stores it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('series_data_versions',
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_series_data_versions_series_id_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('series_id', name=op.f('pk_series_data_versions'))
    )


def downgrade():
    op.drop_table('series_data_versions')
