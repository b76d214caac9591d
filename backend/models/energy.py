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

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, String, Text, func
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
