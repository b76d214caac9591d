"""power quality's daily results (docs/quality.md); the metrics line-to-line voltage and
THD (ids 44-52, mapped by the SDM630 profile)

Revision ID: 0015_quality
Revises: 0014_energy
Create Date: 2026-12-02 17:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0015_quality'
down_revision = '0014_energy'
branch_labels = None
depends_on = None


METRICS = ((44, "voltage_ab", "V"), (45, "voltage_bc", "V"), (46, "voltage_ca", "V"),
           (47, "thd_voltage_a", "%"), (48, "thd_voltage_b", "%"), (49, "thd_voltage_c", "%"),
           (50, "thd_current_a", "%"), (51, "thd_current_b", "%"), (52, "thd_current_c", "%"))


def upgrade() -> None:
    op.execute("INSERT INTO metrics (id, name, unit, kind) VALUES " + ", ".join(
        f"({i}, '{n}', '{u}', 'analog')" for i, n, u in METRICS))
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
    ids = ", ".join(str(i) for i, _n, _u in METRICS)
    op.execute(f"DELETE FROM readings WHERE metric_id IN ({ids})")
    op.execute(f"DELETE FROM metrics WHERE id IN ({ids})")
