"""config down (rules): a stable key for linkage rules (``uid``, the same at the centre
and at the site box, kept across renames) and, at the site box, per synced alarm rule,
linkage rule, scene or schedule (by kind and key) the central values last applied and last
received (``config_items``, as ``config_users`` for accounts)

Revision ID: 0024_config_rules
Revises: 0023_sitelink_commands
Create Date: 2026-12-03 08:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0024_config_rules'
down_revision = '0023_sitelink_commands'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('linkage_rules', sa.Column(
        'uid', sa.String(length=36), nullable=False,
        server_default=sa.text('gen_random_uuid()::text')))
    op.create_unique_constraint('uq_linkage_rules_uid', 'linkage_rules', ['site_id', 'uid'])
    op.create_table(
        'config_items',
        sa.Column('kind', sa.String(length=24), primary_key=True),
        sa.Column('key', sa.String(length=200), primary_key=True),
        sa.Column('applied', sa.JSON(), nullable=True),
        sa.Column('central', sa.JSON(), nullable=True),
        sa.Column('central_version', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
    )


def downgrade() -> None:
    op.drop_table('config_items')
    op.drop_constraint('uq_linkage_rules_uid', 'linkage_rules', type_='unique')
    op.drop_column('linkage_rules', 'uid')
