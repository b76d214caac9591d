"""The outbox rows of an alarm: who is told, and when.

``queue`` writes one ``notifications`` row per recipient (backend/alarms/recipients.py) in
the caller's transaction, keyed by a dedupe key (alarm, user, event), so running it twice
for the same event adds nothing. ``after_commit`` publishes the changed alarms on the live
stream and enqueues a delivery job per due row; the periodic sweep
(backend/notify/outbox.py) picks up delayed rows and retries, so a lost enqueue only
delays a message. Escalation: backend/alarms/escalation.py.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from backend.alarms.lifecycle import summary
from backend.alarms.recipients import first_tier, recipients
from backend.extensions import db
from backend.live import stream
from backend.models import Alarm, Notification
from backend.notify import outbox as notify_outbox
from backend.notify.plan import channel_plan

log = logging.getLogger(__name__)


def queue(alarm: Alarm, event: str, now: datetime, *, tier: int | None = None,
          delay: float = 0, key_suffix: str = "") -> list[int]:
    """Outbox rows for ``event`` of ``alarm`` to the tier's recipients (caller commits);
    no tier: the first one with people. Returns the ids of rows due now (delayed rows
    are left to ``sweep``)."""
    due = []
    tier = first_tier(alarm) if tier is None else tier
    users = recipients(alarm, tier)
    at = now + timedelta(seconds=delay)
    for user_id in users:
        plan, why = channel_plan(user_id)
        key = f"{alarm.id}:{user_id}:{event}:{tier}{key_suffix}"
        values = dict(alarm_id=alarm.id, user_id=user_id, event=event, tier=tier,
                      dedupe_key=key, channels=plan, channel_index=0,
                      status="pending" if plan else "failed", last_error=why,
                      next_attempt_at=at, created_at=now)
        new_id = db.session.execute(insert(Notification).values(**values)
                                    .on_conflict_do_nothing(
                                        constraint="uq_notifications_dedupe_key")
                                    .returning(Notification.id)).scalar()
        if new_id is not None and plan and not delay:
            due.append(new_id)
    if users:
        alarm.notified_tier = max(alarm.notified_tier or 0, tier)
        alarm.last_notified_at = now
    else:
        log.warning("alarm %s (%s): nobody to notify at tier %s", alarm.id, alarm.rule, tier,
                    extra={"alarm_id": alarm.id})
    return due


def after_commit(alarm_ids, notification_ids) -> None:
    """Live-stream the changed alarms; enqueue the due deliveries."""
    if alarm_ids:
        for alarm in db.session.execute(select(Alarm).where(
                Alarm.id.in_(list(alarm_ids)))).scalars():
            stream.publish(alarm.site_id, "alarm", summary(alarm))
    notify_outbox.enqueue(notification_ids)
