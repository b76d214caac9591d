"""power quality's daily results (docs/quality.md)

Revision ID: 0013_quality
Revises: 0011_water_level (the brief said 0010_linkage; main's head is 0011, and two heads would stop `upgrade head`)
Create Date: 2026-12-02 17:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_quality'
down_revision = '0011_water_level'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quality_daily",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("device_id", sa.Integer(), sa.ForeignKey("devices.id", ondelete="CASCADE"),
                  nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("intervals", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("indices", sa.JSON(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("diagnosis", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("uq_quality_daily", "quality_daily",
                    ["site_id", sa.text("coalesce(device_id, 0)"), "day"], unique=True)
    op.create_index("ix_quality_daily_device_day", "quality_daily", ["device_id", "day"])


def downgrade() -> None:
    op.drop_table("quality_daily")
