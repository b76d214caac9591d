"""The control safety net, every few seconds (job ``control.reconcile``):

- queued past its expiry -> ``expired`` (never run late); awaiting approval past its
  window -> ``expired``; a command for a site box not taken by it within twice
  ``uplink_command_ttl_seconds`` -> ``expired`` (the box refuses one older than that
  once; should its answer come after all, the row then mirrors the box's command);
- queued, with no push marker (a push lost with a stopped runner or Redis) -> pushed again;
- ``sent`` with no executor alive (its ``executing`` key gone) -> settled from the device's
  state, never by writing again: ``confirmed`` if the values polled since the write show
  the target, else ``failed`` (``executor_stopped``).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import orjson
from sqlalchemy import select

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.clock import utcnow
from backend.control import queue
from backend.control.execute import expire
from backend.control.operations import expire_approval, settle_reason, transition
from backend.extensions import db, redis
from backend.models import Command, Device
from backend.settings import setting
from backend.telemetry.latest import latest_key

log = logging.getLogger(__name__)

SENT_GRACE_SECONDS = 2      # after the read-back window, before settling from the state


def reconcile() -> dict:
    now = utcnow()
    counts = dict.fromkeys(("expired", "pushed", "settled"), 0)
    for cmd in _locked(Command.state == "queued", Command.expires_at <= now):
        expire(cmd)
        counts["expired"] += 1
    for cmd in _locked(Command.state == "awaiting_approval",
                       Command.approval_expires_at <= now):
        expire_approval(cmd)
        counts["expired"] += 1
    ttl = setting("uplink_command_ttl_seconds")
    for cmd in _locked(Command.state == "requested", Command.delivery == "pending",
                       Command.requested_at <= now - timedelta(seconds=2 * ttl)):
        # Never taken by its site box (the link went down): the box would refuse it now.
        settle_reason(cmd, "expired", seconds=ttl)
        transition(cmd, "expired", None, reason="not taken by the site box in time")
        counts["expired"] += 1
    db.session.commit()
    client = redis.current()
    for cmd_id, kind in db.session.execute(select(Command.id, Device.kind).join(
            Device, Device.id == Command.device_id).where(Command.state == "queued",
                                                          Command.site_origin_id.is_(None))):
        if not client.exists(queue.PUSHED_KEY.format(command_id=cmd_id)):
            key = queue.KNX_QUEUE_KEY if kind == "knx_group" else queue.QUEUE_KEY
            queue.push(cmd_id, client=client, key=key)
            counts["pushed"] += 1
    window = timedelta(milliseconds=setting("control_readback_ms"),
                       seconds=SENT_GRACE_SECONDS)
    for cmd in _locked(Command.state == "sent", Command.sent_at <= now - window):
        if client.exists(queue.EXECUTING_KEY.format(command_id=cmd.id)):
            continue
        _settle_from_state(cmd, client)
        counts["settled"] += 1
    db.session.commit()
    if any(counts.values()):
        log.info("control reconcile: %s", counts)
    return counts


def _locked(*where):
    """Our own commands only: one forwarded by a site box is the site's to run, expire and
    settle (docs/sitelink.md); the centre only mirrors its states."""
    return db.session.scalars(select(Command).where(*where, Command.site_origin_id.is_(None))
                              .with_for_update(skip_locked=True)).all()


def _settle_from_state(cmd: Command, client) -> None:
    """The device's values polled after the write decide; nothing is written again."""
    raw = client.get(latest_key(cmd.device_id))
    doc = orjson.loads(raw) if raw else {}
    fresh = {m: cell.get("v") for m, cell in doc.items()
             if m in cmd.target and _after(cell.get("ts"), cmd.sent_at)}
    cmd.observed = fresh or None
    if fresh and all(fresh.get(m) == v for m, v in cmd.target.items()):
        state = "confirmed"
        cmd.error, cmd.message, cmd.message_zh = None, None, None
    else:
        state = "failed"
        settle_reason(cmd, "executor_stopped")
    transition(cmd, state, None, reason="settled from the device's state after the "
                                        "executor stopped")
    audit.record(Actor.system("control"), "command_result", "command", cmd.id,
                 site_id=cmd.site_id, after={"state": state, "observed": cmd.observed,
                                             "reconciled": True})


def _after(ts: str | None, at) -> bool:
    try:
        return ts is not None and at is not None and datetime.fromisoformat(ts) >= at
    except ValueError:
        return False
