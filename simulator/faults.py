"""Fault injection: one function shared by the HTTP API and the command line.

``apply(sim, "device" | "gateway", code, ops)`` validates ``ops`` (a JSON object), applies
them in a fixed order and returns the target's new state. Operations (docs in
simulator/README.md):

device:  set {name: value|null}  clear true|[names]  settings {name: value}
         mode auto|manual|maintenance  trip CAUSE  hand open|closed
         silent true|false  latency_ms N  stuck true|false (a breaker accepts writes
         and does not operate)
gateway: silent  latency_ms  bus {baud, turnaround_ms}  set/clear (every device behind it)

``set`` names are canonical metric names of the device's profile or the shorthands
``voltage`` / ``current`` (every phase), ``temperature`` (every terminal or probe) and
``leakage``. An injected value replaces the modelled one until cleared (``null``).
"""
from __future__ import annotations

from backend.field.profile import MODES, TRIP_CAUSES
from simulator.breaker import Breaker

DEVICE_OPS = ("settings", "mode", "set", "clear", "trip", "hand", "silent", "latency_ms",
              "stuck")
GATEWAY_OPS = ("silent", "latency_ms", "bus", "set", "clear")


class FaultError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _bool(ops: dict, key: str) -> bool:
    if not isinstance(ops[key], bool):
        raise FaultError(400, f"{key}: must be true or false")
    return ops[key]


def _number(value, key: str, low: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
        raise FaultError(400, f"{key}: must be a number >= {low:g}")
    return float(value)


def _set(dev, values, dry_run: bool = False) -> None:
    if not isinstance(values, dict):
        raise FaultError(400, "set: must be an object {name: value}")
    known = set(dev.profile.metrics)
    for name, value in values.items():
        targets = dev.expand(name)
        if not any(t in known for t in targets):
            raise FaultError(400, f"set.{name}: {dev.code} ({dev.profile.name}) has no such "
                                  f"value; known: {', '.join(sorted(known))}")
        if name in ("water_leak", "high_water"):
            if not isinstance(value, bool) and value is not None:
                raise FaultError(400, f"set.{name}: must be true, false or null")
        elif value is not None:
            _number(value, f"set.{name}", low=-1e9)
        if not dry_run:
            dev.override(name, value)


def _clear(dev, what) -> None:
    if what is True:
        dev.overrides.clear()
    elif isinstance(what, list):
        for name in what:
            dev.override(str(name), None)
    elif what is not False:
        raise FaultError(400, "clear: true or a list of names")


def apply_device(sim, code: str, ops: dict) -> dict:
    dev = sim.devices.get(code)
    if dev is None:
        raise FaultError(404, f"no device {code!r}")
    _check_keys(ops, DEVICE_OPS)
    brk = dev if isinstance(dev, Breaker) else None
    # validate everything first: a bad request changes nothing
    for key in ("mode", "trip", "hand", "stuck"):
        if key in ops and brk is None and not (key == "mode" and hasattr(dev, "set_mode")):
            raise FaultError(400, f"{key}: only breakers have it ({code} is a {dev.kind})")
    settings = ops.get("settings", {})
    if not isinstance(settings, dict):
        raise FaultError(400, "settings: must be an object {name: value}")
    for name, value in settings.items():
        try:
            dev.profile.encode_setting(name, value)
        except (KeyError, ValueError) as exc:
            raise FaultError(400, f"settings.{name}: {exc}") from exc
    if "mode" in ops and ops["mode"] not in MODES:
        raise FaultError(400, f"mode: one of {', '.join(MODES)}")
    if "trip" in ops and (ops["trip"] not in TRIP_CAUSES or ops["trip"] == "none"):
        raise FaultError(400, f"trip: one of {', '.join(TRIP_CAUSES[1:])}")
    hand = {"open": "open", "close": "closed", "closed": "closed"}.get(ops.get("hand"))
    if "hand" in ops and hand is None:
        raise FaultError(400, "hand: open or closed")
    silent = _bool(ops, "silent") if "silent" in ops else None
    stuck = _bool(ops, "stuck") if "stuck" in ops else None
    latency = _number(ops["latency_ms"], "latency_ms") if "latency_ms" in ops else None
    if "set" in ops:
        _set(dev, ops["set"], dry_run=True)
    if "clear" in ops and not (isinstance(ops["clear"], (bool, list))):
        raise FaultError(400, "clear: true or a list of names")
    # apply, in this order
    for name, value in settings.items():
        dev.apply_setting(name, value)
    if "mode" in ops:
        dev.set_mode(ops["mode"])
    if "clear" in ops:
        _clear(dev, ops["clear"])
    if "set" in ops:
        _set(dev, ops["set"])
    if "set" in ops or "clear" in ops:
        dev.step(sim.context(0.0))           # protection reacts now, not at the next tick
    if "trip" in ops:
        brk.trip(ops["trip"])
    if hand is not None and not brk.hand(hand):
        raise FaultError(409, f"{code} is in maintenance mode: the handle is locked")
    if silent is not None:
        dev.silent = silent
    if stuck is not None:
        brk.stuck = stuck
    if latency is not None:
        dev.latency = latency / 1000.0
    return dev.snapshot()


def apply_gateway(sim, code: str, ops: dict) -> dict:
    gw = sim.gateways.get(code)
    if gw is None:
        raise FaultError(404, f"no gateway {code!r}")
    _check_keys(ops, GATEWAY_OPS)
    silent = _bool(ops, "silent") if "silent" in ops else None
    latency = _number(ops["latency_ms"], "latency_ms") if "latency_ms" in ops else None
    bus = ops.get("bus", {})
    if not isinstance(bus, dict) or set(bus) - {"baud", "turnaround_ms"}:
        raise FaultError(400, "bus: {baud: N (0 = off), turnaround_ms: N}")
    baud = int(_number(bus["baud"], "bus.baud")) if "baud" in bus else None
    turnaround = (_number(bus["turnaround_ms"], "bus.turnaround_ms")
                  if "turnaround_ms" in bus else None)
    if "clear" in ops and not isinstance(ops["clear"], (bool, list)):
        raise FaultError(400, "clear: true or a list of names")
    if "set" in ops and not isinstance(ops["set"], dict):
        raise FaultError(400, "set: must be an object {name: value}")
    if silent is not None:
        gw.silent = silent
    if latency is not None:
        gw.latency = latency / 1000.0
    if baud is not None:
        gw.bus.baud = baud
    if turnaround is not None:
        gw.bus.turnaround_ms = turnaround
    accepted = 0
    for dev in gw.devices.values():
        if "clear" in ops:
            _clear(dev, ops["clear"])
        if "set" in ops:
            try:
                _set(dev, ops["set"], dry_run=True)
            except FaultError:
                continue                      # e.g. voltage on an environment sensor
            _set(dev, ops["set"])
            accepted += 1
        if "set" in ops or "clear" in ops:
            dev.step(sim.context(0.0))
    if "set" in ops and not accepted:
        raise FaultError(400, f"set: no device behind {code} has {', '.join(ops['set'])}")
    return gw.snapshot()


def apply(sim, kind: str, code: str, ops: dict) -> dict:
    if not isinstance(ops, dict):
        raise FaultError(400, "the body must be a JSON object of operations")
    if kind == "device":
        return apply_device(sim, code, ops)
    if kind == "gateway":
        return apply_gateway(sim, code, ops)
    raise FaultError(404, f"unknown target kind {kind!r}")


def _check_keys(ops: dict, allowed) -> None:
    unknown = set(ops) - set(allowed)
    if unknown:
        raise FaultError(400, f"unknown operation(s) {', '.join(sorted(unknown))}; "
                              f"allowed: {', '.join(allowed)}")
