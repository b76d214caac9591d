"""energy: 15-minute slots per device, day and month rollups (site time zone), the
rollup's watermark per device, meter replacements

Revision ID: 0014_energy
Revises: 0013_wechat
Create Date: 2026-12-02 16:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0014_energy'
down_revision = '0013_wechat'
branch_labels = None
depends_on = None


def _amounts():
    return [sa.Column('import_kwh', sa.Float(), nullable=False),
            sa.Column('export_kwh', sa.Float(), nullable=False),
            sa.Column('reactive_kvarh', sa.Float(), nullable=False),
            sa.Column('demand_kw', sa.Float(), nullable=False),
            sa.Column('estimated', sa.Boolean(), nullable=False)]


def _device_fk(table):
    return sa.ForeignKeyConstraint(['device_id'], ['devices.id'], ondelete='CASCADE',
                                   name=f'fk_{table}_device_id_devices')


def upgrade() -> None:
    for table, key, kind in (('energy_slots', 'slot', sa.DateTime(timezone=True)),
                             ('energy_days', 'day', sa.Date()),
                             ('energy_months', 'month', sa.Date())):
        op.create_table(
            table,
            sa.Column('device_id', sa.Integer(), nullable=False),
            sa.Column(key, kind, nullable=False),
            *_amounts(),
            _device_fk(table),
            sa.PrimaryKeyConstraint('device_id', key, name=f'pk_{table}'),
        )
    op.create_table(
        'energy_state',
        sa.Column('device_id', sa.Integer(), nullable=False),
        sa.Column('rolled_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        _device_fk('energy_state'),
        sa.PrimaryKeyConstraint('device_id', name='pk_energy_state'),
    )
    op.create_table(
        'meter_replacements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('device_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('readings', sa.JSON(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_by_name', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE',
                                name='fk_meter_replacements_site_id_sites'),
        _device_fk('meter_replacements'),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL',
                                name='fk_meter_replacements_created_by_users'),
        sa.PrimaryKeyConstraint('id', name='pk_meter_replacements'),
    )
    op.create_index('ix_meter_replacements_site_id', 'meter_replacements', ['site_id'])
    op.create_index('ix_meter_replacements_device_id', 'meter_replacements', ['device_id'])


def downgrade() -> None:
    for table in ('meter_replacements', 'energy_state', 'energy_months', 'energy_days',
                  'energy_slots'):
        op.drop_table(table)
