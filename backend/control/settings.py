"""A device's settings (protection limits, residual-current protection, ...): read from
the device, and changed through the command lifecycle (rights, approval of protected
circuits, one write, read-back, audit with the values before and after).

Reading needs the bus, which only the poll processes hold: the API pushes a read request
on the control queue and waits for the runner's answer (``gw:control:reply:<id>``).
"""
from __future__ import annotations

import json
import time
import uuid

from backend.accounts.security import Actor
from backend.control import operations, queue
from backend.control.rights import require_control
from backend.errors import DomainError, ValidationFailed
from backend.extensions import redis
from backend.facility.operations import devices
from backend.settings import setting

REPLY_KEY = "gw:control:reply:{request_id}"
REPLY_TTL_SECONDS = 30


class NoAnswer(DomainError):
    status = 504
    error = "device_no_answer"


def describe(profile) -> list[dict]:
    """What the profile declares of each setting (the page's form)."""
    out = []
    for s in profile.settings.values():
        out.append({"name": s.name, "unit": s.unit or "", "writable": s.writable,
                    "min": s.min, "max": s.max, "default": s.default,
                    "options": list(s.enum.values()) if s.enum else None,
                    "description": s.description})
    return out


def read(actor: Actor, device_id: int) -> dict:
    device = devices.get(actor, device_id)
    operations.check_remote(device.site_id)    # a site box holds its field connection
    profile = operations.usable_profile(device)
    if not profile.settings:
        raise ValidationFailed(f"{device.code} has no settings", error="no_settings",
                               errors={"device_id": ["the device's profile has no settings"]})
    request_id = uuid.uuid4().hex
    client = redis.current()
    queue.push_read(request_id, device.id, client=client)
    wait = setting("control_readback_ms") / 1000 + 2
    got = _wait_reply(client, REPLY_KEY.format(request_id=request_id), wait)
    if not got:
        raise NoAnswer(f"{device.code} (or the poll process holding its gateway) did not "
                       f"answer within {wait:.0f} s", message_zh="设备无应答，请稍后重试")
    answer = json.loads(got[1])
    if answer.get("error"):
        raise NoAnswer(f"{device.code}: {answer['error']}", message_zh="设备无应答，请稍后重试")
    return {"device_id": device.id, "read_at": answer["at"], "values": answer["values"],
            "settings": describe(profile)}


def _wait_reply(client, key: str, seconds: float):
    """BLPOP in 1 s slices (a longer block would outlast the client's 5 s socket timeout)."""
    deadline = time.monotonic() + seconds
    while True:
        got = client.blpop([key], timeout=1)
        if got or time.monotonic() >= deadline:
            return got


def request_change(actor: Actor, device_id: int, data: dict, key: str, *,
                   origin: tuple[str, int] | None = None):
    existing = operations.by_key(actor, key)
    if existing is not None:
        return operations.same_or_refuse(existing, device_id, data)
    device = devices.get(actor, device_id)
    require_control(actor, device)
    values = data["values"]
    check_values(device, values)
    remote = operations.check_ready(device, switching=False)
    return operations.create(actor, device, key, action="settings", settings=dict(values),
                             target=dict(values), reason=data["reason"], data=data,
                             origin=origin, deliver=remote)


def check_values(device, values: dict, prefix: str = "values") -> None:
    """Every value one the device's profile can encode (422 ``invalid_setting`` naming
    ``<prefix>.<name>``)."""
    profile = operations.usable_profile(device)
    errors = {}
    for name, value in values.items():
        try:
            profile.encode_setting(name, value)
        except (KeyError, ValueError) as exc:
            errors[f"{prefix}.{name}"] = [str(exc).strip("'\"")]
    if errors:
        raise ValidationFailed("invalid settings: " + "; ".join(
            f"{k}: {v[0]}" for k, v in errors.items()), errors=errors,
            error="invalid_setting")


def answer(request_id: str, values: dict | None, at: str, error: str | None = None) -> None:
    """The runner's side: hand the read values (or why not) to the waiting API call."""
    client = redis.current()
    key = REPLY_KEY.format(request_id=request_id)
    pipe = client.pipeline()
    pipe.rpush(key, json.dumps({"values": values, "at": at, "error": error}))
    pipe.expire(key, REPLY_TTL_SECONDS)
    pipe.execute()
