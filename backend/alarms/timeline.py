"""The alarm timeline writer: every entry of an alarm's history goes through ``add_event``
(raised, escalated, tripped, acknowledged, comment, repair order, notification, ...)."""
from __future__ import annotations

from datetime import datetime

from backend.extensions import db
from backend.models import AlarmEvent


def add_event(alarm_id: int, kind: str, at: datetime, user_id: int | None = None,
              **data) -> None:
    """One entry of an alarm's timeline (the caller commits); None values are left out."""
    db.session.add(AlarmEvent(alarm_id=alarm_id, kind=kind, at=at, user_id=user_id,
                              data={k: v for k, v in data.items() if v is not None}))
