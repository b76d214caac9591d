"""The centre's side: a site box's batch applied in one transaction, the watermark.

Items at or below the site's watermark are skipped (a replay is stored once); a batch that
starts above watermark + 1 is refused (409 ``uplink_gap``, with the watermark); an item
that cannot be applied (unknown kind or code, another schema) refuses the whole batch (422
``uplink_rejected`` naming the seq and the reason), recorded on the site's link so both
ends show it. Readings go through the centre's telemetry ingest, which commits on its own
connection and is idempotent (a reading stored twice is stored once), so a crash between
it and the batch's commit only makes the replay re-ingest them harmlessly.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from backend import uplink
from backend.alarms import catalogue
from backend.clock import to_utc, utcnow
from backend.energy import rollup
from backend.errors import Conflict, DomainError
from backend.extensions import db
from backend.models import (
    Alarm,
    AlarmEvent,
    AuditEntry,
    Site,
    SiteCredential,
    SiteUplink,
    UplinkReceived,
)
from backend.models.telemetry import METRICS
from backend.sitelink import SCHEMA, batching, forwarded
from backend.sitelink.names import Bad, Names, t
from backend.telemetry.ingest import ingest

KINDS = ("readings", "alarm", "audit", "command", "replacement")
_COUNTERS = frozenset(name for name, m in METRICS.items() if m.kind == "counter")
_ALARM_TIMES = ("raised_at", "escalated_at", "acknowledged_at", "cleared_at", "closed_at")
_ALARM_COLS = ("rule", "level", "state", "metric", "value", "peak_value", "threshold",
               "unit", "trip_cause", "message", "flapping", "silenced")


class Rejected(DomainError):
    status = 422
    error = "uplink_rejected"

    def __init__(self, seq: int, reason: str):
        super().__init__(f"item {seq}: {reason}")
        self.extra = {"seq": seq, "reason": reason}


_Bad, _Names, _t = Bad, Names, t


def link(site_id: int, lock: bool = False) -> SiteUplink:
    db.session.execute(pg_insert(SiteUplink).values(site_id=site_id, watermark=0)
                       .on_conflict_do_nothing())
    stmt = select(SiteUplink).where(SiteUplink.site_id == site_id)
    return db.session.scalars(stmt.with_for_update() if lock else stmt).one()


def watermark(cred: SiteCredential) -> dict:
    row = link(cred.site_id)
    out = {"site_id": cred.site_id, "watermark": row.watermark}
    db.session.commit()
    return out


def apply(cred: SiteCredential, body: dict) -> dict:
    site = db.session.get(Site, cred.site_id)
    if body["site_code"] != site.code:
        raise DomainError(f"this credential is {site.code}'s, not {body['site_code']}'s",
                          error="site_code_mismatch")
    items = sorted(body["items"], key=lambda it: it["seq"])
    why = batching.check_batch(body["first_seq"], body["last_seq"], [it["seq"] for it in items])
    if why:
        raise DomainError(why, error="uplink_malformed")
    row = link(site.id, lock=True)
    w = row.watermark
    if body["first_seq"] > w + 1:
        exc = Conflict(f"gap: the centre holds up to {w}, the batch starts at "
                       f"{body['first_seq']}", error="uplink_gap")
        exc.extra = {"watermark": w}
        raise exc
    fresh = [it for it in items if it["seq"] > w]
    if fresh:
        if body["schema"] != SCHEMA:
            _reject(site.id, fresh[0]["seq"],
                    f"schema {body['schema']} is not this centre's ({SCHEMA})")
        plans, rerolled = [], []
        names = _Names(site.id)
        for it in fresh:
            try:
                if it["kind"] not in KINDS:
                    raise _Bad(f"unknown kind {it['kind']!r}")
                plans.append((it, _plan(it["kind"], it["payload"], names)))
            except _Bad as bad:
                _reject(site.id, it["seq"], str(bad))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                _reject(site.id, it["seq"], f"malformed {it['kind']} payload: {exc!r}")
        batch = [r for it, plan in plans if it["kind"] == "readings" for r in plan]
        if batch:
            ingest(batch)        # its own commit; idempotent (see above)
            _mark_energy(batch)
        for it, plan in plans:
            if it["kind"] == "alarm":
                _apply_alarm(site.id, plan, names)
            elif it["kind"] == "audit":
                _apply_audit(site.id, plan, names)
            elif it["kind"] == "command":
                forwarded.apply_command(site.id, plan, names)
            elif it["kind"] == "replacement":
                rerolled.append(forwarded.apply_replacement(site.id, plan, names))
        db.session.execute(pg_insert(UplinkReceived).values(
            [{"site_id": site.id, "seq": it["seq"], "kind": it["kind"]} for it in fresh])
            .on_conflict_do_nothing())
        row.watermark = batching.watermark(w, [it["seq"] for it in fresh])
    row.last_batch_at = utcnow()
    row.last_error = row.error_seq = None
    out = {"site_id": site.id, "watermark": row.watermark, "stored": len(fresh),
           "skipped": len(items) - len(fresh)}
    db.session.commit()
    for device_id, at in rerolled if fresh else ():
        rollup.mark(device_id, at)   # a rollup run that raced the batch rolls it again
    return out


def _mark_energy(batch) -> None:
    """The energy rollup's marks for the batch's counters, even when ingest stored nothing
    new: a replay after a batch whose readings were stored but whose commit failed must
    still have them rolled (ingest marks only the rows it inserted)."""
    since: dict[int, datetime] = {}
    for device_id, ts, values in batch:
        if any(name in values for name in _COUNTERS):
            ts = to_utc(ts)
            since[device_id] = min(ts, since.get(device_id, ts))
    for device_id, ts in since.items():
        rollup.mark(device_id, ts)


def _reject(site_id: int, seq: int, reason: str):
    db.session.rollback()
    row = link(site_id, lock=True)
    row.last_error, row.error_seq = reason[:2000], seq
    db.session.commit()
    raise Rejected(seq, reason)


def _plan(kind: str, payload: dict, names: _Names):
    if kind == "command":
        return forwarded.plan_command(payload, names)
    if kind == "replacement":
        return forwarded.plan_replacement(payload, names)
    if kind == "readings":
        out = []
        for code, ts, values in payload["readings"]:
            if not isinstance(values, dict):
                raise _Bad("a reading's values must be an object")
            out.append((names.device(code)[0], datetime.fromisoformat(ts), values))
        return out
    if kind == "alarm":
        a = payload["alarm"]
        if a["rule"] not in catalogue.ALL_RULES:
            raise _Bad(f"unknown alarm rule {a['rule']!r}")
        device = names.device(a["device"]) if a.get("device") else None
        gateway = names.gateway(a["gateway"]) if a.get("gateway") else None
        int(a["id"])
        for ev in payload["events"]:
            int(ev["id"]), str(ev["kind"]), datetime.fromisoformat(ev["at"])
        return {"alarm": a, "device": device, "gateway": gateway, "events": payload["events"]}
    entries = payload["entries"]
    for e in entries:
        int(e["id"]), str(e["action"]), str(e["entity_type"]), datetime.fromisoformat(e["at"])
        if e.get("entity_id") is not None:
            int(e["entity_id"])
    return entries


def _apply_alarm(site_id: int, plan: dict, names: _Names) -> None:
    a, device = plan["alarm"], plan["device"]
    alarm = db.session.scalar(select(Alarm).where(Alarm.site_id == site_id,
                                                  Alarm.origin_id == a["id"]))
    if alarm is None:
        alarm = Alarm(site_id=site_id, origin_id=a["id"])
        db.session.add(alarm)
    for col in _ALARM_COLS:
        setattr(alarm, col, a.get(col))
    for col in _ALARM_TIMES:
        setattr(alarm, col, _t(a.get(col)))
    alarm.unit = alarm.unit or ""
    alarm.message = alarm.message or ""
    alarm.flapping, alarm.silenced = bool(alarm.flapping), bool(alarm.silenced)
    alarm.device_id = device[0] if device else None
    alarm.circuit_id, alarm.area_id = (device[1], device[2]) if device else (None, None)
    alarm.gateway_id = plan["gateway"]
    alarm.acknowledged_by = names.user(a.get("acknowledged_by"))
    alarm.closed_by = names.user(a.get("closed_by"))
    alarm.assignee_id = names.user(a.get("assignee"))
    alarm.parent_id = db.session.scalar(select(Alarm.id).where(
        Alarm.site_id == site_id, Alarm.origin_id == a["parent_id"])) if a.get("parent_id") \
        else None
    db.session.flush()
    for ev in plan["events"]:
        data = dict(ev.get("data") or {})
        if ev.get("user") and names.user(ev["user"]) is None:
            data["site_user"] = ev["user"]          # a user the centre does not know (yet)
        db.session.execute(pg_insert(AlarmEvent).values(
            alarm_id=alarm.id, origin_id=ev["id"], kind=ev["kind"], at=_t(ev["at"]),
            user_id=names.user(ev.get("user")), data=data).on_conflict_do_nothing())


def _apply_audit(site_id: int, entries: list[dict], names: _Names) -> None:
    db.session.execute(pg_insert(AuditEntry).values([
        {"site_id": site_id, "origin_id": e["id"], "at": _t(e["at"]),
         # a person by name; a system actor's name ("control") is no user of ours
         "user_id": None if e.get("system") else names.user(e.get("user")),
         "username": e.get("user"),
         "action": e["action"][:32], "entity_type": e["entity_type"][:32],
         "entity_id": names.entity(e["entity_type"], e.get("entity_id"), e.get("ref")),
         "origin_entity_id": e.get("entity_id"), "before": e.get("before"),
         "after": e.get("after"), "remote_addr": e.get("remote_addr")} for e in entries])
        .on_conflict_do_nothing())


def site_link(site_id: int) -> dict:
    """The centre's view of a site's link (``uplink.link_summaries``) and how many items it
    received."""
    link(site_id)
    received = db.session.scalar(text("SELECT count(*) FROM uplink_received WHERE site_id = :s"),
                                 {"s": site_id})
    out = {"site_id": site_id, **uplink.link_summaries([site_id])[site_id], "received": received}
    db.session.commit()
    return out
