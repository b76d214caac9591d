"""Escalation: an ``alarm``-level alarm still *active* (nobody acknowledged)
``alarm_escalation_minutes`` after its last notification goes to the next tier that has
people, and at the top tier is repeated to it, every interval, until someone acknowledges
it. Warnings notify tier 1 once."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from backend.alarms.outbox import after_commit, queue
from backend.alarms.recipients import max_tier, recipients
from backend.alarms.timeline import add_event
from backend.clock import utcnow
from backend.extensions import db
from backend.models import Alarm
from backend.settings import setting


def escalate_due(now: datetime | None = None) -> list[int]:
    """Notify the next tier for every unacknowledged alarm whose last notification is
    older than the escalation delay; returns the alarm ids escalated. Idempotent: the
    row lock and the dedupe key (which carries the previous notification time) make a
    concurrent or repeated run add nothing."""
    now = now or utcnow()
    cutoff = now - timedelta(minutes=setting("alarm_escalation_minutes"))
    alarms = db.session.execute(select(Alarm).where(
        Alarm.state == "active", Alarm.level == "alarm", Alarm.parent_id.is_(None),
        Alarm.silenced.is_(False), Alarm.last_notified_at.is_not(None),
        Alarm.last_notified_at <= cutoff).with_for_update(skip_locked=True)).scalars().all()
    due, done = [], []
    for alarm in alarms:
        top = max_tier(alarm)
        tier = alarm.notified_tier + 1
        while tier <= top and not recipients(alarm, tier):
            tier += 1
        if tier > top:
            tier = top                       # nobody higher: remind the top tier again
        suffix = f":{alarm.last_notified_at.isoformat()}"
        event = "escalated" if tier > alarm.notified_tier else "reminder"
        add_event(alarm.id, "escalation", now, tier=tier, event=event)
        due += queue(alarm, event, now, tier=tier, key_suffix=suffix)
        alarm.last_notified_at = now          # also when nobody was found: retry later
        done.append(alarm.id)
    db.session.commit()
    after_commit(done, due)
    return done
