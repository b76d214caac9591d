"""The communication alarm of a KNX gateway (rule ``knx_offline``): raised by the KNX
process (backend/runtime/knx_process.py) when its connection is lost or cannot be made,
cleared when it connects again. One open alarm per KNX gateway
(``knx_gateways.alarm_id``); it goes through the same timeline, notification outbox and
live stream as every other alarm.
"""
from __future__ import annotations

from datetime import datetime

from backend.alarms import outbox
from backend.alarms.catalogue import KNX_RULE
from backend.alarms.timeline import add_event
from backend.extensions import db
from backend.models import Alarm, KnxGateway
from backend.models.alarms import OPEN_STATES


def connection_changed(knx_gateway_id: int, connected: bool, now: datetime,
                       error: str | None = None) -> int | None:
    """Record the gateway's state and raise or clear its alarm; commits, then streams
    the alarm. Returns the alarm id that changed (None: nothing did)."""
    gw = db.session.get(KnxGateway, knx_gateway_id, with_for_update=True)
    if gw is None:
        db.session.rollback()
        return None
    if gw.connected is not connected:
        gw.connected, gw.changed_at = connected, now
    alarm = db.session.get(Alarm, gw.alarm_id) if gw.alarm_id else None
    is_open = alarm is not None and alarm.state in OPEN_STATES
    changed, due = None, []
    if connected and is_open:
        alarm.state, alarm.cleared_at = "cleared", now
        add_event(alarm.id, "cleared", now, message="KNX gateway connected again")
        gw.alarm_id, changed = None, alarm.id
    elif not connected and not is_open:
        message = f"KNX gateway {gw.code} ({gw.host}:{gw.port}) not connected" + \
            (f": {error}" if error else "")
        alarm = Alarm(site_id=gw.site_id, rule=KNX_RULE.key, level="alarm", state="active",
                      value=1.0, peak_value=1.0, unit="", message=message[:500],
                      raised_at=now)
        db.session.add(alarm)
        db.session.flush()
        add_event(alarm.id, "raised", now, level="alarm", value=1.0, message=message[:500])
        due = outbox.queue(alarm, "raised", now)
        gw.alarm_id, changed = alarm.id, alarm.id
    db.session.commit()
    if changed is not None:
        outbox.after_commit([changed], due)
    return changed
