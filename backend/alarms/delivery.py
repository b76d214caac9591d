"""Deliver one outbox row of an alarm: still worth sending? then one channel attempt.

The row is claimed (locked, pending and due), checked against its alarm (grouped under a
root, acknowledged, silenced or gone: suppressed), its attempt is committed before the
provider is called, and the outcome decides retry or fallback (backend/notify/outbox.py,
which also says why this is at most once per channel attempt).
"""
from __future__ import annotations

import logging

from backend.alarms.texts import message_for
from backend.clock import utcnow
from backend.extensions import db
from backend.models import Alarm, Notification
from backend.notify import outbox
from backend.notify.base import Delivery
from backend.notify.send import send

log = logging.getLogger(__name__)


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


def deliver(notification_id: int) -> str:
    """Deliver (one channel attempt of) a notification; returns its status after."""
    outbox.dequeued(notification_id)          # from now on the sweep may enqueue it again
    now = utcnow()
    n, status = outbox.claim(notification_id, now)
    if n is None:
        return status
    alarm = db.session.get(Alarm, n.alarm_id)
    why = _why_not(n, alarm)
    if why or n.channel_index >= len(n.channels):
        n.status, n.last_error = ("suppressed", why) if why else ("failed", "no channel left")
        db.session.commit()
        return n.status
    attempt, grant = outbox.start_attempt(n, now)
    channel = attempt.channel
    message = message_for(alarm)
    db.session.commit()                       # the attempt is on record before the send

    try:
        result = send(channel, n.user_id, message, grant)
    except Exception as exc:                  # a channel bug must not lose the message
        log.exception("notification %s: %s channel raised", n.id, channel)
        result = Delivery("retry", f"internal error: {type(exc).__name__}"[:200],
                          code="internal_error")
    return outbox.record(n.id, attempt.id, channel, result, grant)
