"""auth hardening

Refresh-token families (atomic rotation, reuse detection) and the sites of audit rows
that concern several (users and their grants).

Revision ID: 0004_auth_hardening
Revises: 0003_alarms
Create Date: 2026-12-01 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0004_auth_hardening'
down_revision = '0003_alarms'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('refresh_families',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('current_jti', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('rotated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_refresh_families_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_families'))
    )
    op.create_index(op.f('ix_refresh_families_expires_at'), 'refresh_families', ['expires_at'], unique=False)
    op.create_index(op.f('ix_refresh_families_user_id'), 'refresh_families', ['user_id'], unique=False)
    op.add_column('audit_log', sa.Column('site_ids', postgresql.ARRAY(sa.Integer()), nullable=True))
    op.create_index('ix_audit_log_site_ids', 'audit_log', ['site_ids'], unique=False, postgresql_using='gin')


def downgrade() -> None:
    op.drop_index('ix_audit_log_site_ids', table_name='audit_log', postgresql_using='gin')
    op.drop_column('audit_log', 'site_ids')
    op.drop_index(op.f('ix_refresh_families_user_id'), table_name='refresh_families')
    op.drop_index(op.f('ix_refresh_families_expires_at'), table_name='refresh_families')
    op.drop_table('refresh_families')
