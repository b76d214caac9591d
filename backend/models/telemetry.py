"""Telemetry: the metric registry, readings (monthly partitions) and device status.

Layout (narrow/long): one row per (device, metric, ts) with a ``smallint`` metric id,
a ``double precision`` value and a ``smallint`` quality bitmask; columns are ordered
ts, value, device_id, metric_id, quality so a row is 24 bytes of data with no padding.
``METRICS`` below is the single source of truth for canonical names, ids, units,
plausibility ranges and state mappings; the ``metrics`` table mirrors it (seeded by the
migrations) for joins and ad-hoc SQL. A new metric is a new entry here plus a migration
that inserts its row; ids are never reused.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.vocabulary import FAULT_INDICATOR_BITS, MODES, SWITCH_STATES, TRIP_CAUSES

# --- quality flags (bitmask; 0 = good; aggregates use quality = 0 only) --------------
Q_GOOD = 0
Q_OUT_OF_RANGE = 1       # outside the metric's plausibility range
Q_COUNTER_DECREASE = 2   # energy counter went down vs the last stored value (reset/replacement)
Q_INVALID = 4            # not a number / unknown state name or code (value stored as NaN or code)
QUALITY_FLAGS = {Q_OUT_OF_RANGE: "out_of_range", Q_COUNTER_DECREASE: "counter_decrease",
                 Q_INVALID: "invalid"}


def quality_names(q: int) -> list[str]:
    return [name for bit, name in QUALITY_FLAGS.items() if q & bit]


# --- state mappings: stored numerically, returned as names ---------------------------
# Names and codes: backend/vocabulary.py (the codec's output, the profiles' names).
LIGHT_STATES = {"off": 0, "on": 1}
WATER_LEAK = {"false": 0, "true": 1}   # the API returns JSON booleans for these (BOOLEAN_METRICS)


@dataclass(frozen=True)
class MetricDef:
    id: int
    name: str
    unit: str
    kind: str                      # "analog" | "counter" | "state" | "flags"
    lo: float | None = None        # plausibility range (inclusive)
    hi: float | None = None
    states: dict[str, int] = field(default_factory=dict)   # state codes; flags: bit numbers

    @property
    def names_by_code(self) -> dict[int, str]:
        cached = _NAMES_BY_CODE.get(self.id)
        if cached is None:   # computed once per metric: this is on the ingest hot path
            cached = _NAMES_BY_CODE[self.id] = {v: k for k, v in self.states.items()}
        return cached


_NAMES_BY_CODE: dict[int, dict[int, str]] = {}


_KW = 100_000.0    # ±100 MW: far beyond any detention centre, below any decoding garbage
_V, _A, _T = (0, 1000), (0, 10_000), (-50, 200)
_TJ = (-50, 250)   # terminal/joint probes: their own measuring range (a burning joint is real)

# id (stable, never reused), name, unit, kind, plausibility range, states
_TABLE = (
    (1, "voltage_a", "V", "analog", _V), (2, "voltage_b", "V", "analog", _V),
    (3, "voltage_c", "V", "analog", _V),
    (4, "current_a", "A", "analog", _A), (5, "current_b", "A", "analog", _A),
    (6, "current_c", "A", "analog", _A), (7, "current_n", "A", "analog", _A),
    (8, "active_power", "kW", "analog", (-_KW, _KW)),
    (9, "active_power_a", "kW", "analog", (-_KW, _KW)),
    (10, "active_power_b", "kW", "analog", (-_KW, _KW)),
    (11, "active_power_c", "kW", "analog", (-_KW, _KW)),
    (12, "reactive_power", "kvar", "analog", (-_KW, _KW)),
    (13, "apparent_power", "kVA", "analog", (0, _KW)),
    (14, "power_factor", "", "analog", (-1, 1)),
    (15, "frequency", "Hz", "analog", (40, 70)),
    (16, "energy_import", "kWh", "counter", (0, 1e12)),
    (17, "energy_export", "kWh", "counter", (0, 1e12)),
    (18, "reactive_energy", "kvarh", "counter", (0, 1e12)),
    (19, "temperature", "°C", "analog", _T),
    (20, "temperature_a", "°C", "analog", _TJ), (21, "temperature_b", "°C", "analog", _TJ),
    (22, "temperature_c", "°C", "analog", _TJ), (23, "temperature_n", "°C", "analog", _TJ),
    (24, "leakage_current", "mA", "analog", (0, 10_000)),
    (25, "switch_state", "", "state", SWITCH_STATES),
    (26, "mode", "", "state", MODES),
    (27, "trip_cause", "", "state", TRIP_CAUSES),
    (28, "humidity", "%RH", "analog", (0, 100)),
    (29, "water_leak", "", "state", WATER_LEAK),
    (30, "temperature_in_a", "°C", "analog", _TJ), (31, "temperature_in_b", "°C", "analog", _TJ),
    (32, "temperature_in_c", "°C", "analog", _TJ), (33, "temperature_in_n", "°C", "analog", _TJ),
    (34, "temperature_out_a", "°C", "analog", _TJ),
    (35, "temperature_out_b", "°C", "analog", _TJ),
    (36, "temperature_out_c", "°C", "analog", _TJ),
    (37, "temperature_out_n", "°C", "analog", _TJ),
    (38, "fault_indicators", "", "flags", FAULT_INDICATOR_BITS),
    (39, "dim_level", "%", "analog", (0, 100)),      # a load controller's dimmer
    (40, "light", "", "state", LIGHT_STATES),         # a KNX group (backend/knx/groups.py)
    (41, "brightness", "%", "analog", (0, 100)),
    (42, "water_level", "cm", "analog", (0, 1000)),  # a sump's or cable trench's water level
    (43, "high_water", "", "state", WATER_LEAK),     # its high-level float switch
    # power quality (docs/quality.md): line-to-line voltages, THD per phase
    (44, "voltage_ab", "V", "analog", (0, 2000)), (45, "voltage_bc", "V", "analog", (0, 2000)),
    (46, "voltage_ca", "V", "analog", (0, 2000)),
    (47, "thd_voltage_a", "%", "analog", (0, 100)), (48, "thd_voltage_b", "%", "analog", (0, 100)),
    (49, "thd_voltage_c", "%", "analog", (0, 100)),
    (50, "thd_current_a", "%", "analog", (0, 1000)),
    (51, "thd_current_b", "%", "analog", (0, 1000)),
    (52, "thd_current_c", "%", "analog", (0, 1000)),
)


def _defs() -> list[MetricDef]:
    out = []
    for mid, name, unit, kind, spec in _TABLE:
        if kind in ("state", "flags"):
            out.append(MetricDef(mid, name, unit, kind, states=dict(spec)))
        else:
            out.append(MetricDef(mid, name, unit, kind, float(spec[0]), float(spec[1])))
    return out


METRIC_LIST: tuple[MetricDef, ...] = tuple(_defs())
METRICS: dict[str, MetricDef] = {m.name: m for m in METRIC_LIST}
METRICS_BY_ID: dict[int, MetricDef] = {m.id: m for m in METRIC_LIST}


# --- tables --------------------------------------------------------------------------
class Metric(Base):
    """Mirror of ``METRICS`` (seeded by migrations; not truncated by tests)."""

    __tablename__ = "metrics"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    unit: Mapped[str] = mapped_column(String(16), default="")
    kind: Mapped[str] = mapped_column(String(16), default="analog")


class Reading(Base):
    """Partitioned by RANGE (ts), one partition per month (``readings_pYYYYMM``).

    No foreign key to devices: a per-row FK check would slow COPY, and history outlives
    a deleted device until retention drops its month. Created by hand-written SQL in the
    migration; the mapping here is for reads.
    """

    __tablename__ = "readings"
    __table_args__ = (Index("ix_readings_ts", "ts", postgresql_using="brin"),
                      {"postgresql_partition_by": "RANGE (ts)"})

    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    device_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    metric_id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    quality: Mapped[int] = mapped_column(SmallInteger, default=0)


class DeviceStatus(Base):
    """Communication status from the poller. ``online`` is NULL until first known."""

    __tablename__ = "device_status"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    online: Mapped[bool | None] = mapped_column(Boolean, index=True)
    last_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_poll_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeviceStatusEvent(Base):
    """Every online/offline transition, for availability reports and alarms."""

    __tablename__ = "device_status_events"
    __table_args__ = (Index("ix_device_status_events_device_at", "device_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    online: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
