"""notifications: also for commands awaiting approval (the approvers are told); the
dim_level metric (load controllers)

Revision ID: 0007_command_notifications
Revises: 0006_control_settings
Create Date: 2026-12-02 05:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_command_notifications'
down_revision = '0006_control_settings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('notifications', sa.Column('command_id', sa.Integer(), nullable=True))
    op.create_foreign_key(op.f('fk_notifications_command_id_commands'), 'notifications',
                          'commands', ['command_id'], ['id'], ondelete='CASCADE')
    op.create_index(op.f('ix_notifications_command_id'), 'notifications', ['command_id'],
                    unique=False)
    op.alter_column('notifications', 'alarm_id', existing_type=sa.Integer(), nullable=True)
    op.create_check_constraint(op.f('ck_notifications_subject'), 'notifications',
                               "(alarm_id IS NULL) <> (command_id IS NULL)")
    op.execute("INSERT INTO metrics (id, name, unit, kind) "
               "VALUES (39, 'dim_level', '%', 'analog')")


def downgrade() -> None:
    op.execute("DELETE FROM readings WHERE metric_id = 39")
    op.execute("DELETE FROM metrics WHERE id = 39")
    op.execute("DELETE FROM notifications WHERE command_id IS NOT NULL")
    op.drop_constraint(op.f('ck_notifications_subject'), 'notifications', type_='check')
    op.alter_column('notifications', 'alarm_id', existing_type=sa.Integer(), nullable=False)
    op.drop_index(op.f('ix_notifications_command_id'), table_name='notifications')
    op.drop_constraint(op.f('fk_notifications_command_id_commands'), 'notifications',
                       type_='foreignkey')
    op.drop_column('notifications', 'command_id')
