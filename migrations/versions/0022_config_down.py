"""config down (accounts): the centre's per-site configuration version (a counter moved
when the site's account document's digest changes) and the version each site reports it
runs; at the site box the version it runs and, per user synced from the centre, the
central values last applied and last received (a local change is told from them)

Revision ID: 0022_config_down
Revises: 0021_energy_period_rollup
Create Date: 2026-12-03 08:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0022_config_down'
down_revision = '0021_energy_period_rollup'
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'site_config_versions',
        sa.Column('site_id', sa.Integer(), sa.ForeignKey('sites.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('version', sa.BigInteger(), nullable=False, server_default='0'),
        sa.Column('digest', sa.String(length=64), nullable=False, server_default=''),
        sa.Column('changed_at', _TS, nullable=True),
        sa.Column('site_version', sa.BigInteger(), nullable=True),
        sa.Column('site_reported_at', _TS, nullable=True),
        sa.Column('site_conflicts', sa.Integer(), nullable=True),
    )
    op.create_table(
        'config_state',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('version', sa.BigInteger(), nullable=False, server_default='0'),
        sa.Column('digest', sa.String(length=64), nullable=False, server_default=''),
        sa.Column('applied_at', _TS, nullable=True),
        sa.Column('checked_at', _TS, nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
    )
    op.create_table(
        'config_users',
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('applied', sa.JSON(), nullable=True),
        sa.Column('central', sa.JSON(), nullable=False),
        sa.Column('central_version', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', _TS, server_default=sa.text('now()'), nullable=False),
    )


def downgrade() -> None:
    for table in ('config_users', 'config_state', 'site_config_versions'):
        op.drop_table(table)
