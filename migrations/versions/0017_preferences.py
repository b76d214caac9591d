"""user_preferences: a person's client preferences (the cockpit's cards)

Revision ID: 0017_preferences
Revises: 0016_energy_analytics
Create Date: 2026-12-02 17:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0017_preferences'
down_revision = '0016_energy_analytics'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_preferences',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name='fk_user_preferences_user_id_users'),
        sa.PrimaryKeyConstraint('user_id', name='pk_user_preferences'),
    )


def downgrade():
    op.drop_table('user_preferences')
