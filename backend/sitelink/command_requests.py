"""The centre's side of commands down (docs/sitelink.md): the commands waiting for a site
box (``delivery`` pending, made by ``control.operations.create`` when the site's link is
up), listed for the box with their age by the centre's clock; and the box's answers: the
command it made for each (linked here by the site's command id, whose states then flow up
as every forwarded command's do) or why it refused it (the centre's row ends with the
box's code). An answer given twice changes nothing the second time."""
from __future__ import annotations

from sqlalchemy import select

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.clock import utcnow
from backend.control.operations import transition
from backend.extensions import db
from backend.models import Command, Device, User

LIMIT = 100


def pending(site_id: int) -> list[dict]:
    """The site's commands waiting for its box, oldest first."""
    now = utcnow()
    rows = db.session.execute(
        select(Command, Device.code, User.username)
        .join(Device, Device.id == Command.device_id)
        .outerjoin(User, User.id == Command.requested_by)
        .where(Command.site_id == site_id, Command.delivery == "pending",
               Command.state == "requested", Command.site_origin_id.is_(None))
        .order_by(Command.id).limit(LIMIT)).all()
    return [{"id": c.id, "device": code, "action": c.action, "value": c.value,
             "settings": c.settings, "reason": c.reason,
             "requested_by": username or c.requested_by_name,
             "requested_at": c.requested_at,
             "age_seconds": max(0.0, (now - c.requested_at).total_seconds()),
             "origin_kind": c.origin_kind} for c, code, username in rows]


def answered(site_id: int, results: list[dict]) -> dict:
    """The box's answers: ``{"id", "command_id"}`` (made there) or ``{"id", "error",
    "message", "message_zh"}`` (refused there). Unknown ids are ignored (another site's,
    or deleted here): the box's answer is final either way."""
    done = 0
    for r in results:
        cmd = db.session.scalar(select(Command).where(
            Command.id == r["id"], Command.site_id == site_id,
            Command.delivery.is_not(None)).with_for_update())
        if cmd is None or cmd.delivery != "pending":
            continue
        cmd.delivery = "delivered"
        if r.get("command_id") is not None:
            if cmd.site_origin_id is None:
                taken = db.session.scalar(select(Command.id).where(
                    Command.site_id == site_id, Command.site_origin_id == r["command_id"]))
                if taken is None:
                    cmd.site_origin_id = r["command_id"]
        elif cmd.state == "requested":      # (not already expired here, reconcile.py)
            cmd.error = (r.get("error") or "refused")[:40]
            cmd.message, cmd.message_zh = r.get("message"), r.get("message_zh")
            state = "expired" if cmd.error == "expired" else "failed"
            transition(cmd, state, None, reason=f"refused at the site box: {cmd.message}")
            audit.record(Actor.system("uplink"), "command_result", "command", cmd.id,
                         site_id=site_id, after={"state": state, "error": cmd.error,
                                                 "site_box": True})
        done += 1
    return {"answered": done}
