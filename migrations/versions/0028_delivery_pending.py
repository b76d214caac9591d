"""sitelink, commands down: at most one command waiting for a site box per device
(``delivery`` pending and ``requested``), a partial unique index, so two requests racing
past the service's check end in a clean 409 ``command_in_progress`` (the box would refuse
the second with that code anyway). A second waiting row left by such a race before this
migration is failed with that code, as the box would have done, with its event.

Revision ID: 0028_delivery_pending
Revises: 0027_config_identity
Create Date: 2026-12-03 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0028_delivery_pending'
down_revision = '0027_config_identity'
branch_labels = None
depends_on = None

_WAITING = "delivery = 'pending' AND state = 'requested'"


def upgrade() -> None:
    op.execute(f"""
        WITH extra AS (
            SELECT id FROM (
                SELECT id, row_number() OVER (PARTITION BY device_id ORDER BY id) AS n
                FROM commands WHERE {_WAITING}) ranked
            WHERE n > 1),
        failed AS (
            UPDATE commands SET state = 'failed', error = 'command_in_progress',
                message = 'another command for this device was waiting for the site box',
                message_zh = '该设备已有另一条指令在等待站点设备接收',
                finished_at = now()
            WHERE id IN (SELECT id FROM extra) RETURNING id)
        INSERT INTO command_events (command_id, state, at, actor_name, reason)
        SELECT id, 'failed', now(), 'system',
               'another command for this device was waiting for the site box'
        FROM failed""")
    op.create_index('uq_commands_device_delivery_pending', 'commands', ['device_id'],
                    unique=True, postgresql_where=sa.text(_WAITING))


def downgrade() -> None:
    op.drop_index('uq_commands_device_delivery_pending', table_name='commands')
