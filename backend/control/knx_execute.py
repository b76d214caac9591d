"""Executing one queued command of a ``knx_group`` device, in the KNX process
(backend/runtime/knx_process.py), with the same lifecycle as a breaker's
(backend/control/execute.py): still queued and not expired; the gateway connected (else
``failed``, nothing written); claimed ``queued`` -> ``sent`` and committed before the
write; one GroupValueWrite; then GroupValueRead of the state address until it shows the
target (``control_readback_ms``): ``confirmed``, ``failed`` (``not_confirmed``: it shows
something else) or ``timed_out`` (``knx_no_answer``). The values read back are stored as
readings, so the group's latest values show the confirmed state at once.

The bus work is the caller's (``plan`` -> write and read -> ``settle``): no database
transaction is open while on the bus.
"""
from __future__ import annotations

from dataclasses import dataclass

from backend.clock import utcnow
from backend.control.device_io import Outcome, matches
from backend.control.execute import _claim, _end_unsent, _settle, expire
from backend.extensions import db
from backend.knx import groups
from backend.models import Command, Device
from backend.settings import setting


@dataclass(frozen=True)
class Plan:
    command_id: int
    device_id: int
    site_id: int
    knx_gateway_id: int
    write: tuple[str, object]          # (group address, payload: bool | 0-255)
    read: tuple[str, str]              # (state address, metric)
    expect: dict
    readback_s: float


def plan(command_id: int) -> Plan | str:
    """What to do for a queued command, or what happened instead (skipped, expired,
    failed)."""
    cmd = db.session.get(Command, command_id, populate_existing=True)
    if cmd is None or cmd.state != "queued" or cmd.site_origin_id is not None:
        db.session.rollback()
        return "skipped"
    if cmd.expires_at is not None and cmd.expires_at <= utcnow():
        expire(cmd)
        db.session.commit()
        return "expired"
    device = db.session.get(Device, cmd.device_id)
    if device is None or device.kind != "knx_group" or device.knx_gateway_id is None:
        return _end_unsent(cmd, "failed", "device_not_controllable")
    addrs = groups.addresses(device.attributes or {})
    if cmd.action == "dim":
        if "brightness" not in addrs:
            return _end_unsent(cmd, "failed", "device_not_controllable")
        write = (addrs["brightness"], groups.raw(cmd.value))
        read = (addrs["brightness_state"], "brightness")
    else:
        write = (addrs["switch"], cmd.action == "on")
        read = (addrs["switch_state"], "light")
    out = Plan(cmd.id, device.id, device.site_id, device.knx_gateway_id, write, read,
               dict(cmd.target), setting("control_readback_ms") / 1000)
    db.session.rollback()
    return out


def not_connected(p: Plan) -> str:
    cmd = db.session.get(Command, p.command_id, populate_existing=True)
    return _end_unsent(cmd, "failed", "knx_not_connected")


def claim(p: Plan) -> bool:
    """queued -> sent, committed before anything is written."""
    cmd = db.session.get(Command, p.command_id, populate_existing=True)
    return _claim(cmd, None)


def outcome(p: Plan, observed: dict | None) -> Outcome:
    if observed is None:
        return Outcome("timed_out", "knx_no_answer",
                       {"address": p.read[0], "seconds": round(p.readback_s, 1)})
    if matches(observed, p.expect):
        return Outcome("confirmed", observed=observed)
    shown = ", ".join(f"{k}={v}" for k, v in observed.items())
    return Outcome("failed", "not_confirmed", {"observed": shown}, observed)


def settle(p: Plan, observed: dict | None) -> str:
    result = outcome(p, observed)
    cmd = db.session.get(Command, p.command_id, populate_existing=True)
    _settle(cmd, result, p.site_id)
    return result.state
