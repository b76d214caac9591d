"""control: switching commands, their timeline, staff control grants

Revision ID: 0005_control
Revises: 0004_auth_hardening
Create Date: 2026-12-02 04:35:14.096724
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_control'
down_revision = '0004_auth_hardening'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('control_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('granted_by', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("scope IN ('area', 'board', 'circuit')", name=op.f('ck_control_grants_scope')),
    sa.ForeignKeyConstraint(['granted_by'], ['users.id'], name=op.f('fk_control_grants_granted_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_control_grants_site_id_sites'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_control_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_control_grants')),
    sa.UniqueConstraint('user_id', 'scope', 'target_id', name='uq_control_grants_target')
    )
    op.create_index(op.f('ix_control_grants_site_id'), 'control_grants', ['site_id'], unique=False)
    op.create_index(op.f('ix_control_grants_user_id'), 'control_grants', ['user_id'], unique=False)
    op.create_table('commands',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('circuit_id', sa.Integer(), nullable=True),
    sa.Column('gateway_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('target', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('requested_by_name', sa.String(length=64), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('approval_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=40), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('message_zh', sa.Text(), nullable=True),
    sa.Column('observed', sa.JSON(), nullable=True),
    sa.Column('batch_id', sa.String(length=36), nullable=True),
    sa.CheckConstraint("action IN ('open', 'close', 'reset', 'on', 'off', 'dim')", name=op.f('ck_commands_action')),
    sa.CheckConstraint("state IN ('requested', 'awaiting_approval', 'queued', 'sent', 'confirmed', 'failed', 'timed_out', 'refused', 'rejected', 'cancelled', 'expired')", name=op.f('ck_commands_state')),
    sa.ForeignKeyConstraint(['approved_by'], ['users.id'], name=op.f('fk_commands_approved_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_commands_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_commands_requested_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_commands_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commands')),
    sa.UniqueConstraint('requested_by', 'idempotency_key', name='uq_commands_idempotency')
    )
    op.create_index(op.f('ix_commands_batch_id'), 'commands', ['batch_id'], unique=False)
    op.create_index(op.f('ix_commands_device_id'), 'commands', ['device_id'], unique=False)
    op.create_index(op.f('ix_commands_requested_by'), 'commands', ['requested_by'], unique=False)
    op.create_index('ix_commands_site_requested', 'commands', ['site_id', 'requested_at'], unique=False)
    op.create_index(op.f('ix_commands_state'), 'commands', ['state'], unique=False)
    op.create_index('uq_commands_device_in_flight', 'commands', ['device_id'], unique=True, postgresql_where=sa.text("state IN ('requested', 'awaiting_approval', 'queued', 'sent')"))
    op.create_table('command_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('command_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['command_id'], ['commands.id'], name=op.f('fk_command_events_command_id_commands'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_command_events'))
    )
    op.create_index('ix_command_events_command_at', 'command_events', ['command_id', 'at'], unique=False)



def downgrade() -> None:

    op.drop_index('ix_command_events_command_at', table_name='command_events')
    op.drop_table('command_events')
    op.drop_index('uq_commands_device_in_flight', table_name='commands', postgresql_where=sa.text("state IN ('requested', 'awaiting_approval', 'queued', 'sent')"))
    op.drop_index(op.f('ix_commands_state'), table_name='commands')
    op.drop_index('ix_commands_site_requested', table_name='commands')
    op.drop_index(op.f('ix_commands_requested_by'), table_name='commands')
    op.drop_index(op.f('ix_commands_device_id'), table_name='commands')
    op.drop_index(op.f('ix_commands_batch_id'), table_name='commands')
    op.drop_table('commands')
    op.drop_index(op.f('ix_control_grants_user_id'), table_name='control_grants')
    op.drop_index(op.f('ix_control_grants_site_id'), table_name='control_grants')
    op.drop_table('control_grants')

