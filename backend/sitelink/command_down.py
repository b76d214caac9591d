"""The site box's side of commands down (docs/sitelink.md): after each round trip the
shipper asks the centre for the commands waiting for this box and makes each one a command
of the box's own lifecycle, exactly once (``central_commands``, keyed by the centre's id,
written in the command's transaction): requested by the centre's user by name (synced
down with their grants), so the box checks rights, device state, approval of protected
circuits and audits as for a command made here; its states then flow up with the outbox.
A request older than ``uplink_command_ttl_seconds`` by the centre's clock is refused
``expired``, never run late. The answers (made, or refused and why) are posted back until
the centre has them. Never raises on the network."""
from __future__ import annotations

import logging

import requests
from sqlalchemy import select

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.clock import utcnow
from backend.control import operations, settings as control_settings
from backend.control.texts import reason
from backend.errors import DomainError
from backend.extensions import db
from backend.models import CentralCommand, Device, User
from backend.settings import setting
from backend.sitelink import outbox

log = logging.getLogger(__name__)

TIMEOUT = (5, 30)


class CommandSync:
    def __init__(self, http: requests.Session, base: str):
        self.http, self.base = http, base

    def sync(self) -> dict | None:
        """Take the waiting commands, then report every answer not yet reported."""
        try:
            r = self.http.get(f"{self.base}/api/v1/uplink/commands", timeout=TIMEOUT)
            body = r.json() if r.status_code == 200 else {}
        except (requests.RequestException, ValueError) as exc:
            log.warning("commands down: the centre is unreachable: %s", exc)
            return None
        if r.status_code != 200:      # (an older centre: 404; a revoked credential: 401)
            log.warning("commands down: HTTP %s from the centre", r.status_code)
        made = sum(take(req) for req in body.get("commands") or [])
        return {"taken": made, "reported": self.report()}

    def report(self) -> int:
        rows = db.session.scalars(select(CentralCommand).where(
            CentralCommand.reported_at.is_(None)).order_by(CentralCommand.id)).all()
        results = [answer(row) for row in rows]
        db.session.commit()
        if not results:
            return 0
        try:
            r = self.http.post(f"{self.base}/api/v1/uplink/commands/results",
                               json={"results": results}, timeout=TIMEOUT)
        except requests.RequestException as exc:
            log.warning("commands down: answers not reported: %s", exc)
            return 0
        if r.status_code != 200:
            log.warning("commands down: answers refused: HTTP %s %s", r.status_code, r.text[:200])
            return 0
        ids = [row["id"] for row in results]
        for row in db.session.scalars(select(CentralCommand).where(CentralCommand.id.in_(ids))):
            row.reported_at = utcnow()
        db.session.commit()
        return len(ids)


def answer(row: CentralCommand) -> dict:
    if row.command_id is not None:
        return {"id": row.id, "command_id": row.command_id}
    return {"id": row.id, "error": row.error, "message": row.message,
            "message_zh": row.message_zh}


def take(req: dict) -> bool:
    """One request from the centre, in one transaction; False if answered before."""
    central_id = int(req["id"])
    if db.session.get(CentralCommand, central_id) is not None:
        db.session.commit()
        return False
    row = CentralCommand(id=central_id)
    try:
        with db.session.begin_nested():
            cmd = _make(req)
            cmd.central_id = central_id
            row.command_id = cmd.id
    except DomainError as exc:
        row.error, row.message, row.message_zh = exc.error, exc.message, exc.message_zh
    except (KeyError, TypeError, ValueError) as exc:
        row.error, row.message = "bad_request", f"malformed request: {exc}"[:500]
    db.session.add(row)
    if row.error:
        audit.record(Actor.system("uplink"), "refuse", "central_command", central_id,
                     site_id=outbox.site_id(),
                     after={"device": req.get("device"), "action": req.get("action"),
                            "requested_by": req.get("requested_by"), "error": row.error})
    db.session.commit()
    log.info("command %s from the centre: %s", central_id, row.error or f"made {row.command_id}")
    return True


def _refuse(code: str, **values):
    en, zh = reason(code, **values)
    raise DomainError(en, error=code, message_zh=zh)


def _make(req: dict):
    ttl = setting("uplink_command_ttl_seconds")
    if float(req["age_seconds"]) > ttl:
        _refuse("expired", seconds=ttl)
    device = db.session.scalar(select(Device).where(Device.code == req["device"],
                                                    Device.site_id == outbox.site_id()))
    if device is None:
        _refuse("site_device_unknown", device=req["device"])
    user = db.session.scalar(select(User).where(User.username == req["requested_by"]))
    if user is None or not user.is_active:
        _refuse("site_user_unknown", user=req["requested_by"])
    actor, key = Actor.of(user), f"central:{int(req['id'])}"
    if req["action"] == "settings":
        return control_settings.request_change(
            actor, device.id, {"values": req["settings"], "reason": req["reason"]}, key)
    data = {"action": req["action"], "reason": req["reason"]}
    if req.get("value") is not None:
        data["value"] = req["value"]
    return operations.request(actor, device.id, data, key)
