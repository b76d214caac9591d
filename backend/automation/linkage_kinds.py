"""The action kinds linkage registers (backend/automation/actions.py):

- ``alarm``: raise an alarm of a level with a text, through the alarm machinery
  (backend/alarms/raised.py: notified, on the timeline, live), on the device that fired
  the rule (or the rule's area); ``clear`` (default true): cleared when the condition
  stops holding.
- ``popup``: a ``popup`` event on the site's live stream carrying the rule, the area, the
  alarm (the one this firing raised, else the open alarm of the device that fired it)
  and the area's cameras with their stream URLs.

What must wait for the firing's commit (the pop-up, the alarm's notifications) is queued
on the firing (``Firing.after``) and run by the evaluator once it committed.

Both need the firing they run in (``CURRENT``, set by linkage_evaluate around
``actions.run_all``): what fired, where. Outside a firing they are refused as results.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

import marshmallow as ma
from marshmallow import validate
from sqlalchemy import select

from backend.alarms import raised
from backend.alarms.lifecycle import summary
from backend.automation import actions
from backend.automation.cameras import cameras_of_area
from backend.automation.linkage_texts import refusal, text
from backend.clock import iso
from backend.extensions import db
from backend.live import stream
from backend.models import Alarm, Area, Device
from backend.models.alarms import OPEN_STATES
from backend.schemas import String


@dataclass
class Firing:
    """What the actions of one firing run for."""
    rule_id: int
    rule_name: str
    firing_id: int
    site_id: int
    device_id: int | None
    area_id: int | None
    metric: str
    value: object
    at: datetime
    alarm_id: int | None = None           # set by an alarm action of this firing
    # What to do once the firing is committed (publish the pop-up, notify the alarm).
    after: list = field(default_factory=list)


CURRENT: ContextVar[Firing | None] = ContextVar("linkage_firing", default=None)


def _firing() -> Firing:
    f = CURRENT.get()
    if f is None:
        raise refusal("linkage_only")
    return f


def _no_check(site_id: int, action: dict, path: str) -> list[dict]:
    return []


def _run_alarm(run: actions.Run, action: dict, index: int) -> dict:
    f = _firing()
    alarm, due = raised.raise_alarm(f.site_id, action.get("level", "alarm"),
                                    action["message"], f.at, device_id=f.device_id,
                                    area_id=f.area_id, value=f.value,
                                    linkage_rule_id=f.rule_id, firing_id=f.firing_id,
                                    metric=f.metric)
    f.alarm_id = alarm.id
    f.after.append(lambda: raised.after_commit([alarm.id], due))
    return {"state": "raised", "alarm_id": alarm.id}


def popup_payload(f: Firing) -> dict:
    area = db.session.get(Area, f.area_id) if f.area_id else None
    device = db.session.get(Device, f.device_id) if f.device_id else None
    alarm = db.session.get(Alarm, f.alarm_id) if f.alarm_id else None
    if alarm is None and f.device_id:
        alarm = db.session.execute(select(Alarm).where(
            Alarm.device_id == f.device_id, Alarm.state.in_(OPEN_STATES))
            .order_by(Alarm.raised_at.desc(), Alarm.id.desc()).limit(1)).scalar()
    return {"rule_id": f.rule_id, "rule_name": f.rule_name, "firing_id": f.firing_id,
            "area_id": area.id if area else None, "area_name": area.name if area else None,
            "device_id": device.id if device else None,
            "device_name": device.name if device else None, "metric": f.metric,
            "value": f.value, "at": iso(f.at),
            "alarm": summary(alarm) if alarm is not None else None,
            "cameras": cameras_of_area(f.site_id, f.area_id)}


def _run_popup(run: actions.Run, action: dict, index: int) -> dict:
    f = _firing()
    payload = popup_payload(f)
    f.after.append(lambda: stream.publish(f.site_id, "popup", payload))
    code = "popup_sent" if payload["cameras"] else "no_cameras"
    en, zh = text(code, cameras=len(payload["cameras"]))
    return {"state": "sent", "alarm_id": payload["alarm"] and payload["alarm"]["id"],
            "cameras": [c["id"] for c in payload["cameras"]], "message": en,
            "message_zh": zh}


actions.register(actions.Kind("alarm", {
    "level": String(load_default="alarm", validate=validate.OneOf(("warning", "alarm"))),
    "message": String(required=True, validate=validate.Length(1, 200)),
    "clear": ma.fields.Boolean(load_default=True, metadata={
        "description": "clear the alarm when the condition stops holding"}),
}, _no_check, _run_alarm))

actions.register(actions.Kind("popup", {}, _no_check, _run_popup))
