"""Energy rollups (backend/energy, docs/energy.md).

- ``energy_slots``: per device and 15-minute slot (UTC-aligned), import / export kWh,
  reactive kvarh, demand (the slot's average import power, kW) and whether any of it is
  estimated (a gap spread over it, a reset's lost part). Written only by the rollup.
- ``energy_days`` / ``energy_months``: the same per device and local day / month of the
  device's site (its time zone), demand the maximum slot demand. Hours are read from the
  slots (four rows an hour) rather than stored.
- ``energy_state``: per device the rollup's watermark (newest reading rolled up).
- ``meter_replacements``: the explicit event that splits a device's counter series.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base

# The counters rolled up, and the slot column each one fills.
COUNTERS = {"energy_import": "import_kwh", "energy_export": "export_kwh",
            "reactive_energy": "reactive_kvarh"}


class _Amounts:
    import_kwh: Mapped[float] = mapped_column(Float, default=0.0)
    export_kwh: Mapped[float] = mapped_column(Float, default=0.0)
    reactive_kvarh: Mapped[float] = mapped_column(Float, default=0.0)
    demand_kw: Mapped[float] = mapped_column(Float, default=0.0)
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)


class EnergySlot(_Amounts, Base):
    __tablename__ = "energy_slots"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    slot: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)


class EnergyDay(_Amounts, Base):
    __tablename__ = "energy_days"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class EnergyMonth(_Amounts, Base):
    __tablename__ = "energy_months"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(Date, primary_key=True)   # its first day


class EnergyState(Base):
    __tablename__ = "energy_state"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    rolled_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())


class MeterReplacement(Base):
    __tablename__ = "meter_replacements"
    __table_args__ = (Index("uq_meter_replacements_site_origin", "site_id", "origin_id",
                            unique=True, postgresql_where=text("origin_id IS NOT NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"),
                                         index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"),
                                           index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # {counter name: {"old_final": kWh, "new_initial": kWh}} for the counters read off
    readings: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_name: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    origin_id: Mapped[int | None] = mapped_column(Integer)   # forwarded: its id at the site


# --- analytics (0016_energy_analytics): tariffs, carbon factors, KPI denominators, reports
class Tariff(Base):
    """One version of a site's time-of-use tariff, valid from a local day until the next
    version's. ``periods``: [{"period": sharp|peak|flat|valley, "start": "HH:MM",
    "end": "HH:MM"}] covering the day once, at 15-minute boundaries ("24:00" ends the
    day; a period may wrap midnight); ``prices``: {period: price per kWh}."""
    __tablename__ = "energy_tariffs"
    __table_args__ = (UniqueConstraint("site_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"),
                                         index=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    valid_from: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(8), default="CNY")
    periods: Mapped[list] = mapped_column(JSON)
    prices: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(),
                                                 onupdate=func.now())


class CarbonFactor(Base):
    """kgCO2 per kWh of a site's imported energy in a (local) year."""
    __tablename__ = "energy_carbon_factors"
    __table_args__ = (UniqueConstraint("site_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"),
                                         index=True)
    year: Mapped[int] = mapped_column(Integer)
    kg_per_kwh: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(),
                                                 onupdate=func.now())


KPI_KINDS = ("persons", "floor_m2", "detainee_days")


class KpiDenominator(Base):
    """A month's denominator of a site (area_id null) or an area: persons, floor m²,
    detainee-days."""
    __tablename__ = "energy_denominators"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"),
                                         index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)   # its first day
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(),
                                                 onupdate=func.now())


class EnergyReport(Base):
    """A generated report kept as a file under GW_DATA_DIR/reports."""
    __tablename__ = "energy_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"),
                                         index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))          # daily | monthly | alarms
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)          # inclusive
    format: Mapped[str] = mapped_column(String(8))         # xlsx | csv
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer, default=0)
    totals: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
