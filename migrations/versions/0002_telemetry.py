"""telemetry: metrics, readings partitioned by month, device status

Revision ID: 0002_telemetry
Revises: 0001_foundation
Create Date: 2026-11-23 21:00:00

``readings`` is written by hand (PARTITION BY RANGE (ts)); its monthly partitions
(``readings_pYYYYMM``) are created here for the current month and the next two, then by
the ``telemetry.create_partitions`` job and on demand by ingest.
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_telemetry"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

# Frozen copy of backend.models.telemetry.METRICS at this revision (ids never change).
METRICS = [
    (1, "voltage_a", "V", "analog"), (2, "voltage_b", "V", "analog"),
    (3, "voltage_c", "V", "analog"), (4, "current_a", "A", "analog"),
    (5, "current_b", "A", "analog"), (6, "current_c", "A", "analog"),
    (7, "current_n", "A", "analog"), (8, "active_power", "kW", "analog"),
    (9, "active_power_a", "kW", "analog"), (10, "active_power_b", "kW", "analog"),
    (11, "active_power_c", "kW", "analog"), (12, "reactive_power", "kvar", "analog"),
    (13, "apparent_power", "kVA", "analog"), (14, "power_factor", "", "analog"),
    (15, "frequency", "Hz", "analog"), (16, "energy_import", "kWh", "counter"),
    (17, "energy_export", "kWh", "counter"), (18, "reactive_energy", "kvarh", "counter"),
    (19, "temperature", "°C", "analog"), (20, "temperature_a", "°C", "analog"),
    (21, "temperature_b", "°C", "analog"), (22, "temperature_c", "°C", "analog"),
    (23, "temperature_n", "°C", "analog"), (24, "leakage_current", "mA", "analog"),
    (25, "switch_state", "", "state"), (26, "mode", "", "state"),
    (27, "trip_cause", "", "state"), (28, "humidity", "%RH", "analog"),
    (29, "water_leak", "", "state"), (30, "temperature_in_a", "°C", "analog"),
    (31, "temperature_in_b", "°C", "analog"), (32, "temperature_in_c", "°C", "analog"),
    (33, "temperature_in_n", "°C", "analog"), (34, "temperature_out_a", "°C", "analog"),
    (35, "temperature_out_b", "°C", "analog"), (36, "temperature_out_c", "°C", "analog"),
    (37, "temperature_out_n", "°C", "analog"), (38, "fault_indicators", "", "flags"),
]


def upgrade() -> None:
    metrics = op.create_table(
        "metrics",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metrics")),
        sa.UniqueConstraint("name", name=op.f("uq_metrics_name")),
    )
    op.bulk_insert(metrics, [dict(id=i, name=n, unit=u, kind=k) for i, n, u, k in METRICS])

    op.execute("""
        CREATE TABLE readings (
            ts timestamptz NOT NULL,
            value double precision NOT NULL,
            device_id integer NOT NULL,
            metric_id smallint NOT NULL,
            quality smallint NOT NULL DEFAULT 0,
            CONSTRAINT pk_readings PRIMARY KEY (device_id, metric_id, ts)
        ) PARTITION BY RANGE (ts)
    """)
    # Time-only scans (rollups over all devices) use this; it costs almost nothing.
    op.execute("CREATE INDEX ix_readings_ts ON readings USING brin (ts)")
    op.execute("""
        DO $$
        DECLARE m date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
        BEGIN
            FOR i IN 0..2 LOOP
                EXECUTE format(
                    'CREATE TABLE IF NOT EXISTS %I PARTITION OF readings '
                    'FOR VALUES FROM (%L) TO (%L)',
                    'readings_p' || to_char(m + make_interval(months => i), 'YYYYMM'),
                    (m + make_interval(months => i))::date::text || ' 00:00:00+00',
                    (m + make_interval(months => i + 1))::date::text || ' 00:00:00+00');
            END LOOP;
        END $$;
    """)

    op.create_table(
        "device_status",
        sa.Column("device_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("online", sa.Boolean(), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_poll_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"],
                                name=op.f("fk_device_status_device_id_devices"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_device_status")),
    )
    op.create_index(op.f("ix_device_status_online"), "device_status", ["online"], unique=False)
    op.create_table(
        "device_status_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"],
                                name=op.f("fk_device_status_events_device_id_devices"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_status_events")),
    )
    op.create_index("ix_device_status_events_device_at", "device_status_events",
                    ["device_id", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_device_status_events_device_at", table_name="device_status_events")
    op.drop_table("device_status_events")
    op.drop_index(op.f("ix_device_status_online"), table_name="device_status")
    op.drop_table("device_status")
    op.execute("DROP TABLE readings CASCADE")   # drops every partition with it
    op.drop_table("metrics")
