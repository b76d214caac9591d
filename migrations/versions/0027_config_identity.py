"""config down: a stable identity for synced entries and the box's open conflicts at the
centre. At the site box, per synced entry, the centre's id of its row (``origin``, so a
code or name changed at the centre renames the box's row instead of making a second one;
NULL for entries synced before, matched by key until the next version sets it) and since
when it has been a local change (``local_since``, also per synced user). At the centre,
the box's reported local changes and conflicts (``site_changes``) and when
(``site_changes_at``).

Revision ID: 0027_config_identity
Revises: 0026_quality_values
Create Date: 2026-12-03 14:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0027_config_identity'
down_revision = '0026_quality_values'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('config_items', sa.Column('origin', sa.String(length=64), nullable=True))
    op.create_index('uq_config_items_origin', 'config_items', ['kind', 'origin'], unique=True,
                    postgresql_where=sa.text('origin IS NOT NULL'))
    op.add_column('config_items', sa.Column('local_since', sa.DateTime(timezone=True),
                                            nullable=True))
    op.add_column('config_users', sa.Column('local_since', sa.DateTime(timezone=True),
                                            nullable=True))
    op.add_column('site_config_versions', sa.Column('site_changes', sa.JSON(), nullable=True))
    op.add_column('site_config_versions', sa.Column('site_changes_at',
                                                    sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('site_config_versions', 'site_changes_at')
    op.drop_column('site_config_versions', 'site_changes')
    op.drop_column('config_users', 'local_since')
    op.drop_column('config_items', 'local_since')
    op.drop_index('uq_config_items_origin', table_name='config_items')
    op.drop_column('config_items', 'origin')
