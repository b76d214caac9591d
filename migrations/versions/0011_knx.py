"""KNX lighting: KNX gateways per site (with their connection state and open
communication alarm), a knx_group's gateway on devices, the ``light`` and ``brightness``
metrics

Revision ID: 0011_knx
Revises: 0010_linkage
Create Date: 2026-12-02 16:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_knx'
down_revision = '0010_linkage'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'knx_gateways',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('port', sa.Integer(), nullable=False),
        sa.Column('local_ip', sa.String(length=64), nullable=True),
        sa.Column('individual_address', sa.String(length=16), nullable=True),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('connected', sa.Boolean(), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('alarm_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'],
                                name=op.f('fk_knx_gateways_site_id_sites')),
        sa.ForeignKeyConstraint(['alarm_id'], ['alarms.id'], ondelete='SET NULL',
                                name=op.f('fk_knx_gateways_alarm_id_alarms')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_knx_gateways')),
        sa.UniqueConstraint('site_id', 'code', name=op.f('uq_knx_gateways_site_id_code')),
    )
    op.create_index(op.f('ix_knx_gateways_site_id'), 'knx_gateways', ['site_id'])
    op.add_column('devices', sa.Column('knx_gateway_id', sa.Integer(), nullable=True))
    op.create_foreign_key('fk_devices_knx_gateway_id_knx_gateways', 'devices', 'knx_gateways',
                          ['knx_gateway_id'], ['id'])
    op.create_index(op.f('ix_devices_knx_gateway_id'), 'devices', ['knx_gateway_id'])
    # the single group address of earlier files is the switch address
    op.execute("UPDATE devices SET attributes = (attributes::jsonb - 'group_address' || "
               "jsonb_build_object('switch', attributes->>'group_address'))::json "
               "WHERE kind = 'knx_group' AND attributes::jsonb ? 'group_address'")
    op.execute("INSERT INTO metrics (id, name, unit, kind) VALUES "
               "(40, 'light', '', 'state'), (41, 'brightness', '%', 'analog')")


def downgrade() -> None:
    op.execute("DELETE FROM readings WHERE metric_id IN (40, 41)")
    op.execute("DELETE FROM metrics WHERE id IN (40, 41)")
    op.drop_index(op.f('ix_devices_knx_gateway_id'), table_name='devices')
    op.drop_constraint('fk_devices_knx_gateway_id_knx_gateways', 'devices', type_='foreignkey')
    op.drop_column('devices', 'knx_gateway_id')
    op.drop_index(op.f('ix_knx_gateways_site_id'), table_name='knx_gateways')
    op.drop_table('knx_gateways')
