"""Deliver one outbox row of an alarm: still worth sending? then one channel attempt.

The row is claimed (locked, pending and due), checked against its alarm (grouped under a
root, acknowledged, silenced or gone: suppressed), its attempt is committed before the
provider is called, and the outcome decides retry or fallback (backend/notify/outbox.py,
which also says why this is at most once per channel attempt).
"""
from __future__ import annotations

from backend import metrics
from backend.alarms.texts import message_for
from backend.extensions import db
from backend.models import Alarm, Notification
from backend.notify import outbox


def _why_not(n: Notification, alarm: Alarm | None) -> str | None:
    if alarm is None:
        return "alarm deleted"
    if alarm.parent_id is not None:
        return f"grouped under alarm {alarm.parent_id}"
    if alarm.acknowledged_at is not None or alarm.state == "closed":
        return "acknowledged before delivery"
    if alarm.silenced:
        return "in a maintenance window"
    return None


def _alarm(n: Notification) -> Alarm | None:
    return db.session.get(Alarm, n.alarm_id)     # the identity map: one query per row


def _message(n: Notification):
    """The message of the attempt just put on record: the first attempt of a recipient's
    notification of a raised alarm is where the alarm latency ends (backend/metrics.py)."""
    alarm = _alarm(n)
    if n.event == "raised" and n.attempts == 1:
        metrics.observe_since(metrics.ALARM_LATENCY, alarm.raised_at)
    return message_for(alarm)


def deliver(notification_id: int) -> str:
    """Deliver (one channel attempt of) a notification; returns its status after."""
    return outbox.deliver(notification_id, lambda n: _why_not(n, _alarm(n)), _message)
