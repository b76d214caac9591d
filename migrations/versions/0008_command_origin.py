"""commands: where an automated command came from (scene, schedule, linkage rule), and
one command per run key for commands no user requested

Revision ID: 0008_command_origin
Revises: 0007_command_notifications
Create Date: 2026-12-02 10:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_command_origin'
down_revision = '0007_command_notifications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('commands', sa.Column('origin_kind', sa.String(length=16), nullable=True))
    op.add_column('commands', sa.Column('origin_id', sa.Integer(), nullable=True))
    op.create_index('ix_commands_origin', 'commands', ['origin_kind', 'origin_id'])
    op.create_index('uq_commands_system_idempotency', 'commands', ['idempotency_key'],
                    unique=True, postgresql_where=sa.text('requested_by IS NULL'))


def downgrade() -> None:
    op.drop_index('uq_commands_system_idempotency', table_name='commands')
    op.drop_index('ix_commands_origin', table_name='commands')
    op.drop_column('commands', 'origin_id')
    op.drop_column('commands', 'origin_kind')
