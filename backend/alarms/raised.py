"""Alarms raised by another domain rather than by the rule engine: a linkage rule's
``alarm`` action (backend/automation/linkage_kinds.py). They go through the same
machinery as the engine's: an ``alarms`` row with a ``raised`` timeline entry, the
notification outbox (the area's recipients) and the live stream, and they clear with a
``cleared`` entry. Their rule key is ``linkage`` (catalogue.LINKAGE_RULE, never evaluated
by the engine).

One open linkage alarm per device (the engine's partial unique index): a second rule
firing on a device whose linkage alarm is still open adds a ``linked`` entry to its
timeline instead of a second alarm.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from backend.alarms import outbox
from backend.alarms.catalogue import LINKAGE_RULE
from backend.alarms.timeline import add_event
from backend.extensions import db
from backend.models import Alarm, Circuit, Device
from backend.models.alarms import OPEN_STATES


def raise_alarm(site_id: int, level: str, message: str, now: datetime, *,
                device_id: int | None = None, area_id: int | None = None,
                value=None, **data) -> tuple[Alarm, list[int]]:
    """Raise (or, on a device with one open, link to) a linkage alarm in the caller's
    transaction; returns it and its due notification ids, for ``after_commit``."""
    device = db.session.get(Device, device_id) if device_id else None
    if device is not None:
        open_one = db.session.execute(select(Alarm).where(
            Alarm.device_id == device.id, Alarm.rule == LINKAGE_RULE.key,
            Alarm.state.in_(OPEN_STATES)).with_for_update()).scalar()
        if open_one is not None:
            add_event(open_one.id, "linked", now, message=message, **data)
            return open_one, []
    circuit = db.session.get(Circuit, device.circuit_id) if device and device.circuit_id \
        else None
    number = float(value) if isinstance(value, (int, float)) else None
    alarm = Alarm(site_id=site_id, device_id=device.id if device else None,
                  gateway_id=device.gateway_id if device else None,
                  circuit_id=circuit.id if circuit else None,
                  area_id=area_id or (device.area_id if device else None)
                  or (circuit.area_id if circuit else None),
                  board_id=circuit.board_id if circuit else None, rule=LINKAGE_RULE.key,
                  level=level, state="active", value=number, peak_value=number,
                  unit="", message=message, raised_at=now)
    db.session.add(alarm)
    db.session.flush()
    add_event(alarm.id, "raised", now, level=level, value=number, message=message, **data)
    return alarm, outbox.queue(alarm, "raised", now)


def clear_alarm(alarm_id: int, now: datetime, **data) -> bool:
    """Clear an open linkage alarm (its condition stopped holding); False if it was not
    open any more."""
    alarm = db.session.get(Alarm, alarm_id, with_for_update=True)
    if alarm is None or alarm.state not in OPEN_STATES:
        return False
    alarm.state, alarm.cleared_at = "cleared", now
    add_event(alarm.id, "cleared", now, **data)
    return True


def after_commit(alarm_ids, due) -> None:
    """Once the caller committed: the alarms on the live stream, their messages queued."""
    outbox.after_commit(alarm_ids, due)
