"""Control: switching commands with their state history, and staff control grants.

A ``Command`` is a row first (DESIGN.md "rows first, then jobs"): the executor claims it
with a conditional UPDATE (``queued`` -> ``sent``) committed before anything is written
to the device, so two executors, a retry or a restart never write twice. One command in
flight per device is enforced by a partial unique index (select-before-operate).
``command_events`` is the timeline: every state with its time, actor and reason.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
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

from backend.clock import utcnow
from backend.models.base import Base

# The lifecycle (docs/control.md). In flight: not yet settled, one per device at a time.
COMMAND_STATES = ("requested", "awaiting_approval", "queued", "sent", "confirmed", "failed",
                  "timed_out", "refused", "rejected", "cancelled", "expired")
IN_FLIGHT = ("requested", "awaiting_approval", "queued", "sent")
SETTLED = tuple(s for s in COMMAND_STATES if s not in IN_FLIGHT)
SWITCHING = ("open", "close", "reset", "on", "off", "dim")
ACTIONS = (*SWITCHING, "settings")       # settings: write the ``settings`` values
GRANT_SCOPES = ("area", "board", "circuit")
ORIGIN_KINDS = ("scene", "schedule", "rule")    # automation (backend/automation)

_IN_FLIGHT_SQL = ("state IN (" + ", ".join(f"'{s}'" for s in IN_FLIGHT) + ")"
                  " AND delivery IS NULL")
# A command at the centre for a site box's device (docs/sitelink.md): ``pending`` until the
# box answers its request, then ``delivered`` (the box's command mirrored into this row).
DELIVERIES = ("pending", "delivered")


class Command(Base):
    __tablename__ = "commands"
    __table_args__ = (
        # Select-before-operate: at most one command in flight per device (the box holds
        # it for a command delivered to a site box: not the centre's mirror).
        Index("uq_commands_device_in_flight", "device_id", unique=True,
              postgresql_where=text(_IN_FLIGHT_SQL)),
        # At the centre, one command waiting for a site box per device (the service's
        # check, and this for two requests racing past it: command_in_progress).
        Index("uq_commands_device_delivery_pending", "device_id", unique=True,
              postgresql_where=text("delivery = 'pending' AND state = 'requested'")),
        # The same Idempotency-Key from the same user returns the same command.
        UniqueConstraint("requested_by", "idempotency_key", name="uq_commands_idempotency"),
        # Automation's commands (no requesting user): the key is the run's, unique alone.
        Index("uq_commands_system_idempotency", "idempotency_key", unique=True,
              postgresql_where=text("requested_by IS NULL")),
        Index("ix_commands_origin", "origin_kind", "origin_id"),
        Index("ix_commands_site_requested", "site_id", "requested_at"),
        # Forwarded from a site box (docs/sitelink.md): its id there, once per site.
        Index("uq_commands_site_origin", "site_id", "site_origin_id", unique=True,
              postgresql_where=text("site_origin_id IS NOT NULL")),
        # At a site box: the centre's request this command was made for, once.
        Index("uq_commands_central", "central_id", unique=True,
              postgresql_where=text("central_id IS NOT NULL")),
        CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in COMMAND_STATES) + ")",
                        name="state"),
        CheckConstraint("action IN (" + ", ".join(f"'{a}'" for a in ACTIONS) + ")",
                        name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"),
                                           index=True)
    circuit_id: Mapped[int | None] = mapped_column(Integer)     # at request time
    gateway_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)          # dim level 0..100
    # action "settings": {name: value} to write; the values before are in ``before``.
    settings: Mapped[dict | None] = mapped_column(JSON)
    before: Mapped[dict | None] = mapped_column(JSON)
    # What the device must show for the command to be confirmed: {metric: value}.
    target: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                     index=True)
    requested_by_name: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                   server_default=func.now(), default=utcnow)
    # Protected circuits: the second person.
    approval_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Not started by then: expired rather than run late.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Settled: a stable code (mode_manual, not_confirmed, device_exception, ...) + text.
    error: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(Text)
    message_zh: Mapped[str | None] = mapped_column(Text)
    # What the device showed when settled (the read-back), e.g. {"switch_state": "open"}.
    observed: Mapped[dict | None] = mapped_column(JSON)
    batch_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Where an automated command came from (backend/automation): scene | schedule | rule and
    # its id; None for a person's command.
    origin_kind: Mapped[str | None] = mapped_column(String(16))
    origin_id: Mapped[int | None] = mapped_column(Integer)
    # Forwarded from a site box: the command's id at the site (``origin_id`` is automation's).
    site_origin_id: Mapped[int | None] = mapped_column(Integer)
    # At the centre, for a site box's device: pending | delivered (DELIVERIES), else None.
    delivery: Mapped[str | None] = mapped_column(String(16))
    # At a site box: the id of the centre's command it was made for (flows up with it).
    central_id: Mapped[int | None] = mapped_column(Integer)


class CommandEvent(Base):
    __tablename__ = "command_events"
    __table_args__ = (Index("ix_command_events_command_at", "command_id", "at"),
                      Index("uq_command_events_origin", "command_id", "origin_id", unique=True,
                            postgresql_where=text("origin_id IS NOT NULL")))

    id: Mapped[int] = mapped_column(primary_key=True)
    command_id: Mapped[int] = mapped_column(ForeignKey("commands.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                         default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON)
    origin_id: Mapped[int | None] = mapped_column(Integer)   # forwarded: its id at the site


class ControlGrant(Base):
    """A staff user may control the devices of this area, board or circuit (and, for a
    board or circuit, of everything fed from it). Managers and admins control their sites
    without grants."""

    __tablename__ = "control_grants"
    __table_args__ = (
        UniqueConstraint("user_id", "scope", "target_id", name="uq_control_grants_target"),
        CheckConstraint("scope IN ('area', 'board', 'circuit')", name="scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), default=utcnow)


class DeviceProfile(Base):
    """An uploaded device profile (a register map as YAML, docs/profiles.md), one row per
    version; the highest version of a name is the one devices use. Built-in profiles and
    those of ``GW_PROFILE_DIRS`` are files, not rows."""

    __tablename__ = "device_profiles"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_device_profiles_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_by_name: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now(), default=utcnow)
