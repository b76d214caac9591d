"""power quality's 10-minute rollup: one row per monitoring point and interval (the RMS
phase voltages and currents, the mean frequency, powers, line voltages, angles and THD,
and the interval's lowest and highest voltage sample), kept by the quality rollup from
telemetry ingest's marks (docs/quality.md)

Revision ID: 0020_quality_rollup
Revises: 0018_inspections
Create Date: 2026-12-02 20:00:00.000000
"""
from alembic import op

revision = '0020_quality_rollup'
down_revision = "0019_sitelink"
branch_labels = None
depends_on = None

COLUMNS = ("voltage_a", "voltage_b", "voltage_c", "current_a", "current_b", "current_c",
           "frequency", "active_power", "reactive_power", "power_factor", "voltage_ab",
           "voltage_bc", "voltage_ca", "voltage_angle_b", "voltage_angle_c", "thd_voltage_a",
           "thd_voltage_b", "thd_voltage_c", "v_lo", "v_hi")


def upgrade() -> None:
    cols = ",\n".join(f"    {c} double precision" for c in COLUMNS)
    op.execute(f"""
CREATE TABLE quality_intervals (
    device_id integer NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    ts timestamptz NOT NULL,
    n integer NOT NULL,
{cols},
    CONSTRAINT pk_quality_intervals PRIMARY KEY (device_id, ts)
)""")


def downgrade() -> None:
    op.execute("DROP TABLE quality_intervals")
