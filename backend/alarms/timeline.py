"""The alarm timeline writer: every entry of an alarm's history goes through ``add_event``
(raised, escalated, tripped, acknowledged, comment, repair order, notification, ...).

Kinds added by linkage (docs/automation.md): ``linked`` (a second rule fired on a device
whose linkage alarm is open), ``fault_confirmed`` and ``fault_dismissed`` (the remote
fault confirmation of the pop-up: a person says the fault is real or a false alarm)."""
from __future__ import annotations

from datetime import datetime

from backend import uplink
from backend.extensions import db
from backend.models import AlarmEvent

KINDS_LINKAGE = ("linked", "fault_confirmed", "fault_dismissed")


def add_event(alarm_id: int, kind: str, at: datetime, user_id: int | None = None,
              **data) -> None:
    """One entry of an alarm's timeline (the caller commits); None values are left out."""
    ev = AlarmEvent(alarm_id=alarm_id, kind=kind, at=at, user_id=user_id,
                    data={k: v for k, v in data.items() if v is not None})
    db.session.add(ev)
    uplink.track_event(ev)     # a site box sends the alarm and its new events up
