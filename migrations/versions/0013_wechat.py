"""mini-program login: WeChat bindings; the last answer of each subscribe-grant request

Revision ID: 0013_wechat
Revises: 0012_water_level
Create Date: 2026-12-02 17:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_wechat'
down_revision = '0012_water_level'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'wechat_bindings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('appid', sa.String(length=32), nullable=False),
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('unionid', sa.String(length=64), nullable=True),
        sa.Column('oa_openid', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_wechat_bindings_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_wechat_bindings')),
        sa.UniqueConstraint('appid', 'openid', name='uq_wechat_bindings_openid'),
        sa.UniqueConstraint('appid', 'user_id', name='uq_wechat_bindings_user'),
    )
    op.create_index(op.f('ix_wechat_bindings_user_id'), 'wechat_bindings', ['user_id'])
    op.create_index(op.f('ix_wechat_bindings_unionid'), 'wechat_bindings', ['unionid'])
    op.add_column('subscribe_grants', sa.Column('last_result', sa.String(length=8),
                                                nullable=True))
    op.create_check_constraint('last_result', 'subscribe_grants',
                               "last_result IN ('accept', 'reject', 'ban')")


def downgrade() -> None:
    op.drop_constraint('ck_subscribe_grants_last_result', 'subscribe_grants', type_='check')
    op.drop_column('subscribe_grants', 'last_result')
    op.drop_table('wechat_bindings')
