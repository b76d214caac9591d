"""the water-level sensor's metrics: water_level (cm) and its float switch high_water

Revision ID: 0012_water_level
Revises: 0011_knx
Create Date: 2026-12-02 16:30:00.000000
"""
from alembic import op


revision = '0012_water_level'
down_revision = '0011_knx'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("INSERT INTO metrics (id, name, unit, kind) VALUES "
               "(42, 'water_level', 'cm', 'analog'), (43, 'high_water', '', 'state')")


def downgrade() -> None:
    op.execute("DELETE FROM readings WHERE metric_id IN (42, 43)")
    op.execute("DELETE FROM metrics WHERE id IN (42, 43)")
