"""Actions: what a scene, a schedule or a linkage rule does, kept as data (a list of
dicts with a ``kind``), checked when it is saved and run as commands through the control
lifecycle.

Kinds are registered by the module that owns them (``register``): ``command`` (switch a
device: open/close/reset/on/off/dim) and ``settings`` (write a device's settings) here;
scenes and linkage rules add theirs. A kind gives:

- ``fields``: the marshmallow fields of its actions (beside ``kind``), for the API's
  schemas and to load a stored action;
- ``check(site_id, action, path) -> notes``: refuses what can never run (422 naming
  ``<path>.<field>``: another site's device, an action the device does not have) and
  returns notes on what will run differently (a protected circuit: the command waits for
  approval);
- ``run(run, action, index) -> result``: does it; refusals are results, not exceptions;
- ``devices(action) -> ids``: the devices it may switch (a rule loop is found from these).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import marshmallow as ma
from marshmallow import validate

from backend.accounts.security import Actor
from backend.control import operations, settings
from backend.control.texts import reason
from backend.errors import DomainError, ValidationFailed, invalid_field
from backend.extensions import db
from backend.models import Circuit, Device
from backend.models.control import SWITCHING
from backend.schemas import POSITIVE_ID, Integer

MAX_ACTIONS = 50


@dataclass(frozen=True)
class Run:
    """One run of a list of actions: who (a person running a scene, or the system for a
    schedule or a rule), where, why, and the key that makes it happen once."""
    actor: Actor
    site_id: int
    key: str                        # each action's command key is f"{key}:{index}"
    reason: str
    origin: tuple[str, int]         # (scene | schedule | rule, id), kept by the commands
    depth: int = 0                  # scenes run from scenes


@dataclass(frozen=True)
class Kind:
    name: str
    fields: dict[str, ma.fields.Field]
    check: Callable[[int, dict, str], list[dict]]
    run: Callable[[Run, dict, int], dict]
    devices: Callable[[dict], set[int]] = field(default=lambda action: set())


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


def note(path: str, code: str, **values) -> dict:
    en, zh = reason(code, **values)
    return {"path": path, "code": code, "message": en, "message_zh": zh}


# --- checking ----------------------------------------------------------------------------

def check(site_id: int, actions: list[dict], path: str = "actions") -> list[dict]:
    """Every action of the list, in order: 422 naming the first field that can never work;
    the notes of all of them."""
    if len(actions) > MAX_ACTIONS:
        invalid_field(path, f"at most {MAX_ACTIONS} actions", "too_many_actions")
    notes: list[dict] = []
    for i, action in enumerate(actions):
        here = f"{path}.{i}"
        kind = KINDS.get(action.get("kind"))
        if kind is None:
            invalid_field(f"{here}.kind", f"one of {', '.join(sorted(KINDS))}",
                          "unknown_action_kind")
        notes += kind.check(site_id, action, here)
    return notes


def devices_of(actions: list[dict]) -> set[int]:
    """The devices a list of actions may switch."""
    out: set[int] = set()
    for action in actions:
        kind = KINDS.get(action.get("kind"))
        if kind is not None:
            out |= kind.devices(action)
    return out


def site_device(site_id: int, device_id, path: str) -> Device:
    """A device of this site (422 naming ``<path>.device_id`` otherwise: a device of
    another site is refused exactly like one that does not exist)."""
    device = db.session.get(Device, device_id) if isinstance(device_id, int) else None
    if device is None or device.site_id != site_id:
        invalid_field(f"{path}.device_id", f"no device {device_id} in this site",
                      "action_device_not_found")
    return device


def _approval_notes(device: Device, path: str) -> list[dict]:
    circuit = db.session.get(Circuit, device.circuit_id) if device.circuit_id else None
    if circuit is not None and circuit.protected:
        return [note(path, "action_needs_approval", device=device.code)]
    return []


def _field_error(exc: DomainError, path: str) -> None:
    """The control checks name ``action`` / ``value`` / ``values.x``: re-raise naming the
    same field under the action's path."""
    errors = {f"{path}.{k}": v for k, v in (exc.errors or {"device_id": [exc.message]}).items()}
    raise ValidationFailed(f"{path}: {exc.message}", errors=errors, error=exc.error,
                           message_zh=exc.message_zh)


# --- running -----------------------------------------------------------------------------

def run_all(run: Run, actions: list[dict]) -> list[dict]:
    """Run every action, each in its own savepoint: one refused action (a device offline,
    switched too recently, no longer existing) never stops the others. A result per action:
    ``{index, kind, state, command_id?, error?, message?, message_zh?}``."""
    results = []
    for i, action in enumerate(actions):
        kind = KINDS.get(action.get("kind"))
        if kind is None:
            results.append(_refused(i, action.get("kind"), "unknown_action_kind"))
            continue
        try:
            with db.session.begin_nested():
                results.append({"index": i, "kind": kind.name, **kind.run(run, action, i)})
        except DomainError as exc:
            results.append({"index": i, "kind": kind.name, "state": "refused",
                            "error": exc.error, "message": exc.message,
                            "message_zh": exc.message_zh})
    return results


def _refused(index: int, kind, code: str) -> dict:
    en, zh = reason(code)
    return {"index": index, "kind": kind, "state": "refused", "error": code, "message": en,
            "message_zh": zh}


def command_result(cmd) -> dict:
    return {"state": cmd.state, "command_id": cmd.id, "device_id": cmd.device_id,
            "error": cmd.error, "message": cmd.message, "message_zh": cmd.message_zh}


# --- the device kinds ----------------------------------------------------------------------

def _check_command(site_id: int, action: dict, path: str) -> list[dict]:
    device = site_device(site_id, action.get("device_id"), path)
    try:
        operations.target_for(device, action["action"], action.get("value"))
    except DomainError as exc:
        _field_error(exc, path)
    return _approval_notes(device, path)


def _run_command(run: Run, action: dict, index: int) -> dict:
    data = {"action": action["action"], "value": action.get("value"), "reason": run.reason}
    cmd = operations.request(run.actor, action["device_id"], data, f"{run.key}:{index}",
                             origin=run.origin)
    return command_result(cmd)


def _check_settings(site_id: int, action: dict, path: str) -> list[dict]:
    device = site_device(site_id, action.get("device_id"), path)
    try:
        settings.check_values(device, action.get("values") or {})
    except DomainError as exc:
        _field_error(exc, path)
    return _approval_notes(device, path)


def _run_settings(run: Run, action: dict, index: int) -> dict:
    data = {"values": action["values"], "reason": run.reason}
    cmd = settings.request_change(run.actor, action["device_id"], data, f"{run.key}:{index}",
                                  origin=run.origin)
    return command_result(cmd)


def _device(action: dict) -> set[int]:
    return {action["device_id"]} if isinstance(action.get("device_id"), int) else set()


register(Kind("command", {
    "device_id": Integer(required=True, validate=POSITIVE_ID),
    "action": ma.fields.String(required=True, validate=validate.OneOf(SWITCHING)),
    "value": ma.fields.Float(allow_none=True, validate=validate.Range(0, 100),
                             metadata={"description": "dim: the level 0..100"}),
}, _check_command, _run_command, _device))

register(Kind("settings", {
    "device_id": Integer(required=True, validate=POSITIVE_ID),
    "values": ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(), required=True,
                             validate=validate.Length(min=1)),
}, _check_settings, _run_settings, lambda action: set()))


# --- the API's field -----------------------------------------------------------------------

class ActionField(ma.fields.Field):
    """One action in a request body: ``kind`` picks the fields it is loaded with (unknown
    fields refused), so a bad action is a 422 naming ``actions.<i>.<field>``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault("description", "an action: {kind, ...}; kind is one of "
                                      "the registered kinds (docs/automation.md)")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ma.ValidationError("an object with a kind")
        kind = KINDS.get(value.get("kind"))
        if kind is None:
            raise ma.ValidationError({"kind": [f"one of {', '.join(sorted(KINDS))}"]})
        schema = ma.Schema.from_dict({"kind": ma.fields.String(), **kind.fields})()
        return schema.load(value)

    def _serialize(self, value, attr, obj, **kwargs):
        return value
