"""The control queue and the command events, both sent after the commit that made them.

- ``gw:control:queue``: a Redis list of "<command id>:<hops>" (and settings reads,
  "read:<request id>:<device id>:<hops>") that every field session's
  control runner (backend/control/runner.py) takes from; ``gw:control:inbox:<poller>``:
  one per poll process, for commands whose gateway that process holds. A push is also a
  short-lived ``gw:control:pushed:<id>`` marker: the reconciler pushes a command that is
  still queued once the marker is gone (a push lost with a stopped runner or Redis).
  Pushing twice is harmless: only one executor can claim a command (queued -> sent).
- ``command`` events on the site's live stream: the command as ``summary`` shows it;
- the delivery jobs of the approvers' outbox rows (backend/control/approvals.py); the
  notify sweep delivers them anyway if this enqueue is lost.
"""
from __future__ import annotations

import logging

import orjson
from sqlalchemy import event

from backend.extensions import db, redis
from backend.live import stream
from backend.notify import outbox as notify_outbox
from backend.telemetry.latest import commanded_key

log = logging.getLogger(__name__)

QUEUE_KEY = "gw:control:queue"
KNX_QUEUE_KEY = "gw:control:knx"   # commands of knx_group devices: the KNX process's
INBOX_KEY = "gw:control:inbox:{owner}"
PUSHED_KEY = "gw:control:pushed:{command_id}"
EXECUTING_KEY = "gw:control:executing:{command_id}"
PUSH_RETRY_SECONDS = 5


def key_for(device) -> str:
    """The queue a device's commands go to: KNX groups to the KNX process."""
    return KNX_QUEUE_KEY if device is not None and device.kind == "knx_group" else QUEUE_KEY


def push(command_id: int, hops: int = 0, *, owner: str | None = None, client=None,
         key: str = QUEUE_KEY) -> None:
    client = client or redis.current()
    pipe = client.pipeline()
    pipe.rpush(INBOX_KEY.format(owner=owner) if owner else key, f"{command_id}:{hops}")
    pipe.set(PUSHED_KEY.format(command_id=command_id), 1, ex=PUSH_RETRY_SECONDS)
    pipe.execute()


def parse(item: str) -> tuple[int, int]:
    command_id, _, hops = item.partition(":")
    return int(command_id), int(hops or 0)


def push_read(request_id: str, device_id: int, hops: int = 0, *, owner: str | None = None,
              client=None) -> None:
    """A settings read (backend/control/settings.py) for the runner holding the gateway."""
    client = client or redis.current()
    client.rpush(INBOX_KEY.format(owner=owner) if owner else QUEUE_KEY,
                 f"read:{request_id}:{device_id}:{hops}")


def parse_read(item: str) -> tuple[str, int, int]:
    _, request_id, device_id, *hops = item.split(":")
    return request_id, int(device_id), int(hops[0]) if hops else 0


def summary(cmd) -> dict:
    """The command as the live stream and the clients see it."""
    return {"id": cmd.id, "site_id": cmd.site_id, "device_id": cmd.device_id,
            "circuit_id": cmd.circuit_id, "action": cmd.action, "value": cmd.value,
            "settings": cmd.settings, "before": cmd.before,
            "state": cmd.state, "delivery": cmd.delivery,
            "site_origin_id": cmd.site_origin_id, "target": cmd.target,
            "observed": cmd.observed,
            "error": cmd.error, "message": cmd.message, "message_zh": cmd.message_zh,
            "requested_by": cmd.requested_by, "requested_by_name": cmd.requested_by_name,
            "requested_at": _iso(cmd.requested_at), "sent_at": _iso(cmd.sent_at),
            "finished_at": _iso(cmd.finished_at), "approved_by": cmd.approved_by,
            "approval_expires_at": _iso(cmd.approval_expires_at),
            "expires_at": _iso(cmd.expires_at)}


def _iso(value):
    return value.isoformat() if value else None


def push_after_commit(command_id: int, key: str = QUEUE_KEY) -> None:
    _pending()["push"].append((command_id, key))


def publish_after_commit(cmd) -> None:
    _pending()["publish"][cmd.id] = cmd


def notify_after_commit(notification_ids: list[int]) -> None:
    """Outbox rows (approvers told) to deliver once committed."""
    _pending()["notify"].extend(notification_ids)


def _pending() -> dict:
    session = db.session()
    if not session.info.get("gw_control_listening"):
        # Permanent listeners, once per session object (a ``once`` listener stays
        # registered, disabled: registering the same function again would be ignored).
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
        session.info["gw_control_listening"] = True
    return session.info.setdefault("gw_control", {"push": [], "publish": {}, "notify": []})


def _after_rollback(session) -> None:
    if session.in_nested_transaction():   # a savepoint rolled back (nothing queued in it)
        return
    session.info.pop("gw_control", None)


def _after_commit(session) -> None:
    if session.in_nested_transaction():   # a savepoint released: the outer one is not done
        return
    pending = session.info.pop("gw_control", None)
    if not pending:
        return
    try:
        client = redis.current()
        for cmd in pending["publish"].values():
            stream.publish(cmd.site_id, "command", summary(cmd))
            client.set(commanded_key(cmd.device_id), stream_json(commanded(cmd)),
                       ex=7 * 86400)
        for command_id, key in pending["push"]:
            push(command_id, client=client, key=key)
        if pending["notify"]:
            notify_outbox.enqueue(pending["notify"])
    except Exception:  # noqa: BLE001 - committed: the reconciler pushes within 5 s
        log.exception("control: could not push or publish after commit")


def commanded(cmd) -> dict:
    """What the device's latest values show as its commanded state (the latest command)."""
    return {"command_id": cmd.id, "action": cmd.action, "value": cmd.value,
            "target": cmd.target, "state": cmd.state, "at": _iso(cmd.requested_at),
            "by": cmd.requested_by_name}


def stream_json(doc: dict) -> str:
    return orjson.dumps(doc).decode()
