"""Automation: scenes (a named list of actions run on demand) with their runs, and
schedules (a scene or a list of actions at times of day) with their history.

Exactly once per occurrence: a ``schedule_runs`` row is unique on (schedule, occurrence)
and is inserted in the same transaction as the commands it makes, so two schedulers, a
retry or a restart never run an occurrence twice. ``schedules.checked_until`` is how far
the scheduler has looked: its first pass after a stop covers everything since, which is
how a run missed while the platform was down is found (docs/automation.md).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.clock import utcnow
from backend.models.base import Base, TimestampMixin

# What happened to one occurrence of a schedule (schedule_runs.status).
SCHEDULE_RUN_STATES = ("ran", "missed", "ran_late", "skipped_disabled")


class Scene(TimestampMixin, Base):
    __tablename__ = "scenes"
    __table_args__ = (UniqueConstraint("site_id", "name", name="uq_scenes_site_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    # The actions (backend/automation/actions.py), checked when saved.
    actions: Mapped[list] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SceneRun(Base):
    """One run of a scene: by a person (``run_by``) or by a schedule, a rule or another
    scene (``origin_kind``/``origin_id``, ``run_by`` NULL). The same key from the same
    runner is the same run. ``results``: one per action, with its command id."""

    __tablename__ = "scene_runs"
    __table_args__ = (
        UniqueConstraint("scene_id", "run_by", "idempotency_key", name="uq_scene_runs_key",
                         postgresql_nulls_not_distinct=True),
        Index("ix_scene_runs_scene_started", "scene_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scene_id: Mapped[int] = mapped_column(ForeignKey("scenes.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    run_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    run_by_name: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    origin_kind: Mapped[str | None] = mapped_column(String(16))   # schedule | rule | scene
    origin_id: Mapped[int | None] = mapped_column(Integer)
    results: Mapped[list] = mapped_column(JSON, default=list)


class Schedule(TimestampMixin, Base):
    """Run a scene (``scene_id``) or a list of ``actions`` at ``times`` ("HH:MM", the
    site's time zone) on ``weekdays`` (ISO 1 = Monday .. 7), between ``start_date`` and
    ``end_date``, never on ``except_dates`` (holidays), also on ``extra_dates`` (a
    weekend that is a working day). The calculation: backend/automation/occurrences.py."""

    __tablename__ = "schedules"
    __table_args__ = (
        UniqueConstraint("site_id", "name", name="uq_schedules_site_name"),
        CheckConstraint("(scene_id IS NULL) <> (actions IS NULL)", name="target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    scene_id: Mapped[int | None] = mapped_column(ForeignKey("scenes.id"), index=True)
    actions: Mapped[list | None] = mapped_column(JSON(none_as_null=True))
    times: Mapped[list] = mapped_column(JSON, default=list)          # ["07:30", "19:00"]
    weekdays: Mapped[list] = mapped_column(JSON, default=lambda: [1, 2, 3, 4, 5, 6, 7])
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    except_dates: Mapped[list] = mapped_column(JSON, default=list)   # ["2026-10-01", ...]
    extra_dates: Mapped[list] = mapped_column(JSON, default=list)
    # A missed occurrence (found later than the grace): run it then, or only report it.
    run_late: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Every occurrence up to this moment has been handled (run, missed or skipped).
    checked_until: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ScheduleRun(Base):
    """What happened to one occurrence: ran, missed (found after the grace: reported),
    ran_late (missed, then run because the schedule says so), skipped_disabled (its scene
    was disabled)."""

    __tablename__ = "schedule_runs"
    __table_args__ = (
        UniqueConstraint("schedule_id", "occurrence", name="uq_schedule_runs_occurrence"),
        CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in SCHEDULE_RUN_STATES)
                        + ")", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    occurrence: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))
    found_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ran_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    results: Mapped[list | None] = mapped_column(JSON)
