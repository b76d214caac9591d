"""control: device settings written as commands (action "settings"); uploaded profiles

Revision ID: 0006_control_settings
Revises: 0005_control
Create Date: 2026-12-02 05:15:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_control_settings'
down_revision = '0005_control'
branch_labels = None
depends_on = None

OLD = "action IN ('open', 'close', 'reset', 'on', 'off', 'dim')"
NEW = "action IN ('open', 'close', 'reset', 'on', 'off', 'dim', 'settings')"


def upgrade() -> None:
    op.create_table('device_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_name', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_device_profiles_uploaded_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_profiles')),
    sa.UniqueConstraint('name', 'version', name='uq_device_profiles_version')
    )
    op.create_index(op.f('ix_device_profiles_name'), 'device_profiles', ['name'], unique=False)
    op.add_column('commands', sa.Column('settings', sa.JSON(), nullable=True))
    op.add_column('commands', sa.Column('before', sa.JSON(), nullable=True))
    op.drop_constraint(op.f('ck_commands_action'), 'commands', type_='check')
    op.create_check_constraint(op.f('ck_commands_action'), 'commands', NEW)


def downgrade() -> None:
    op.drop_index(op.f('ix_device_profiles_name'), table_name='device_profiles')
    op.drop_table('device_profiles')
    op.execute("DELETE FROM commands WHERE action = 'settings'")
    op.drop_constraint(op.f('ck_commands_action'), 'commands', type_='check')
    op.create_check_constraint(op.f('ck_commands_action'), 'commands', OLD)
    op.drop_column('commands', 'before')
    op.drop_column('commands', 'settings')
