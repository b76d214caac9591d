"""sitelink, commands down: the centre's commands for a site box's devices (``delivery``:
pending until the box answers, then delivered), the box's link to the centre's request
(``central_id``) and its record of each request answered (``central_commands``); the
one-in-flight index leaves the centre's delivered rows to the box

Revision ID: 0025_command_delivery
Revises: 0024_config_rules
Create Date: 2026-12-03 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0025_command_delivery'
down_revision = '0024_config_rules'
branch_labels = None
depends_on = None

_IN_FLIGHT = "state IN ('requested', 'awaiting_approval', 'queued', 'sent')"


def upgrade() -> None:
    op.add_column('commands', sa.Column('delivery', sa.String(length=16), nullable=True))
    op.add_column('commands', sa.Column('central_id', sa.Integer(), nullable=True))
    op.create_index('uq_commands_central', 'commands', ['central_id'], unique=True,
                    postgresql_where=sa.text('central_id IS NOT NULL'))
    op.drop_index('uq_commands_device_in_flight', table_name='commands')
    op.create_index('uq_commands_device_in_flight', 'commands', ['device_id'], unique=True,
                    postgresql_where=sa.text(f"{_IN_FLIGHT} AND delivery IS NULL"))
    op.create_table(
        'central_commands',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('command_id', sa.Integer(), nullable=True),
        sa.Column('error', sa.String(length=40), nullable=True),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('message_zh', sa.Text(), nullable=True),
        sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['command_id'], ['commands.id'],
                                name=op.f('fk_central_commands_command_id_commands'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_central_commands')))


def downgrade() -> None:
    op.drop_table('central_commands')
    op.drop_index('uq_commands_device_in_flight', table_name='commands')
    op.create_index('uq_commands_device_in_flight', 'commands', ['device_id'], unique=True,
                    postgresql_where=sa.text(_IN_FLIGHT))
    op.drop_index('uq_commands_central', table_name='commands')
    op.drop_column('commands', 'central_id')
    op.drop_column('commands', 'delivery')
