"""Who is told about an alarm, how, and what happened to each message (the outbox).

``notifications`` is the outbox: one row per (alarm, recipient, event), unique on
``dedupe_key``, written in the same transaction as the alarm change that causes it.
An RQ job delivers it; every try is a ``notification_attempts`` row written *before* the
provider is called, so a worker killed mid-send leaves a visible "sending" attempt that
is never blindly repeated (see docs/decisions.md, 2026-11-23 "at most once per channel").
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.clock import utcnow
from backend.models.base import Base, TimestampMixin

CHANNELS = ("wechat_template", "wxa_subscribe", "webpush", "sms")
NOTIFY_STATES = ("pending", "sending", "sent", "failed", "suppressed", "unknown")


class AlarmRecipient(TimestampMixin, Base):
    """A person to notify for a site's (or one area's) alarms at or above a level, in a
    tier: tier 1 first, the next tier when nobody acknowledged within the escalation
    delay. A site with no recipients uses its users by role (staff 1, manager 2, admin 3).
    """

    __tablename__ = "alarm_recipients"
    __table_args__ = (
        UniqueConstraint("site_id", "area_id", "user_id", name="uq_alarm_recipients_target",
                         postgresql_nulls_not_distinct=True),
        CheckConstraint("tier BETWEEN 1 AND 5", name="tier"),
        CheckConstraint("min_level IN ('warning', 'alarm')", name="min_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tier: Mapped[int] = mapped_column(Integer, default=1)
    min_level: Mapped[str] = mapped_column(String(16), default="warning")


class NotifyProfile(TimestampMixin, Base):
    """A user's channel preferences and WeChat identities.

    ``channels``: the order to try (the next one on "cannot reach this person now").
    ``oa_openid``: the user's openid at the service official account (template messages);
    ``mp_openid``: at the mini-program (subscribe messages). Phone is ``users.phone``.
    """

    __tablename__ = "notify_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True, autoincrement=False)
    channels: Mapped[list] = mapped_column(JSON, default=lambda: list(CHANNELS))
    oa_openid: Mapped[str | None] = mapped_column(String(64))
    mp_openid: Mapped[str | None] = mapped_column(String(64))


class SubscribeGrant(Base):
    """One-time subscribe-message grants a user gave the mini-program, per template:
    each accepted ``wx.requestSubscribeMessage`` adds one, each message sent uses one.
    ``last_result``: the user's last answer for the template (accept / reject / ban; ban:
    the user switched the template off, WeChat will not ask again)."""

    __tablename__ = "subscribe_grants"
    __table_args__ = (
        CheckConstraint("last_result IN ('accept', 'reject', 'ban')", name="last_result"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    template_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    remaining: Mapped[int] = mapped_column(Integer, default=0)
    last_result: Mapped[str | None] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebPushSubscription(TimestampMixin, Base):
    __tablename__ = "webpush_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(Text, unique=True)
    p256dh: Mapped[str] = mapped_column(String(255))
    auth: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(255), default="")


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_notifications_dedupe_key"),
        # Exactly one subject: an alarm, a command, a schedule's missed run, or an
        # inspection plan that fell due.
        CheckConstraint("num_nonnulls(alarm_id, command_id, schedule_run_id, "
                        "inspection_reminder_id) = 1",
                        name="subject"),
        Index("ix_notifications_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What it tells: an alarm, a command awaiting the recipient's approval, or a run of a
    # schedule that was missed (backend/automation/missed.py).
    alarm_id: Mapped[int | None] = mapped_column(ForeignKey("alarms.id", ondelete="CASCADE"),
                                                 index=True)
    command_id: Mapped[int | None] = mapped_column(
        ForeignKey("commands.id", ondelete="CASCADE"), index=True)
    schedule_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("schedule_runs.id", ondelete="CASCADE"), index=True)
    # an inspection plan fell due (backend/inspections/reminders.py)
    inspection_reminder_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspection_reminders.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(24))  # raised/to_alarm/escalated/reminder/flapping
    tier: Mapped[int] = mapped_column(Integer, default=1)
    dedupe_key: Mapped[str] = mapped_column(String(128))
    channels: Mapped[list] = mapped_column(JSON, default=list)   # the plan, in order
    channel_index: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_channel: Mapped[str | None] = mapped_column(String(24))
    last_error: Mapped[str | None] = mapped_column(Text)


class NotificationAttempt(Base):
    __tablename__ = "notification_attempts"
    __table_args__ = (Index("ix_notification_attempts_notification", "notification_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id",
                                                            ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(24))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(16), default="sending")
    code: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    provider_ref: Mapped[str | None] = mapped_column(String(128))
