"""alarms and notifications

Rule overrides and state, alarms and their timeline, maintenance windows, repair orders
and photos, recipients, notify profiles, subscribe grants, Web Push subscriptions, the
notification outbox and its attempts.

Revision ID: 0003_alarms
Revises: 0002_telemetry
Create Date: 2026-11-23 21:30:06.980317
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_alarms'
down_revision = '0002_telemetry'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notify_profiles',
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('oa_openid', sa.String(length=64), nullable=True),
    sa.Column('mp_openid', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notify_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notify_profiles'))
    )
    op.create_table('subscribe_grants',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('remaining', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_subscribe_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'template_id', name=op.f('pk_subscribe_grants'))
    )
    op.create_table('webpush_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.Text(), nullable=False),
    sa.Column('p256dh', sa.String(length=255), nullable=False),
    sa.Column('auth', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_webpush_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webpush_subscriptions')),
    sa.UniqueConstraint('endpoint', name=op.f('uq_webpush_subscriptions_endpoint'))
    )
    op.create_index(op.f('ix_webpush_subscriptions_user_id'), 'webpush_subscriptions', ['user_id'], unique=False)
    op.create_table('alarm_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('min_level', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("min_level IN ('warning', 'alarm')", name=op.f('ck_alarm_recipients_min_level')),
    sa.CheckConstraint('tier BETWEEN 1 AND 5', name=op.f('ck_alarm_recipients_tier')),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_alarm_recipients_area_id_areas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_alarm_recipients_site_id_sites'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_alarm_recipients_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_recipients')),
    sa.UniqueConstraint('site_id', 'area_id', 'user_id', name='uq_alarm_recipients_target', postgresql_nulls_not_distinct=True)
    )
    op.create_index(op.f('ix_alarm_recipients_site_id'), 'alarm_recipients', ['site_id'], unique=False)
    op.create_index(op.f('ix_alarm_recipients_user_id'), 'alarm_recipients', ['user_id'], unique=False)
    op.create_table('maintenance_windows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=True),
    sa.Column('circuit_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('(board_id IS NULL) <> (circuit_id IS NULL)', name=op.f('ck_maintenance_windows_one_target')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_maintenance_windows_order')),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_maintenance_windows_board_id_boards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['circuit_id'], ['circuits.id'], name=op.f('fk_maintenance_windows_circuit_id_circuits'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_maintenance_windows_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_maintenance_windows_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maintenance_windows'))
    )
    op.create_index(op.f('ix_maintenance_windows_site_id'), 'maintenance_windows', ['site_id'], unique=False)
    op.create_table('alarm_rule_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=24), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('gateway_id', sa.Integer(), nullable=True),
    sa.Column('pending', sa.JSON(), nullable=False),
    sa.Column('clearing_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('flips', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_alarm_rule_states_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['gateway_id'], ['gateways.id'], name=op.f('fk_alarm_rule_states_gateway_id_gateways'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_rule_states')),
    sa.UniqueConstraint('subject', 'rule', name='uq_alarm_rule_states_key')
    )
    op.create_index(op.f('ix_alarm_rule_states_device_id'), 'alarm_rule_states', ['device_id'], unique=False)
    op.create_index(op.f('ix_alarm_rule_states_gateway_id'), 'alarm_rule_states', ['gateway_id'], unique=False)
    op.create_table('alarm_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=True),
    sa.Column('threshold', sa.Float(), nullable=True),
    sa.Column('clear_threshold', sa.Float(), nullable=True),
    sa.Column('hold_seconds', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("level IN ('warning', 'alarm')", name=op.f('ck_alarm_rules_level')),
    sa.CheckConstraint("scope IN ('site', 'category', 'device')", name=op.f('ck_alarm_rules_scope')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_alarm_rules_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_alarm_rules_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_rules')),
    sa.UniqueConstraint('site_id', 'scope', 'category', 'device_id', 'rule', 'level', name='uq_alarm_rules_target', postgresql_nulls_not_distinct=True)
    )
    op.create_index(op.f('ix_alarm_rules_device_id'), 'alarm_rules', ['device_id'], unique=False)
    op.create_index(op.f('ix_alarm_rules_site_id'), 'alarm_rules', ['site_id'], unique=False)
    op.create_table('alarms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('gateway_id', sa.Integer(), nullable=True),
    sa.Column('circuit_id', sa.Integer(), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('board_id', sa.Integer(), nullable=True),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('peak_value', sa.Float(), nullable=True),
    sa.Column('threshold', sa.Float(), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('trip_cause', sa.String(length=32), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('flapping', sa.Boolean(), nullable=False),
    sa.Column('silenced', sa.Boolean(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.Integer(), nullable=True),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('notified_tier', sa.Integer(), nullable=False),
    sa.Column('last_notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("level IN ('warning', 'alarm')", name=op.f('ck_alarms_level')),
    sa.CheckConstraint("state IN ('active', 'acknowledged', 'cleared', 'closed')", name=op.f('ck_alarms_state')),
    sa.ForeignKeyConstraint(['acknowledged_by'], ['users.id'], name=op.f('fk_alarms_acknowledged_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_alarms_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['closed_by'], ['users.id'], name=op.f('fk_alarms_closed_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_alarms_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['gateway_id'], ['gateways.id'], name=op.f('fk_alarms_gateway_id_gateways'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['alarms.id'], name=op.f('fk_alarms_parent_id_alarms'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_alarms_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarms'))
    )
    op.create_index(op.f('ix_alarms_area_id'), 'alarms', ['area_id'], unique=False)
    op.create_index(op.f('ix_alarms_assignee_id'), 'alarms', ['assignee_id'], unique=False)
    op.create_index(op.f('ix_alarms_board_id'), 'alarms', ['board_id'], unique=False)
    op.create_index(op.f('ix_alarms_circuit_id'), 'alarms', ['circuit_id'], unique=False)
    op.create_index(op.f('ix_alarms_device_id'), 'alarms', ['device_id'], unique=False)
    op.create_index(op.f('ix_alarms_gateway_id'), 'alarms', ['gateway_id'], unique=False)
    op.create_index(op.f('ix_alarms_parent_id'), 'alarms', ['parent_id'], unique=False)
    op.create_index('ix_alarms_site_raised', 'alarms', ['site_id', 'raised_at'], unique=False)
    op.create_index('ix_alarms_state_level', 'alarms', ['state', 'level'], unique=False)
    op.create_index('uq_alarms_open_device_rule', 'alarms', ['device_id', 'rule'], unique=True, postgresql_where=sa.text("state IN ('active', 'acknowledged') AND device_id IS NOT NULL"))
    op.create_index('uq_alarms_open_gateway_rule', 'alarms', ['gateway_id', 'rule'], unique=True, postgresql_where=sa.text("state IN ('active', 'acknowledged') AND device_id IS NULL"))
    op.create_table('alarm_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alarm_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarms.id'], name=op.f('fk_alarm_events_alarm_id_alarms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_alarm_events_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_events'))
    )
    op.create_index('ix_alarm_events_alarm_at', 'alarm_events', ['alarm_id', 'at'], unique=False)
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alarm_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('event', sa.String(length=24), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=128), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('channel_index', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_channel', sa.String(length=24), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarms.id'], name=op.f('fk_notifications_alarm_id_alarms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('dedupe_key', name='uq_notifications_dedupe_key')
    )
    op.create_index(op.f('ix_notifications_alarm_id'), 'notifications', ['alarm_id'], unique=False)
    op.create_index('ix_notifications_due', 'notifications', ['status', 'next_attempt_at'], unique=False)
    op.create_table('repair_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('alarm_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('open', 'in_progress', 'done')", name=op.f('ck_repair_orders_status')),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarms.id'], name=op.f('fk_repair_orders_alarm_id_alarms'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_repair_orders_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_repair_orders_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_repair_orders_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_orders'))
    )
    op.create_index(op.f('ix_repair_orders_alarm_id'), 'repair_orders', ['alarm_id'], unique=False)
    op.create_index(op.f('ix_repair_orders_assignee_id'), 'repair_orders', ['assignee_id'], unique=False)
    op.create_index(op.f('ix_repair_orders_site_id'), 'repair_orders', ['site_id'], unique=False)
    op.create_table('notification_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=24), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('provider_ref', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_notification_attempts_notification_id_notifications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_attempts'))
    )
    op.create_index('ix_notification_attempts_notification', 'notification_attempts', ['notification_id'], unique=False)
    op.create_table('repair_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['repair_orders.id'], name=op.f('fk_repair_photos_order_id_repair_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_repair_photos_uploaded_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_photos'))
    )
    op.create_index(op.f('ix_repair_photos_order_id'), 'repair_photos', ['order_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_repair_photos_order_id'), table_name='repair_photos')
    op.drop_table('repair_photos')
    op.drop_index('ix_notification_attempts_notification', table_name='notification_attempts')
    op.drop_table('notification_attempts')
    op.drop_index(op.f('ix_repair_orders_site_id'), table_name='repair_orders')
    op.drop_index(op.f('ix_repair_orders_assignee_id'), table_name='repair_orders')
    op.drop_index(op.f('ix_repair_orders_alarm_id'), table_name='repair_orders')
    op.drop_table('repair_orders')
    op.drop_index('ix_notifications_due', table_name='notifications')
    op.drop_index(op.f('ix_notifications_alarm_id'), table_name='notifications')
    op.drop_table('notifications')
    op.drop_index('ix_alarm_events_alarm_at', table_name='alarm_events')
    op.drop_table('alarm_events')
    op.drop_index('uq_alarms_open_gateway_rule', table_name='alarms', postgresql_where=sa.text("state IN ('active', 'acknowledged') AND device_id IS NULL"))
    op.drop_index('uq_alarms_open_device_rule', table_name='alarms', postgresql_where=sa.text("state IN ('active', 'acknowledged') AND device_id IS NOT NULL"))
    op.drop_index('ix_alarms_state_level', table_name='alarms')
    op.drop_index('ix_alarms_site_raised', table_name='alarms')
    op.drop_index(op.f('ix_alarms_parent_id'), table_name='alarms')
    op.drop_index(op.f('ix_alarms_gateway_id'), table_name='alarms')
    op.drop_index(op.f('ix_alarms_device_id'), table_name='alarms')
    op.drop_index(op.f('ix_alarms_circuit_id'), table_name='alarms')
    op.drop_index(op.f('ix_alarms_board_id'), table_name='alarms')
    op.drop_index(op.f('ix_alarms_assignee_id'), table_name='alarms')
    op.drop_index(op.f('ix_alarms_area_id'), table_name='alarms')
    op.drop_table('alarms')
    op.drop_index(op.f('ix_alarm_rules_site_id'), table_name='alarm_rules')
    op.drop_index(op.f('ix_alarm_rules_device_id'), table_name='alarm_rules')
    op.drop_table('alarm_rules')
    op.drop_index(op.f('ix_alarm_rule_states_gateway_id'), table_name='alarm_rule_states')
    op.drop_index(op.f('ix_alarm_rule_states_device_id'), table_name='alarm_rule_states')
    op.drop_table('alarm_rule_states')
    op.drop_index(op.f('ix_maintenance_windows_site_id'), table_name='maintenance_windows')
    op.drop_table('maintenance_windows')
    op.drop_index(op.f('ix_alarm_recipients_user_id'), table_name='alarm_recipients')
    op.drop_index(op.f('ix_alarm_recipients_site_id'), table_name='alarm_recipients')
    op.drop_table('alarm_recipients')
    op.drop_index(op.f('ix_webpush_subscriptions_user_id'), table_name='webpush_subscriptions')
    op.drop_table('webpush_subscriptions')
    op.drop_table('subscribe_grants')
    op.drop_table('notify_profiles')
