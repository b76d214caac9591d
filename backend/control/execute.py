"""Executing one queued command on a field session (the poll process that owns the bus).

1. Still queued and not expired (else: skipped, or ``expired``).
2. Hold the gateway (shared with this process's poll of it, locked when idle; held by
   another process: the command is handed to that process's inbox).
3. Read the mode fresh from the device: ``manual`` or ``maintenance`` -> ``refused``,
   nothing written; no answer -> ``failed`` (``no_answer``), nothing written. (A settings
   command reads the settings' current values instead: the ``before`` of its audit.)
4. Claim: ``queued`` -> ``sent`` by a conditional UPDATE, committed before the write, so
   nothing is ever written twice (a second executor, a retry, a restart find it sent).
5. Write once, read back until the device shows the target (``control_readback_ms``):
   ``confirmed``, ``failed`` (a Modbus exception, or ``not_confirmed``) or ``timed_out``.
   The read-back values are stored as readings: the device's latest values show the
   confirmed state at once. A process stopped between 4 and 5 leaves ``sent``; the
   reconciler (backend/control/reconcile.py) settles it from the device's state.
"""
from __future__ import annotations

import logging
import time

from sqlalchemy import update

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.clock import utcnow
from backend.control import queue
from backend.control.device_io import (
    Outcome,
    Write,
    control_writes,
    exception_text,
    read_values,
    write_and_confirm,
)
from backend.control.operations import settle_reason, transition
from backend.extensions import db, redis
from backend.field.catalog import profile_for
from backend.field.modbus import GatewayAddress, ModbusError
from backend.field.session import FieldSession, GatewayBusy
from backend.models import Command, Device, Gateway
from backend.settings import setting
from backend.telemetry.ingest import ingest

log = logging.getLogger(__name__)

MAX_HOPS = 50        # hand-overs between processes before it is left to expire


def execute(command_id: int, session: FieldSession, hops: int = 0) -> str:
    """Run one command; returns what happened (for logs and tests)."""
    cmd = db.session.get(Command, command_id, populate_existing=True)
    if cmd is None or cmd.state != "queued" or cmd.site_origin_id is not None:
        db.session.rollback()          # (forwarded by a site box: the site runs it)
        return "skipped"
    if cmd.expires_at is not None and cmd.expires_at <= utcnow():
        expire(cmd)
        db.session.commit()
        return "expired"
    device = db.session.get(Device, cmd.device_id)
    if device is not None and device.kind == "knx_group":   # the KNX process's
        db.session.rollback()
        queue.push(command_id, hops, key=queue.KNX_QUEUE_KEY)
        return "handed_over"
    gateway, address = _on_bus(device)
    if gateway is None:
        return _end_unsent(cmd, "failed", "device_not_controllable")
    profile = profile_for(device.profile)
    if cmd.action == "settings":
        writes = [Write(*profile.encode_setting(n, v)) for n, v in cmd.settings.items()]
        expect, before_names = dict(cmd.settings), list(cmd.settings)
    else:
        control = profile.control(cmd.action)
        writes, expect, before_names = control_writes(control, profile, cmd.value), \
            dict(cmd.target), []
    unit, site_id = device.unit_id, device.site_id
    db.session.rollback()                    # no transaction open while on the bus
    readback_s = setting("control_readback_ms") / 1000
    bound = readback_s + 4 * address.timeout_s * (setting("poll_retries") + 1) + 2
    names = (["mode"] if "mode" in profile.metrics and not before_names else []) + before_names
    try:
        with session.hold(gateway.id, address) as bus:
            before = {}
            if names:
                try:
                    before = bus.run(lambda c: read_values(c, profile, unit, names), bound)
                except ModbusError as exc:
                    if exc.kind == "exception":
                        return _end_unsent(cmd, "failed", "device_exception",
                                           detail=exception_text(exc))
                    return _end_unsent(cmd, "failed", "no_answer")
                if before.get("mode") in ("manual", "maintenance"):
                    return _end_unsent(cmd, "refused", f"mode_{before['mode']}")
            if not _claim(cmd, before if before_names else None):
                return "skipped"
            outcome = bus.run(lambda c: write_and_confirm(c, profile, unit, writes, expect,
                                                          readback_s), bound)
    except GatewayBusy as busy:
        command_id = cmd.id
        return _hand_over(busy, session, hops,
                          lambda h, owner: queue.push(command_id, h, owner=owner))
    _settle(cmd, outcome, site_id)
    return outcome.state


def _claim(cmd: Command, before: dict | None) -> bool:
    """queued -> sent, committed before anything is written; ``before``: the settings'
    values read just now (kept with the command and in the audit)."""
    now = utcnow()
    claimed = db.session.execute(
        update(Command).where(Command.id == cmd.id, Command.state == "queued",
                              Command.expires_at > now)
        .values(state="sent", sent_at=now, before=before)).rowcount
    if not claimed:
        db.session.rollback()
        return False
    cmd = db.session.get(Command, cmd.id, populate_existing=True)
    transition(cmd, "sent", None)
    db.session.commit()
    ttl_ms = setting("control_readback_ms") + 15_000
    redis.set(queue.EXECUTING_KEY.format(command_id=cmd.id), 1, px=ttl_ms)
    return True


def _settle(cmd: Command, outcome: Outcome, site_id: int) -> None:
    if outcome.observed:
        ingest([(cmd.device_id, utcnow(), outcome.observed)])
    cmd = db.session.get(Command, cmd.id, populate_existing=True, with_for_update=True)
    if cmd.state != "sent":                   # the reconciler got there first
        db.session.rollback()
        return
    cmd.observed = outcome.observed
    if outcome.error:
        settle_reason(cmd, outcome.error, **outcome.values)
    transition(cmd, outcome.state, None, reason=cmd.message)
    audit.record(Actor.system("control"), "command_result", "command", cmd.id,
                 site_id=site_id, before=cmd.before,
                 after={"state": cmd.state, "error": cmd.error, "observed": cmd.observed})
    db.session.commit()
    redis.delete(queue.EXECUTING_KEY.format(command_id=cmd.id))


def _end_unsent(cmd: Command, state: str, code: str, **values) -> str:
    """Settle a command nothing was written for (refused by mode, no answer, ...)."""
    done = db.session.execute(update(Command).where(Command.id == cmd.id,
                                                    Command.state == "queued")
                              .values(state=state)).rowcount
    if not done:
        db.session.rollback()
        return "skipped"
    cmd = db.session.get(Command, cmd.id, populate_existing=True)
    settle_reason(cmd, code, **values)
    transition(cmd, state, None, reason=cmd.message)
    db.session.commit()
    return state


def expire(cmd: Command) -> None:
    settle_reason(cmd, "expired", seconds=setting("control_expiry_seconds"))
    transition(cmd, "expired", None, reason=cmd.message)


def _hand_over(busy: GatewayBusy, session: FieldSession, hops: int, push) -> str:
    """The gateway is another process's: ``push(hops, owner)`` gives it the work (owner
    None: a lock of no known poller, so back on the queue after a pause)."""
    if hops >= MAX_HOPS:
        log.warning("gateway %s stays held by %s; the work is left to expire",
                    busy.gateway_id, busy.owner)
        return "abandoned"
    owner = busy.owner if busy.owner and busy.owner != session.owner() else None
    if owner is None:
        time.sleep(0.05)
    push(hops + 1, owner)
    return "handed_over"


def _on_bus(device: Device) -> tuple[Gateway | None, GatewayAddress | None]:
    gateway = db.session.get(Gateway, device.gateway_id) if device.gateway_id else None
    if gateway is None:
        return None, None
    return gateway, GatewayAddress(gateway.host, gateway.port, gateway.transport,
                                   gateway.timeout_ms / 1000)


def read_settings(request_id: str, device_id: int, hops: int, session: FieldSession) -> None:
    """Read every setting of the device on the bus and answer the waiting API call."""
    from backend.control.settings import answer

    device = db.session.get(Device, device_id)
    gateway, address = _on_bus(device) if device else (None, None)
    if gateway is None:
        return answer(request_id, None, utcnow().isoformat(), "not reachable")
    profile = profile_for(device.profile)
    unit, names = device.unit_id, list(profile.settings)
    db.session.rollback()
    bound = 4 * address.timeout_s * (setting("poll_retries") + 1) + 2
    try:
        with session.hold(gateway.id, address) as bus:
            values = bus.run(lambda c: read_values(c, profile, unit, names), bound)
    except GatewayBusy as busy:
        _hand_over(busy, session, hops,
                   lambda h, owner: queue.push_read(request_id, device_id, h, owner=owner))
        return None
    except ModbusError as exc:
        return answer(request_id, None, utcnow().isoformat(), str(exc))
    return answer(request_id, values, utcnow().isoformat())
