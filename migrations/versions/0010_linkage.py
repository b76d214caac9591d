"""linkage rules (联动): rules, their per-device state and their firing log; a camera's
stream URL as a column of devices (moved out of ``attributes``)

Revision ID: 0010_linkage
Revises: 0009_scenes_schedules
Create Date: 2026-12-02 14:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_linkage'
down_revision = '0009_scenes_schedules'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('devices', sa.Column('stream_url', sa.String(length=500), nullable=True))
    op.execute("UPDATE devices SET stream_url = attributes->>'stream_url', "
               "attributes = (attributes::jsonb - 'stream_url')::json "
               "WHERE kind = 'camera' AND attributes::jsonb ? 'stream_url'")
    op.create_table(
        'linkage_rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('device_id', sa.Integer(), nullable=True),
        sa.Column('area_id', sa.Integer(), nullable=True),
        sa.Column('device_kind', sa.String(length=32), nullable=True),
        sa.Column('metric', sa.String(length=64), nullable=False),
        sa.Column('op', sa.String(length=2), nullable=False),
        sa.Column('value', sa.JSON(), nullable=False),
        sa.Column('for_seconds', sa.Float(), nullable=False),
        sa.Column('window_start', sa.Time(), nullable=True),
        sa.Column('window_end', sa.Time(), nullable=True),
        sa.Column('actions', sa.JSON(), nullable=False),
        sa.Column('clear_actions', sa.JSON(), nullable=False),
        sa.Column('cooldown_seconds', sa.Float(), nullable=False),
        sa.Column('default_key', sa.String(length=64), nullable=True),
        sa.Column('fired_count', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint('(device_id IS NULL) <> (area_id IS NULL)',
                           name=op.f('ck_linkage_rules_one_subject')),
        sa.CheckConstraint("op IN ('>', '>=', '<', '<=', '==', '!=')",
                           name=op.f('ck_linkage_rules_op')),
        sa.ForeignKeyConstraint(['area_id'], ['areas.id'], ondelete='CASCADE',
                                name=op.f('fk_linkage_rules_area_id_areas')),
        sa.ForeignKeyConstraint(['device_id'], ['devices.id'], ondelete='CASCADE',
                                name=op.f('fk_linkage_rules_device_id_devices')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE',
                                name=op.f('fk_linkage_rules_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_linkage_rules')),
        sa.UniqueConstraint('site_id', 'default_key', name='uq_linkage_rules_default_key'),
    )
    op.create_index(op.f('ix_linkage_rules_site_id'), 'linkage_rules', ['site_id'])
    op.create_index(op.f('ix_linkage_rules_device_id'), 'linkage_rules', ['device_id'])
    op.create_index(op.f('ix_linkage_rules_area_id'), 'linkage_rules', ['area_id'])
    op.create_table(
        'linkage_rule_states',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule_id', sa.Integer(), nullable=False),
        sa.Column('device_id', sa.Integer(), nullable=False),
        sa.Column('since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('firing', sa.Boolean(), nullable=False),
        sa.Column('last_fired_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('firing_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['device_id'], ['devices.id'], ondelete='CASCADE',
                                name=op.f('fk_linkage_rule_states_device_id_devices')),
        sa.ForeignKeyConstraint(['rule_id'], ['linkage_rules.id'], ondelete='CASCADE',
                                name=op.f('fk_linkage_rule_states_rule_id_linkage_rules')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_linkage_rule_states')),
        sa.UniqueConstraint('rule_id', 'device_id', name='uq_linkage_rule_states_key'),
    )
    op.create_index(op.f('ix_linkage_rule_states_device_id'), 'linkage_rule_states',
                    ['device_id'])
    op.create_table(
        'linkage_firings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('fired_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('device_id', sa.Integer(), nullable=True),
        sa.Column('metric', sa.String(length=64), nullable=False),
        sa.Column('value', sa.JSON(), nullable=False),
        sa.Column('inputs', sa.JSON(), nullable=False),
        sa.Column('results', sa.JSON(), nullable=False),
        sa.Column('alarm_id', sa.Integer(), nullable=True),
        sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('clear_value', sa.JSON(), nullable=True),
        sa.Column('clear_results', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['rule_id'], ['linkage_rules.id'], ondelete='CASCADE',
                                name=op.f('fk_linkage_firings_rule_id_linkage_rules')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE',
                                name=op.f('fk_linkage_firings_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_linkage_firings')),
    )
    op.create_index('ix_linkage_firings_rule_at', 'linkage_firings', ['rule_id', 'fired_at'])
    op.create_index(op.f('ix_linkage_firings_site_id'), 'linkage_firings', ['site_id'])


def downgrade() -> None:
    op.drop_table('linkage_firings')
    op.drop_table('linkage_rule_states')
    op.drop_table('linkage_rules')
    op.execute("UPDATE devices SET attributes = (attributes::jsonb || "
               "jsonb_build_object('stream_url', stream_url))::json "
               "WHERE stream_url IS NOT NULL")
    op.drop_column('devices', 'stream_url')
