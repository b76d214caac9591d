"""Remote fault confirmation (运维人员进行远程故障确认): from the pop-up, a person who has
looked at the area's camera says whether the fault is real (``confirmed``) or a false
alarm (``false_alarm``). Either answer is a timeline entry with who and when, an audit
entry and a live-stream event; it also acknowledges the alarm if it was still active
(someone has looked: escalation stops). A second answer is recorded too (a person may
correct themself); the timeline keeps both.
"""
from __future__ import annotations

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.alarms.lifecycle import _publish, get
from backend.alarms.timeline import add_event
from backend.clock import utcnow
from backend.extensions import db
from backend.models import Alarm

VERDICTS = {"confirmed": "fault_confirmed", "false_alarm": "fault_dismissed"}


def confirm(actor: Actor, alarm_id: int, verdict: str, comment: str | None = None) -> Alarm:
    alarm = get(actor, alarm_id, lock=True)
    now = utcnow()
    before = audit.snapshot(alarm)
    add_event(alarm.id, VERDICTS[verdict], now, actor.user_id, comment=comment or None,
              by=actor.username)
    if alarm.state == "active":
        alarm.state, alarm.acknowledged_at, alarm.acknowledged_by = \
            "acknowledged", now, actor.user_id
    audit.record(actor, f"fault_{verdict}", "alarm", alarm.id, site_id=alarm.site_id,
                 before=before, after={**audit.snapshot(alarm), "verdict": verdict,
                                       "comment": comment})
    db.session.commit()
    _publish([alarm])
    return alarm
