"""The centre's side of forwarded commands and meter replacements (docs/sitelink.md).

A command is upserted by (site, the site's command id) with its final state, its events
inserted by (command, the site's event id); people by user name (a name the centre does
not know keeps ``requested_by_name`` / ``actor_name`` and no id). A meter replacement is
stored once by (site, the site's id) and the device's energy re-rolled from its time in
the batch's transaction, so the centre's figures equal the site's.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from backend.control import queue
from backend.energy import rollup
from backend.extensions import db
from backend.models import Command, CommandEvent, Device, MeterReplacement
from backend.models.control import ACTIONS, COMMAND_STATES
from backend.models.energy import COUNTERS
from backend.sitelink.names import Bad, Names, t

_TIMES = ("requested_at", "approval_expires_at", "approved_at", "expires_at", "sent_at",
          "finished_at")
_COLS = ("action", "value", "settings", "before", "target", "reason", "state",
         "requested_by_name", "error", "message", "message_zh", "observed", "batch_id",
         "origin_kind")
_OURS = ("origin_kind", "batch_id", "requested_at")


def plan_command(payload: dict, names: Names) -> dict:
    c = payload["command"]
    if c["state"] not in COMMAND_STATES:
        raise Bad(f"unknown command state {c['state']!r}")
    if c["action"] not in ACTIONS:
        raise Bad(f"unknown command action {c['action']!r}")
    device = names.device(c["device"])
    int(c["id"]), datetime.fromisoformat(c["requested_at"])
    if c.get("central_id") is not None:
        int(c["central_id"])
    for ev in payload["events"]:
        if ev["state"] not in COMMAND_STATES:
            raise Bad(f"unknown command state {ev['state']!r}")
        int(ev["id"]), datetime.fromisoformat(ev["at"]), str(ev["actor_name"])
    return {"command": c, "device": device, "events": payload["events"]}


def apply_command(site_id: int, plan: dict, names: Names) -> None:
    c, (device_id, circuit_id, _area) = plan["command"], plan["device"]
    cmd = db.session.scalar(select(Command).where(Command.site_id == site_id,
                                                  Command.site_origin_id == c["id"]))
    if cmd is None and c.get("central_id") is not None:
        # Made at the box for one of our commands (sitelink/command_requests.py): that row
        # mirrors it, whether the box's answer or this batch arrives first.
        cmd = db.session.scalar(select(Command).where(
            Command.id == int(c["central_id"]), Command.site_id == site_id,
            Command.delivery.is_not(None), Command.site_origin_id.is_(None))
            .with_for_update())
        if cmd is not None:
            cmd.site_origin_id, cmd.delivery = c["id"], "delivered"
    if cmd is None:
        # The site's Idempotency-Key means nothing here; one of our own, unique per site.
        cmd = Command(site_id=site_id, site_origin_id=c["id"],
                      idempotency_key=f"uplink:{site_id}:{c['id']}"[:64])
        db.session.add(cmd)
    ours = cmd.delivery is not None      # our command: its origin, batch, request time kept
    for col in _COLS:
        if not (ours and col in _OURS):
            setattr(cmd, col, c.get(col))
    for col in _TIMES:
        if not (ours and col in _OURS):
            setattr(cmd, col, t(c.get(col)))
    cmd.target = cmd.target or {}
    cmd.reason = cmd.reason or ""
    cmd.device_id, cmd.circuit_id = device_id, circuit_id
    cmd.gateway_id = db.session.scalar(select(Device.gateway_id).where(Device.id == device_id))
    cmd.requested_by = names.user(c.get("requested_by"))
    cmd.approved_by = names.user(c.get("approved_by"))
    if not ours:
        cmd.origin_id = None             # the site's scene/schedule/rule id: not ours
    db.session.flush()
    if ours:
        queue.publish_after_commit(cmd)  # its progress on the centre's live stream
    for ev in plan["events"]:
        db.session.execute(pg_insert(CommandEvent).values(
            command_id=cmd.id, origin_id=ev["id"], state=ev["state"], at=t(ev["at"]),
            actor_id=names.user(ev.get("actor")), actor_name=ev["actor_name"][:64],
            reason=ev.get("reason"), details=ev.get("details")).on_conflict_do_nothing())


def plan_replacement(payload: dict, names: Names) -> dict:
    device = names.device(payload["device"])
    int(payload["id"]), datetime.fromisoformat(payload["at"])
    readings = payload["readings"]
    if not isinstance(readings, dict) or not readings:
        raise Bad("a meter replacement's readings must be a non-empty object")
    for name, pair in readings.items():
        if name not in COUNTERS:
            raise Bad(f"unknown counter {name!r}")
        float(pair["old_final"]), float(pair["new_initial"])
    return {"replacement": payload, "device": device}


def apply_replacement(site_id: int, plan: dict, names: Names) -> tuple[int, datetime]:
    """Store it (once) and re-roll the device from its time; returns (device, time) for
    the rollup's mark after the commit."""
    p, device_id = plan["replacement"], plan["device"][0]
    at = t(p["at"])
    db.session.execute(pg_insert(MeterReplacement).values(
        site_id=site_id, origin_id=p["id"], device_id=device_id, at=at,
        readings={k: {"old_final": float(v["old_final"]), "new_initial": float(v["new_initial"])}
                  for k, v in p["readings"].items()},
        note=p.get("note") or "", created_by=names.user(p.get("created_by")),
        created_by_name=(p.get("created_by_name") or "")[:64]).on_conflict_do_nothing())
    rollup.roll_device(device_id, at)
    return device_id, at
