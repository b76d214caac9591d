"""Inspections and maintenance (巡检与维保): plans with a recurrence and a next due date,
records of each time one was done, their photos, and the reminders sent when a plan fell
due (backend/inspections/). Not to be confused with alarm maintenance *windows*
(``maintenance_windows``, backend/alarms/maintenance.py)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.clock import utcnow
from backend.models.base import Base, TimestampMixin

PLAN_KINDS = ("inspection", "generator_maintenance", "generator_load_test", "switchover_test")
RECURRENCE_UNITS = ("day", "week", "month", "year")
SWITCHOVER_SOURCES = ("readings", "manual")


class InspectionPlan(TimestampMixin, Base):
    """A periodic job: every ``every`` ``unit`` from ``start_date`` (due dates are
    ``start_date + k * every unit``, month ends clamped from the start, so a plan started
    on Jan 31 falls due on Feb 28/29, Mar 31, Apr 30). ``next_due``: the date, in the
    site's time zone, of the next one not yet done. A switch-over test names its normal
    and standby breakers, whose readings give the measured switch-over time."""

    __tablename__ = "inspection_plans"
    __table_args__ = (
        UniqueConstraint("site_id", "name", name="uq_inspection_plans_site_name"),
        CheckConstraint("kind IN ('inspection', 'generator_maintenance', "
                        "'generator_load_test', 'switchover_test')", name="kind"),
        CheckConstraint("unit IN ('day', 'week', 'month', 'year')", name="unit"),
        CheckConstraint("every BETWEEN 1 AND 1000", name="every"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[int | None] = mapped_column(
        ForeignKey("distribution_rooms.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32), default="inspection")
    description: Mapped[str] = mapped_column(Text, default="")
    # [{"key": "k1", "label": "柜门关闭"}]: what is checked, one result per item
    checklist: Mapped[list] = mapped_column(JSON, default=list)
    # [{"key": "v1", "label": "室温", "unit": "°C"}]: what is measured
    measurements: Mapped[list] = mapped_column(JSON, default=list)
    unit: Mapped[str] = mapped_column(String(8), default="month")
    every: Mapped[int] = mapped_column(Integer, default=1)
    start_date: Mapped[date] = mapped_column(Date)
    next_due: Mapped[date] = mapped_column(Date, index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    normal_device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL"))
    standby_device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class InspectionRecord(Base):
    """One time a plan was done: who, when, each checklist item's result, the measured
    values, the findings; the due date it fulfilled. A finding may become a repair order."""

    __tablename__ = "inspection_records"
    __table_args__ = (
        Index("ix_inspection_records_site_performed", "site_id", "performed_at"),
        CheckConstraint("switchover_source IS NULL OR switchover_source IN "
                        "('readings', 'manual')", name="switchover_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id", ondelete="CASCADE"),
                                         index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    performed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                ondelete="SET NULL"))
    performed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_on: Mapped[date] = mapped_column(Date)
    # [{"key", "label", "ok": bool, "note"}] and [{"key", "label", "unit", "value"}]
    results: Mapped[list] = mapped_column(JSON, default=list)
    values: Mapped[list] = mapped_column(JSON, default=list)
    findings: Mapped[str] = mapped_column(Text, default="")
    # switch-over tests: seconds between the normal breaker opening and the standby closing
    switchover_seconds: Mapped[float | None] = mapped_column(Float)
    switchover_source: Mapped[str | None] = mapped_column(String(16))
    normal_opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    standby_closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    repair_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("repair_orders.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), default=utcnow)


class InspectionPhoto(Base):
    """A photo of an inspection, stored in PostgreSQL like repair photos (size-capped)."""

    __tablename__ = "inspection_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("inspection_records.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now(), default=utcnow)


class InspectionReminder(Base):
    """A plan fell due on ``due_on`` and its site's managers were told: one row per
    (plan, due date), so the reminder job tells them once however often it runs."""

    __tablename__ = "inspection_reminders"
    __table_args__ = (UniqueConstraint("plan_id", "due_on", name="uq_inspection_reminders_due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
