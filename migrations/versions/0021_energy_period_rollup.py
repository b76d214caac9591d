"""energy per tariff period: each device's import kWh per local day (and month), per
tariff version and period (sharp / peak / flat / valley; 'none' with tariff 0 before
the site's first version), kept by the energy rollup from the same slots as the day
rollups and re-rolled when a tariff version changes (docs/energy.md, "Cost")

Revision ID: 0021_energy_period_rollup
Revises: 0020_quality_rollup
Create Date: 2026-12-03 08:00:00.000000
"""
from alembic import op

revision = '0021_energy_period_rollup'
down_revision = "0020_quality_rollup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE energy_day_periods (
    device_id integer NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    day date NOT NULL,
    tariff_id integer NOT NULL,
    period varchar(8) NOT NULL,
    import_kwh double precision NOT NULL,
    CONSTRAINT pk_energy_day_periods PRIMARY KEY (device_id, day, tariff_id, period)
)""")
    op.execute("""
CREATE TABLE energy_month_periods (
    device_id integer NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    month date NOT NULL,
    tariff_id integer NOT NULL,
    period varchar(8) NOT NULL,
    import_kwh double precision NOT NULL,
    CONSTRAINT pk_energy_month_periods PRIMARY KEY (device_id, month, tariff_id, period)
)""")


def downgrade() -> None:
    op.execute("DROP TABLE energy_month_periods")
    op.execute("DROP TABLE energy_day_periods")
