"""Alarms: rule overrides, rule state, alarm records and their timeline, maintenance
windows and repair orders.

The rule *catalogue* (keys, metrics, default thresholds) is code, in
``backend/alarms/catalogue.py``; ``alarm_rules`` only holds what a site changed, at one
of three scopes (site, circuit category, device). ``alarm_rule_states`` is the engine's
memory between polls (pending durations, flap history): it is a table so that a
restart of every process loses nothing. One *open* alarm per (device, rule) and per
(gateway, rule) is enforced by partial unique indexes.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.clock import utcnow
from backend.models.base import Base, TimestampMixin

ALARM_STATES = ("active", "acknowledged", "cleared", "closed")
OPEN_STATES = ("active", "acknowledged")
RULE_SCOPES = ("site", "category", "device")
REPAIR_STATES = ("open", "in_progress", "done")


class AlarmRule(TimestampMixin, Base):
    """A site's override of one level of one catalogue rule, at one scope.

    Resolution, per (rule, level): device > circuit category > site > catalogue default.
    A NULL field means "inherit" (e.g. only ``threshold`` changed).
    """

    __tablename__ = "alarm_rules"
    __table_args__ = (
        UniqueConstraint("site_id", "scope", "category", "device_id", "rule", "level",
                         name="uq_alarm_rules_target", postgresql_nulls_not_distinct=True),
        CheckConstraint("scope IN ('site', 'category', 'device')", name="scope"),
        CheckConstraint("level IN ('warning', 'alarm')", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"),
                                                  index=True)
    rule: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool | None] = mapped_column(Boolean)
    threshold: Mapped[float | None] = mapped_column(Float)
    clear_threshold: Mapped[float | None] = mapped_column(Float)
    hold_seconds: Mapped[float | None] = mapped_column(Float)


class AlarmRuleState(Base):
    """The engine's memory for one (device or gateway, rule) that is not at rest.

    ``pending``: level -> ISO time the raise condition began (hold not yet elapsed);
    ``clearing_since``: when the clear condition began; ``flips``: recent raise/clear
    times (flap detection). A row at rest (nothing pending, no open alarm) is deleted.
    """

    __tablename__ = "alarm_rule_states"
    __table_args__ = (UniqueConstraint("subject", "rule", name="uq_alarm_rule_states_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(24))       # "d:<device id>" | "g:<gateway id>"
    rule: Mapped[str] = mapped_column(String(40))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"),
                                                  index=True)
    gateway_id: Mapped[int | None] = mapped_column(
        ForeignKey("gateways.id", ondelete="CASCADE"), index=True)
    pending: Mapped[dict] = mapped_column(JSON, default=dict)
    clearing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    flips: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Alarm(TimestampMixin, Base):
    __tablename__ = "alarms"
    __table_args__ = (
        CheckConstraint("level IN ('warning', 'alarm')", name="level"),
        CheckConstraint("state IN ('active', 'acknowledged', 'cleared', 'closed')",
                        name="state"),
        Index("uq_alarms_open_device_rule", "device_id", "rule", unique=True,
              postgresql_where=text("state IN ('active', 'acknowledged') "
                                    "AND device_id IS NOT NULL")),
        Index("uq_alarms_open_gateway_rule", "gateway_id", "rule", unique=True,
              postgresql_where=text("state IN ('active', 'acknowledged') "
                                    "AND device_id IS NULL")),
        Index("ix_alarms_site_raised", "site_id", "raised_at"),
        Index("ix_alarms_state_level", "state", "level"),
        Index("uq_alarms_site_origin", "site_id", "origin_id", unique=True,
              postgresql_where=text("origin_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"),
                                                  index=True)
    gateway_id: Mapped[int | None] = mapped_column(
        ForeignKey("gateways.id", ondelete="CASCADE"), index=True)
    # Denormalised at raise time so that filters need no joins (and survive a move).
    circuit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    area_id: Mapped[int | None] = mapped_column(Integer, index=True)
    board_id: Mapped[int | None] = mapped_column(Integer, index=True)
    rule: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="active")
    metric: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)          # at raise / last escalation
    peak_value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16), default="")
    trip_cause: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text, default="")
    # Topology grouping: a downstream consequence points at its root alarm.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("alarms.id", ondelete="SET NULL"),
                                                  index=True)
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    silenced: Mapped[bool] = mapped_column(Boolean, default=False)   # maintenance window
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                   ondelete="SET NULL"))
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                    index=True)
    # Escalation: the highest recipient tier notified so far and when.
    notified_tier: Mapped[int] = mapped_column(Integer, default=0)
    last_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # At the centre, an alarm forwarded by a site box: its id at the site (docs/sitelink.md).
    origin_id: Mapped[int | None] = mapped_column(Integer)


class AlarmEvent(Base):
    """The alarm's timeline: raised, escalated, grouped, notified, acknowledged, comment,
    assigned, cleared, closed, flapping, silenced, repair order changes."""

    __tablename__ = "alarm_events"
    __table_args__ = (Index("ix_alarm_events_alarm_at", "alarm_id", "at"),
                      Index("uq_alarm_events_origin", "alarm_id", "origin_id", unique=True,
                            postgresql_where=text("origin_id IS NOT NULL")))

    id: Mapped[int] = mapped_column(primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(24))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    origin_id: Mapped[int | None] = mapped_column(Integer)   # forwarded: its id at the site


class MaintenanceWindow(TimestampMixin, Base):
    """While a window is on, alarms on its board or circuit (and everything fed from it)
    are recorded but notify nobody."""

    __tablename__ = "maintenance_windows"
    __table_args__ = (
        CheckConstraint("(board_id IS NULL) <> (circuit_id IS NULL)", name="one_target"),
        CheckConstraint("ends_at > starts_at", name="order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    circuit_id: Mapped[int | None] = mapped_column(ForeignKey("circuits.id",
                                                              ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(255), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class RepairOrder(TimestampMixin, Base):
    """抢修工单: created from an alarm, worked by an assignee."""

    __tablename__ = "repair_orders"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'in_progress', 'done')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    alarm_id: Mapped[int | None] = mapped_column(ForeignKey("alarms.id", ondelete="SET NULL"),
                                                 index=True)
    title: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="open")
    note: Mapped[str] = mapped_column(Text, default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                    index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RepairPhoto(Base):
    """A photo attached to a repair order, stored in PostgreSQL (size-capped): backed up
    with everything else, no second storage to keep in step."""

    __tablename__ = "repair_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("repair_orders.id", ondelete="CASCADE"),
                                          index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now(), default=utcnow)
