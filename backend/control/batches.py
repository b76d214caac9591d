"""Group commands: one action on a list of devices, every load of an area, or every
breaker of a board. Each device gets its own command through the normal lifecycle (rights,
device state, approval of protected circuits, read-back), all sharing a ``batch_id``; a
device refused at once is reported beside the accepted ones, never failing the rest."""
from __future__ import annotations

import uuid

from sqlalchemy import or_, select

from backend.accounts.security import Actor
from backend.control import operations
from backend.control.rights import sub_areas
from backend.errors import DomainError, NotFound, ValidationFailed
from backend.extensions import db
from backend.facility.operations import areas, boards
from backend.models import Circuit, Command, Device

MAX_DEVICES = 500


def request_batch(actor: Actor, data: dict, key: str) -> dict:
    """``data``: ``device_ids`` | ``area_id`` (+ ``kind``, default load) | ``board_id``,
    with ``action``, ``value``, ``reason``. The same key returns the same batch."""
    device_ids = _targets(actor, data)
    existing = db.session.scalar(select(Command.batch_id).where(
        Command.requested_by == actor.user_id,
        Command.idempotency_key.like(f"{_escape(key)}:%")).limit(1))
    batch_id = existing or str(uuid.uuid4())
    accepted, refused = [], []
    for device_id in device_ids:
        try:
            with db.session.begin_nested():
                cmd = operations.request(actor, device_id, data, f"{key}:{device_id}")
                cmd.batch_id = batch_id
            accepted.append(cmd)
        except DomainError as exc:
            refused.append({"device_id": device_id, "error": exc.error, "message": exc.message,
                            "message_zh": exc.message_zh})
    return {"batch_id": batch_id, "commands": accepted, "refused": refused}


def _escape(key: str) -> str:
    return key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _targets(actor: Actor, data: dict) -> list[int]:
    given = [k for k in ("device_ids", "area_id", "board_id") if data.get(k) is not None]
    if len(given) != 1:
        raise ValidationFailed("give exactly one of device_ids, area_id, board_id",
                               errors={"_schema": ["exactly one of device_ids, area_id, "
                                                   "board_id"]}, error="batch_target")
    if data.get("device_ids") is not None:
        ids = list(dict.fromkeys(data["device_ids"]))
    elif data.get("area_id") is not None:
        area = areas.get(actor, data["area_id"])
        inside = sorted(sub_areas(area.id))
        ids = db.session.scalars(
            select(Device.id).outerjoin(Circuit, Device.circuit_id == Circuit.id)
            .where(Device.site_id == area.site_id, Device.kind == data.get("kind", "load"),
                   or_(Device.area_id.in_(inside), Circuit.area_id.in_(inside)))
            .order_by(Device.code)).all()
    else:
        board = boards.get(actor, data["board_id"])
        ids = db.session.scalars(
            select(Device.id).join(Circuit, Device.circuit_id == Circuit.id)
            .where(Circuit.board_id == board.id, Device.kind == "breaker")
            .order_by(Device.code)).all()
    if not ids:
        raise NotFound("no device to command", error="batch_empty")
    if len(ids) > MAX_DEVICES:
        raise ValidationFailed(f"at most {MAX_DEVICES} devices in one group command",
                               errors={"device_ids": [f"at most {MAX_DEVICES}"]},
                               error="batch_too_large")
    return ids
