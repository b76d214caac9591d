"""sitelink: the site box's uplink outbox and state; the centre's site credentials,
received (site, seq) pairs and per-site watermarks; origin ids on forwarded alarms,
alarm events and audit rows

Revision ID: 0019_sitelink
Revises: 0018_inspections
Create Date: 2026-12-02 20:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0019_sitelink'
down_revision = '0018_inspections'
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'uplink_outbox',
        sa.Column('id', sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column('seq', sa.BigInteger(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('created_at', _TS, server_default=sa.text('now()'), nullable=False),
        sa.Column('acked_at', _TS, nullable=True),
    )
    op.create_index('uq_uplink_outbox_seq', 'uplink_outbox', ['seq'], unique=True)
    op.create_index('ix_uplink_outbox_unnumbered', 'uplink_outbox', ['id'],
                    postgresql_where=sa.text('seq IS NULL'))
    op.create_table(
        'uplink_state',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('last_seq', sa.BigInteger(), nullable=False, server_default='0'),
        sa.Column('acked_seq', sa.BigInteger(), nullable=False, server_default='0'),
        sa.Column('state', sa.String(length=16), nullable=False, server_default='idle'),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('error_seq', sa.BigInteger(), nullable=True),
        sa.Column('last_ack_at', _TS, nullable=True),
        sa.Column('last_attempt_at', _TS, nullable=True),
    )
    op.create_table(
        'site_credentials',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('site_id', sa.Integer(), sa.ForeignKey('sites.id', ondelete='CASCADE'),
                  nullable=False, index=True),
        sa.Column('token_hash', sa.String(length=64), nullable=False, unique=True),
        sa.Column('prefix', sa.String(length=12), nullable=False),
        sa.Column('created_at', _TS, server_default=sa.text('now()'), nullable=False),
        sa.Column('created_by', sa.Integer(), sa.ForeignKey('users.id', ondelete='SET NULL'),
                  nullable=True),
        sa.Column('revoked_at', _TS, nullable=True),
    )
    op.create_table(
        'uplink_received',
        sa.Column('site_id', sa.Integer(), sa.ForeignKey('sites.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('seq', sa.BigInteger(), primary_key=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('received_at', _TS, server_default=sa.text('now()'), nullable=False),
    )
    op.create_table(
        'site_uplinks',
        sa.Column('site_id', sa.Integer(), sa.ForeignKey('sites.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('watermark', sa.BigInteger(), nullable=False, server_default='0'),
        sa.Column('last_batch_at', _TS, nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('error_seq', sa.BigInteger(), nullable=True),
    )
    for table in ('alarms', 'alarm_events', 'audit_log'):
        op.add_column(table, sa.Column('origin_id', sa.Integer(), nullable=True))
    op.create_index('uq_alarms_site_origin', 'alarms', ['site_id', 'origin_id'], unique=True,
                    postgresql_where=sa.text('origin_id IS NOT NULL'))
    op.create_index('uq_alarm_events_origin', 'alarm_events', ['alarm_id', 'origin_id'],
                    unique=True, postgresql_where=sa.text('origin_id IS NOT NULL'))
    op.create_index('uq_audit_log_site_origin', 'audit_log', ['site_id', 'origin_id'],
                    unique=True, postgresql_where=sa.text('origin_id IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('uq_audit_log_site_origin', table_name='audit_log')
    op.drop_index('uq_alarm_events_origin', table_name='alarm_events')
    op.drop_index('uq_alarms_site_origin', table_name='alarms')
    for table in ('audit_log', 'alarm_events', 'alarms'):
        op.drop_column(table, 'origin_id')
    for table in ('site_uplinks', 'uplink_received', 'site_credentials', 'uplink_state',
                  'uplink_outbox'):
        op.drop_table(table)
