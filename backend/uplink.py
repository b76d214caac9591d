"""The site box's outbox writer: what flows up is written here, in the transaction of the
data it carries (docs/sitelink.md). Only when the role is ``site``; otherwise nothing.

Low in the layers because the writers of the data are (telemetry ingest, the alarm
timeline, the audit log): they call ``track_*`` / ``readings_row``; the shipper and the
centre's side live in ``backend/sitelink``. Rows are inserted with ``seq`` NULL: the
shipper numbers them once committed (commit order, not insert order).

Alarms, commands, meter replacements and audit rows are collected in the session and written at ``before_commit`` (one
outbox row per alarm with its final state and the transaction's new events; one row with
the transaction's audit entries; one per command with its final state and new events; one
per meter replacement), so a caller that changes the alarm after adding the
event still sends what it committed.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

import orjson
from sqlalchemy import event, inspect, select

from backend.clock import utcnow
from backend.extensions import db
from backend.models import (
    Alarm,
    AlarmEvent,
    Area,
    AuditEntry,
    Board,
    Circuit,
    Command,
    CommandEvent,
    Device,
    DistributionRoom,
    Gateway,
    KnxGateway,
    MeterReplacement,
    Site,
    SiteConfigVersion,
    SiteCredential,
    SiteUplink,
    UplinkOutbox,
    User,
)
from backend.settings import setting

INSERT_SQL = "INSERT INTO uplink_outbox (kind, payload, created_at) VALUES (%s, %s, now())"
_ALARMS, _EVENTS, _AUDITS = "gw_uplink_alarms", "gw_uplink_events", "gw_uplink_audits"
_COMMAND_EVENTS, _REPLACEMENTS = "gw_uplink_command_events", "gw_uplink_replacements"
_KEYS = (_ALARMS, _EVENTS, _AUDITS, _COMMAND_EVENTS, _REPLACEMENTS)


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


def track_command_event(ev: CommandEvent) -> None:
    """A command's transition (``control.operations.transition``, its one writer)."""
    if active():
        db.session().info.setdefault(_COMMAND_EVENTS, []).append(ev)


def track_replacement(row: MeterReplacement) -> None:
    if active():
        db.session().info.setdefault(_REPLACEMENTS, []).append(row)


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


_COMMAND_COLS = ("action", "value", "settings", "before", "target", "reason", "state",
                 "requested_by_name", "requested_at", "approval_expires_at", "approved_at",
                 "expires_at", "sent_at", "finished_at", "error", "message", "message_zh",
                 "observed", "batch_id", "origin_kind", "origin_id", "central_id")


def command_payload(session, cmd: Command, events: list[CommandEvent]) -> dict:
    """The command's final state (the device by code, people by user name) and the
    transaction's new events (``actor``: the user name, ``None`` for the system)."""
    users = _names(session, [cmd.requested_by, cmd.approved_by, *(e.actor_id for e in events)])
    out = {c: _j(getattr(cmd, c)) for c in _COMMAND_COLS}
    out.update(id=cmd.id, device=session.get(Device, cmd.device_id).code,
               requested_by=users.get(cmd.requested_by), approved_by=users.get(cmd.approved_by))
    return {"command": out, "events": [
        {"id": e.id, "state": e.state, "at": _j(e.at), "actor": users.get(e.actor_id),
         "actor_name": e.actor_name, "reason": e.reason, "details": e.details}
        for e in sorted(events, key=lambda e: e.id)]}


def replacement_payload(session, row: MeterReplacement) -> dict:
    users = _names(session, [row.created_by])
    return {"id": row.id, "device": session.get(Device, row.device_id).code, "at": _j(row.at),
            "readings": row.readings, "note": row.note, "created_by": users.get(row.created_by),
            "created_by_name": row.created_by_name, "created_at": _j(row.created_at)}


def _row(kind: str, payload: dict) -> UplinkOutbox:
    return UplinkOutbox(kind=kind, payload=orjson.loads(orjson.dumps(payload)))


# Audit entity types identified across the two databases by their code (within the site).
CODED = {"area": Area, "room": DistributionRoom, "board": Board, "circuit": Circuit,
         "gateway": Gateway, "device": Device, "knx_gateway": KnxGateway, "site": Site}


def _refs(session, entries: list[AuditEntry]) -> dict[tuple[str, int], str]:
    """(entity type, id) -> the entity's code (a user's name), read from the row if it
    still exists, else from the audit row's own before/after (a delete)."""
    wanted: dict[str, set[int]] = {}
    for e in entries:
        if e.entity_id is not None and (e.entity_type in CODED or e.entity_type == "user"):
            wanted.setdefault(e.entity_type, set()).add(e.entity_id)
    out = {}
    for kind, ids in wanted.items():
        model, col = (User, User.username) if kind == "user" else (CODED[kind], CODED[kind].code)
        for i, code in session.execute(select(model.id, col).where(model.id.in_(ids))):
            out[(kind, i)] = code
    for e in entries:
        key = (e.entity_type, e.entity_id)
        if key[0] in wanted and key not in out:
            field = "username" if key[0] == "user" else "code"
            code = (e.after or {}).get(field) or (e.before or {}).get(field)
            if isinstance(code, str):
                out[key] = code
    return out


def audit_payload(session, entries: list[AuditEntry]) -> dict:
    refs = _refs(session, entries)
    return {"entries": [
        {"id": e.id, "at": _j(e.at), "user": e.username, "system": e.user_id is None,
         "action": e.action, "entity_type": e.entity_type, "entity_id": e.entity_id,
         "ref": refs.get((e.entity_type, e.entity_id)), "before": e.before,
         "after": e.after, "remote_addr": e.remote_addr} for e in entries]}


def _kept(objs: list) -> list:
    """The tracked objects whose rows are still to be committed: one added inside a
    savepoint that was rolled back is no longer persistent (automation's actions run in
    savepoints), and the centre must not get a row the site does not have."""
    return [o for o in objs if inspect(o).persistent]


def _before_commit(session) -> None:
    info = session.info
    if not any(info.get(k) for k in _KEYS):
        return
    session.flush()          # ids of the new alarms, events, commands and audit rows
    alarms = info.pop(_ALARMS, {})
    events = _kept(info.pop(_EVENTS, []))
    audits = _kept(info.pop(_AUDITS, []))
    command_events = _kept(info.pop(_COMMAND_EVENTS, []))
    replacements = _kept(info.pop(_REPLACEMENTS, []))
    by_alarm: dict[int, list] = {}
    for ev in events:
        by_alarm.setdefault(ev.alarm_id, []).append(ev)
        alarms[ev.alarm_id] = True
    for alarm_id in alarms:
        alarm = session.get(Alarm, alarm_id)
        if alarm is not None:
            session.add(_row("alarm", alarm_payload(session, alarm, by_alarm.get(alarm_id, []))))
    by_command: dict[int, list] = {}
    for ev in command_events:
        by_command.setdefault(ev.command_id, []).append(ev)
    for command_id, evs in by_command.items():
        cmd = session.get(Command, command_id)
        if cmd is not None:
            session.add(_row("command", command_payload(session, cmd, evs)))
    for row in replacements:
        session.add(_row("replacement", replacement_payload(session, row)))
    if audits:
        session.add(_row("audit", audit_payload(session, audits)))
    session.flush()


def _forget(session, previous_transaction) -> None:
    """The whole transaction rolled back: nothing of it is sent. Not on a savepoint's
    rollback (``after_rollback`` fires for those too, and dropped everything tracked
    before the savepoint: the outer transaction's alarms and audit rows were then
    committed and never sent); a savepoint's own rows are dropped by ``_kept``."""
    if previous_transaction.parent is None:
        for key in _KEYS:
            session.info.pop(key, None)


event.listen(db.session, "before_commit", _before_commit)
event.listen(db.session, "after_soft_rollback", _forget)


# --- the centre's view of its sites' links (the sites list, the console, control) --------
LINK_STATES = ("local", "up", "down", "stopped")


def link_state(remote: bool, error_seq, last_batch_at, now: datetime) -> str:
    """``local``: no active credential (the centre polls the site itself); ``stopped``: the
    last batch was refused; ``down``: no batch for ``uplink_down_after_seconds``; ``up``."""
    if not remote:
        return "local"
    if error_seq is not None:
        return "stopped"
    if last_batch_at is None or \
            (now - last_batch_at).total_seconds() > setting("uplink_down_after_seconds"):
        return "down"
    return "up"


def link_summaries(site_ids) -> dict[int, dict]:
    """Per site: remote (an active credential), state, watermark, the last batch's time and
    age in seconds, the last error, the conflicts its box last reported; three queries
    whatever the count."""
    ids = sorted(set(site_ids))
    if not ids:
        return {}
    rows = {r.site_id: r for r in db.session.scalars(
        select(SiteUplink).where(SiteUplink.site_id.in_(ids)))}
    remote = set(db.session.scalars(select(SiteCredential.site_id).where(
        SiteCredential.site_id.in_(ids), SiteCredential.revoked_at.is_(None))))
    conflicts = dict(db.session.execute(select(
        SiteConfigVersion.site_id, SiteConfigVersion.site_conflicts).where(
        SiteConfigVersion.site_id.in_(ids))).all())
    now = utcnow()
    out = {}
    for sid in ids:
        row = rows.get(sid)
        last = row.last_batch_at if row else None
        out[sid] = {"remote": sid in remote,
                    "state": link_state(sid in remote, row.error_seq if row else None, last, now),
                    "watermark": row.watermark if row else 0, "last_batch_at": last,
                    "last_batch_age_seconds": (now - last).total_seconds() if last else None,
                    "last_error": row.last_error if row else None,
                    "error_seq": row.error_seq if row else None,
                    "site_config_conflicts": conflicts.get(sid)}
    return out
