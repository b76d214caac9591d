"""power quality's per-interval values stored at roll time (issue 13, the month
report's speed): the three-phase extremes and mean of the phase voltages, the sum of the
phase currents, the highest phase THD, the voltage unbalance u2 and its method, the
current unbalance and the highest phase current (judged against the load floor at read
time), |f - 50 Hz| and the power factor. None depends on a setting or a device's
nominal voltage, poles or rating: those stay read-time arithmetic (docs/decisions.md
2026-12-03). Existing rows are filled in the migration from their own stored columns
(one UPDATE, the same expressions the rollup uses, frozen here): no re-roll, so it does
not depend on the readings still being kept.

And the per-day partial statistics ``quality_days`` (backend/quality/days.py) with the
spec each point's days were computed with (``quality_day_specs``): created empty; the
rollup job fills a point's days from its rolled intervals (``rollup.resync_days``,
50 points a run, every point without days or with another spec); until then a read
computes that point from its intervals, as before.

Revision ID: 0026_quality_values
Revises: 0025_command_delivery
Create Date: 2026-12-03 09:00:00.000000
"""
from alembic import op

revision = '0026_quality_values'
down_revision = "0025_command_delivery"
branch_labels = None
depends_on = None

# the values' SQL as rollup.value_exprs() wrote them on 2026-12-03 (frozen: a later
# change of the code must not change what this migration does)
VALUES = {
    'v3_lo': (
        'CASE WHEN (voltage_a IS NOT NULL AND voltage_b IS NOT NULL AND voltage_c IS NOT '
        'NULL) THEN least(voltage_a, voltage_b, voltage_c) END'
    ),
    'v3_hi': (
        'CASE WHEN (voltage_a IS NOT NULL AND voltage_b IS NOT NULL AND voltage_c IS NOT '
        'NULL) THEN greatest(voltage_a, voltage_b, voltage_c) END'
    ),
    'v3_mean': (
        'CASE WHEN (voltage_a IS NOT NULL AND voltage_b IS NOT NULL AND voltage_c IS NOT '
        'NULL) THEN (voltage_a + voltage_b + voltage_c) / 3 END'
    ),
    'i3_sum': (
        'CASE WHEN (current_a IS NOT NULL AND current_b IS NOT NULL AND current_c IS NOT '
        'NULL) THEN current_a + current_b + current_c END'
    ),
    'i3_max': (
        'CASE WHEN (current_a IS NOT NULL AND current_b IS NOT NULL AND current_c IS NOT '
        'NULL) THEN greatest(current_a, current_b, current_c) END'
    ),
    'thd3': (
        'CASE WHEN (thd_voltage_a IS NOT NULL AND thd_voltage_b IS NOT NULL AND '
        'thd_voltage_c IS NOT NULL) THEN greatest(thd_voltage_a, thd_voltage_b, '
        'thd_voltage_c) END'
    ),
    'u2': (
        'CASE WHEN (voltage_ab IS NOT NULL AND voltage_bc IS NOT NULL AND voltage_ca IS '
        'NOT NULL) THEN CASE WHEN (voltage_ab ^ 2 + voltage_bc ^ 2 + voltage_ca ^ 2) > 0 '
        'THEN 100.0 * sqrt((1.0 - sqrt(greatest(0.0, 3.0 - 6.0 * ((voltage_ab ^ 4 + '
        'voltage_bc ^ 4 + voltage_ca ^ 4) / ((voltage_ab ^ 2 + voltage_bc ^ 2 + '
        'voltage_ca ^ 2) * (voltage_ab ^ 2 + voltage_bc ^ 2 + voltage_ca ^ 2)))))) / (1.0'
        ' + sqrt(greatest(0.0, 3.0 - 6.0 * ((voltage_ab ^ 4 + voltage_bc ^ 4 + voltage_ca'
        ' ^ 4) / ((voltage_ab ^ 2 + voltage_bc ^ 2 + voltage_ca ^ 2) * (voltage_ab ^ 2 + '
        'voltage_bc ^ 2 + voltage_ca ^ 2))))))) END WHEN (voltage_a IS NOT NULL AND '
        'voltage_b IS NOT NULL AND voltage_c IS NOT NULL) AND (voltage_angle_b IS NOT '
        'NULL AND voltage_angle_c IS NOT NULL) THEN CASE WHEN sqrt((voltage_a + voltage_b'
        ' * cos(radians(voltage_angle_b) + 2 * pi() / 3) + voltage_c * '
        'cos(radians(voltage_angle_c) + 4 * pi() / 3)) * (voltage_a + voltage_b * '
        'cos(radians(voltage_angle_b) + 2 * pi() / 3) + voltage_c * '
        'cos(radians(voltage_angle_c) + 4 * pi() / 3)) + (voltage_b * '
        'sin(radians(voltage_angle_b) + 2 * pi() / 3) + voltage_c * '
        'sin(radians(voltage_angle_c) + 4 * pi() / 3)) * (voltage_b * '
        'sin(radians(voltage_angle_b) + 2 * pi() / 3) + voltage_c * '
        'sin(radians(voltage_angle_c) + 4 * pi() / 3))) > 0 THEN 100.0 * sqrt((voltage_a '
        '+ voltage_b * cos(radians(voltage_angle_b) + 4 * pi() / 3) + voltage_c * '
        'cos(radians(voltage_angle_c) + 2 * pi() / 3)) * (voltage_a + voltage_b * '
        'cos(radians(voltage_angle_b) + 4 * pi() / 3) + voltage_c * '
        'cos(radians(voltage_angle_c) + 2 * pi() / 3)) + (voltage_b * '
        'sin(radians(voltage_angle_b) + 4 * pi() / 3) + voltage_c * '
        'sin(radians(voltage_angle_c) + 2 * pi() / 3)) * (voltage_b * '
        'sin(radians(voltage_angle_b) + 4 * pi() / 3) + voltage_c * '
        'sin(radians(voltage_angle_c) + 2 * pi() / 3))) / sqrt((voltage_a + voltage_b * '
        'cos(radians(voltage_angle_b) + 2 * pi() / 3) + voltage_c * '
        'cos(radians(voltage_angle_c) + 4 * pi() / 3)) * (voltage_a + voltage_b * '
        'cos(radians(voltage_angle_b) + 2 * pi() / 3) + voltage_c * '
        'cos(radians(voltage_angle_c) + 4 * pi() / 3)) + (voltage_b * '
        'sin(radians(voltage_angle_b) + 2 * pi() / 3) + voltage_c * '
        'sin(radians(voltage_angle_c) + 4 * pi() / 3)) * (voltage_b * '
        'sin(radians(voltage_angle_b) + 2 * pi() / 3) + voltage_c * '
        'sin(radians(voltage_angle_c) + 4 * pi() / 3))) END WHEN (voltage_a IS NOT NULL '
        'AND voltage_b IS NOT NULL AND voltage_c IS NOT NULL) THEN CASE WHEN voltage_a + '
        'voltage_b + voltage_c > 0 THEN 100.0 * sqrt(greatest(0.0, voltage_a * voltage_a '
        '+ voltage_b * voltage_b + voltage_c * voltage_c - voltage_a * voltage_b - '
        'voltage_b * voltage_c - voltage_c * voltage_a)) / (voltage_a + voltage_b + '
        'voltage_c) END END'
    ),
    'um': (
        'CASE WHEN (voltage_ab IS NOT NULL AND voltage_bc IS NOT NULL AND voltage_ca IS '
        "NOT NULL) THEN 'l' WHEN (voltage_a IS NOT NULL AND voltage_b IS NOT NULL AND "
        'voltage_c IS NOT NULL) AND (voltage_angle_b IS NOT NULL AND voltage_angle_c IS '
        "NOT NULL) THEN 'p' WHEN (voltage_a IS NOT NULL AND voltage_b IS NOT NULL AND "
        "voltage_c IS NOT NULL) THEN 'm' END"
    ),
    'cu': (
        'CASE WHEN (current_a IS NOT NULL AND current_b IS NOT NULL AND current_c IS NOT '
        'NULL) AND greatest(current_a, current_b, current_c) > 0 THEN 100.0 * '
        '(greatest(current_a, current_b, current_c) - least(current_a, current_b, '
        'current_c)) / greatest(current_a, current_b, current_c) END'
    ),
    'fd': (
        'abs(frequency - 50.0)'
    ),
    'pf': (
        'CASE WHEN active_power IS NOT NULL AND abs(active_power) < 0.05 THEN NULL WHEN '
        'active_power IS NOT NULL AND reactive_power IS NOT NULL THEN CASE WHEN '
        'sqrt(active_power ^ 2 + reactive_power ^ 2) > 0 THEN abs(active_power) / '
        'sqrt(active_power ^ 2 + reactive_power ^ 2) END ELSE abs(power_factor) END'
    ),
}


INDICES = ("vd", "vu", "cu", "fr", "pf", "th")     # quality_days' statistics per index


def backfill_sql() -> str:
    """Every row's values from its own columns: what the rollup stores for it."""
    names = ", ".join(VALUES)
    exprs = ", ".join(VALUES.values())
    return f"UPDATE quality_intervals SET ({names}) = ({exprs})"


def upgrade() -> None:
    cols = ", ".join(f"ADD COLUMN {c} " + ("char(1)" if c == "um" else "double precision")
                     for c in VALUES)
    op.execute(f"ALTER TABLE quality_intervals {cols}")
    op.execute(backfill_sql())
    stats = ",\n".join(
        [f"    {c} integer" for c in ("n_all", "n_flagged", "r_n")]
        + [f"    {k}_{s} integer" for k in INDICES for s in ("n", "ok")]
        + [f"    {k}_{s} double precision" for k in INDICES for s in ("max", "min")]
        + [f"    {k}_top double precision[]" for k in (*INDICES, "vdl")]
        + [f"    vu_{m} boolean" for m in "mlp"]
        + [f"    r_{s} double precision" for s in ("mx", "my", "sxx", "syy", "sxy")]
        + ["    disturbed timestamptz[]"])
    op.execute(f"""
CREATE TABLE quality_days (
    device_id integer NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    day date NOT NULL,
{stats},
    CONSTRAINT pk_quality_days PRIMARY KEY (device_id, day)
)""")
    op.execute("""
CREATE TABLE quality_day_specs (
    device_id integer PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    phases integer NOT NULL,
    nom double precision NOT NULL,
    lower_pct double precision NOT NULL,
    upper_pct double precision NOT NULL,
    cfloor double precision NOT NULL,
    pft double precision NOT NULL,
    thdmax double precision NOT NULL
)""")


def downgrade() -> None:
    op.execute("DROP TABLE quality_day_specs")
    op.execute("DROP TABLE quality_days")
    cols = ", ".join(f"DROP COLUMN {c}" for c in VALUES)
    op.execute(f"ALTER TABLE quality_intervals {cols}")
