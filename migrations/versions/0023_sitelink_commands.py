"""sitelink, the rest of the up direction: origin ids on forwarded commands (the site's
command id: ``commands.origin_id`` is automation's), command events and meter
replacements; on forwarded audit rows the site's entity id

Revision ID: 0023_sitelink_commands
Revises: 0022_config_down
Create Date: 2026-12-03 08:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0023_sitelink_commands'
down_revision = '0022_config_down'
branch_labels = None
depends_on = None

_WHERE = 'origin_id IS NOT NULL'


def upgrade() -> None:
    op.add_column('audit_log', sa.Column('origin_entity_id', sa.Integer(), nullable=True))
    op.add_column('commands', sa.Column('site_origin_id', sa.Integer(), nullable=True))
    op.create_index('uq_commands_site_origin', 'commands', ['site_id', 'site_origin_id'],
                    unique=True, postgresql_where=sa.text('site_origin_id IS NOT NULL'))
    op.add_column('command_events', sa.Column('origin_id', sa.Integer(), nullable=True))
    op.create_index('uq_command_events_origin', 'command_events', ['command_id', 'origin_id'],
                    unique=True, postgresql_where=sa.text(_WHERE))
    op.add_column('meter_replacements', sa.Column('origin_id', sa.Integer(), nullable=True))
    op.create_index('uq_meter_replacements_site_origin', 'meter_replacements',
                    ['site_id', 'origin_id'], unique=True, postgresql_where=sa.text(_WHERE))


def downgrade() -> None:
    op.drop_index('uq_meter_replacements_site_origin', table_name='meter_replacements')
    op.drop_column('meter_replacements', 'origin_id')
    op.drop_index('uq_command_events_origin', table_name='command_events')
    op.drop_column('command_events', 'origin_id')
    op.drop_index('uq_commands_site_origin', table_name='commands')
    op.drop_column('commands', 'site_origin_id')
    op.drop_column('audit_log', 'origin_entity_id')
