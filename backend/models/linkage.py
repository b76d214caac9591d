"""Linkage rules (联动, docs/automation.md): a condition on a device's metric (or on any
device of a kind in an area) that runs actions when it has held long enough, and other
actions when it stops holding.

``linkage_rule_states`` is the evaluator's memory between polls, per (rule, device): since
when the condition holds, whether the rule is firing for that device and when it last
fired (the cool-down). It is a table, as the alarm engine's is, so a restart of every
process neither forgets a pending duration nor fires twice. ``linkage_firings`` is the
log: every firing with its inputs and its actions' results (command ids), and when and
how it cleared.
"""
from __future__ import annotations

from datetime import datetime, time
from uuid import uuid4

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.clock import utcnow
from backend.models.base import Base, TimestampMixin

OPS = (">", ">=", "<", "<=", "==", "!=")
# Bumped after a commit that changes linkage rules: the poll processes reload them.
VERSION_KEY = "gw:linkage:version"


class LinkageRule(TimestampMixin, Base):
    __tablename__ = "linkage_rules"
    __table_args__ = (
        CheckConstraint("(device_id IS NULL) <> (area_id IS NULL)", name="one_subject"),
        CheckConstraint("op IN (" + ", ".join(f"'{o}'" for o in OPS) + ")", name="op"),
        # The shipped defaults: one per (area, template), so creating them twice adds none.
        UniqueConstraint("site_id", "default_key", name="uq_linkage_rules_default_key"),
        # The rule's identity between the centre and a site box (docs/sitelink.md).
        UniqueConstraint("site_id", "uid", name="uq_linkage_rules_uid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The condition: one device, or every device (of ``device_kind``) of an area and the
    # areas inside it.
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"),
                                                index=True)
    device_kind: Mapped[str | None] = mapped_column(String(32))
    metric: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(2))
    value: Mapped[object] = mapped_column(JSON)               # a number, true/false or text
    for_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # Only inside this daily window (site local time; start > end spans midnight).
    window_start: Mapped[time | None] = mapped_column(Time)
    window_end: Mapped[time | None] = mapped_column(Time)
    actions: Mapped[list] = mapped_column(JSON, default=list)
    clear_actions: Mapped[list] = mapped_column(JSON, default=list)
    cooldown_seconds: Mapped[float] = mapped_column(Float, default=300.0)
    default_key: Mapped[str | None] = mapped_column(String(64))
    fired_count: Mapped[int] = mapped_column(Integer, default=0)   # the firings' sequence
    uid: Mapped[str] = mapped_column(String(36), default=lambda: str(uuid4()))

    @property
    def condition(self) -> dict:
        """The condition as the API shows it (a window as {start, end} "HH:MM")."""
        window = None
        if self.window_start is not None and self.window_end is not None:
            window = {"start": self.window_start.strftime("%H:%M"),
                      "end": self.window_end.strftime("%H:%M")}
        return {"device_id": self.device_id, "area_id": self.area_id,
                "device_kind": self.device_kind, "metric": self.metric, "op": self.op,
                "value": self.value, "for_seconds": self.for_seconds, "window": window}


class LinkageRuleState(Base):
    __tablename__ = "linkage_rule_states"
    __table_args__ = (UniqueConstraint("rule_id", "device_id",
                                       name="uq_linkage_rule_states_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("linkage_rules.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"),
                                           index=True)
    since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    firing: Mapped[bool] = mapped_column(Boolean, default=False)
    last_fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    firing_id: Mapped[int | None] = mapped_column(Integer)      # the open firing
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LinkageFiring(Base):
    __tablename__ = "linkage_firings"
    __table_args__ = (Index("ix_linkage_firings_rule_at", "rule_id", "fired_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("linkage_rules.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    fired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The inputs: which device showed which value of the metric, held since when.
    device_id: Mapped[int | None] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[object] = mapped_column(JSON)
    inputs: Mapped[dict] = mapped_column(JSON, default=dict)
    results: Mapped[list] = mapped_column(JSON, default=list)
    alarm_id: Mapped[int | None] = mapped_column(Integer)     # raised by an alarm action
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    clear_value: Mapped[object | None] = mapped_column(JSON)
    clear_results: Mapped[list | None] = mapped_column(JSON)
