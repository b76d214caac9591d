"""The site box's outbox writer: what flows up is written here, in the transaction of the
data it carries (docs/sitelink.md). Only when the role is ``site``; otherwise nothing.

Low in the layers because the writers of the data are (telemetry ingest, the alarm
timeline, the audit log): they call ``track_*`` / ``readings_row``; the shipper and the
centre's side live in ``backend/sitelink``. Rows are inserted with ``seq`` NULL: the
shipper numbers them once committed (commit order, not insert order).

Alarms and audit rows are collected in the session and written at ``before_commit`` (one
outbox row per alarm with its final state and the transaction's new events; one row with
the transaction's audit entries), so a caller that changes the alarm after adding the
event still sends what it committed.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

import orjson
from sqlalchemy import event, select

from backend.extensions import db
from backend.models import Alarm, AlarmEvent, AuditEntry, Device, Gateway, UplinkOutbox, User
from backend.settings import setting

INSERT_SQL = "INSERT INTO uplink_outbox (kind, payload, created_at) VALUES (%s, %s, now())"
_ALARMS, _EVENTS, _AUDITS = "gw_uplink_alarms", "gw_uplink_events", "gw_uplink_audits"


def active() -> bool:
    return setting("role") == "site"


def readings_row(cursor, codes: dict[int, str], items) -> None:
    """One outbox row for an ingest batch, on the ingest's own connection (same commit):
    ``{"readings": [[device code, ts, {metric: raw value}], ...]}``."""
    rows = [[codes[d], ts.isoformat(), values] for d, ts, values in items if d in codes]
    if rows:
        cursor.execute(INSERT_SQL, ("readings", orjson.dumps({"readings": rows}).decode()))


def track_event(ev: AlarmEvent) -> None:
    if active():
        db.session().info.setdefault(_EVENTS, []).append(ev)


def track_alarm(alarm_id: int) -> None:
    if active():
        db.session().info.setdefault(_ALARMS, {})[alarm_id] = True


def track_audit(entry: AuditEntry) -> None:
    if active():
        db.session().info.setdefault(_AUDITS, []).append(entry)


def _j(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _names(session, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def alarm_payload(session, alarm: Alarm, events: list[AlarmEvent]) -> dict:
    users = _names(session, [alarm.acknowledged_by, alarm.closed_by, alarm.assignee_id,
                             *(e.user_id for e in events)])
    device = session.get(Device, alarm.device_id) if alarm.device_id else None
    gateway = session.get(Gateway, alarm.gateway_id) if alarm.gateway_id else None
    cols = ("rule", "level", "state", "metric", "value", "peak_value", "threshold", "unit",
            "trip_cause", "message", "parent_id", "flapping", "silenced", "raised_at",
            "escalated_at", "acknowledged_at", "cleared_at", "closed_at")
    out = {c: _j(getattr(alarm, c)) for c in cols}
    out.update(id=alarm.id, device=device.code if device else None,
               gateway=gateway.code if gateway else None,
               acknowledged_by=users.get(alarm.acknowledged_by),
               closed_by=users.get(alarm.closed_by), assignee=users.get(alarm.assignee_id))
    return {"alarm": out, "events": [
        {"id": e.id, "kind": e.kind, "at": _j(e.at), "user": users.get(e.user_id),
         "data": e.data or {}} for e in sorted(events, key=lambda e: e.id)]}


def audit_payload(entries: list[AuditEntry]) -> dict:
    return {"entries": [
        {"id": e.id, "at": _j(e.at), "user": e.username, "action": e.action,
         "entity_type": e.entity_type, "entity_id": e.entity_id, "before": e.before,
         "after": e.after, "remote_addr": e.remote_addr} for e in entries]}


def _before_commit(session) -> None:
    info = session.info
    if not (info.get(_ALARMS) or info.get(_EVENTS) or info.get(_AUDITS)):
        return
    session.flush()          # ids of the new alarms, events and audit rows
    alarms = info.pop(_ALARMS, {})
    events = info.pop(_EVENTS, [])
    audits = info.pop(_AUDITS, [])
    by_alarm: dict[int, list] = {}
    for ev in events:
        by_alarm.setdefault(ev.alarm_id, []).append(ev)
        alarms[ev.alarm_id] = True
    for alarm_id in alarms:
        alarm = session.get(Alarm, alarm_id)
        if alarm is not None:
            session.add(UplinkOutbox(kind="alarm", payload=orjson.loads(orjson.dumps(
                alarm_payload(session, alarm, by_alarm.get(alarm_id, []))))))
    if audits:
        session.add(UplinkOutbox(kind="audit",
                                 payload=orjson.loads(orjson.dumps(audit_payload(audits)))))
    session.flush()


def _forget(session, *args) -> None:
    for key in (_ALARMS, _EVENTS, _AUDITS):
        session.info.pop(key, None)


event.listen(db.session, "before_commit", _before_commit)
event.listen(db.session, "after_rollback", _forget)
