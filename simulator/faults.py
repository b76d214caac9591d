"""Fault injection: one function shared by the HTTP API and the command line.

``apply(sim, "device" | "gateway", code, ops)`` validates ``ops`` (a JSON object), applies
them in a fixed order and returns the target's new state. Operations (docs in
simulator/README.md):

device:  set {name: value|null}  clear true|[names]  settings {name: value}
         mode auto|manual|maintenance  trip CAUSE  hand open|closed
         silent true|false  latency_ms N  stuck true|false (a breaker accepts writes
         and does not operate)
         disturb {voltage, unbalance, frequency, harmonics, seconds} | null
                 (power quality: scales the line-side voltages of the device's circuit,
                 so it and everything below see it; docs in simulator/README.md)
         transfer {to: BREAKER, gap_ms: N} (a dual-power transfer switch, 双电源切换:
                 this breaker, the normal supply's, opens now; the standby ``to``
                 closes gap_ms later, break before make)
gateway: silent  latency_ms  bus {baud, turnaround_ms}  set/clear (every device behind it)

``set`` names are canonical metric names of the device's profile or the shorthands
``voltage`` / ``current`` (every phase), ``temperature`` (every terminal or probe) and
``leakage``. An injected value replaces the modelled one until cleared (``null``).
"""
from __future__ import annotations

import time

from backend.field.profile import MODES, TRIP_CAUSES
from simulator.breaker import Breaker

DEVICE_OPS = ("settings", "mode", "set", "clear", "trip", "hand", "silent", "latency_ms",
              "stuck", "disturb", "transfer")
MAX_TRANSFER_GAP_MS = 600_000
DISTURB_KEYS = ("voltage", "unbalance", "frequency", "harmonics", "seconds")
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


def _disturbance(sim, dev, spec) -> tuple | None:
    """Validate ``disturb``: None/False clears; else (phase factors or None, frequency or
    None, seconds or None). ``voltage``: a factor of the nominal line-side voltage for
    every phase (0.7 a sag to 70 %, 1.15 a swell, 0 an interruption) or a list of three;
    ``unbalance``: a negative-sequence ratio in % (factors 1 + 2k, 1 - k, 1 - k, which
    give exactly k by the magnitude formula); ``frequency``: the site supply's frequency
    in Hz (one supply: it applies to every device); ``seconds``: simulated seconds it
    lasts (default: until cleared)."""
    if spec is None or spec is False:
        return None
    if not isinstance(spec, dict) or not spec:
        raise FaultError(400, "disturb: an object {voltage, unbalance, frequency, "
                              "seconds} or null to clear")
    unknown = set(spec) - set(DISTURB_KEYS)
    if unknown:
        raise FaultError(400, f"disturb.{sorted(unknown)[0]}: unknown; allowed: "
                              f"{', '.join(DISTURB_KEYS)}")
    thd = None
    if "harmonics" in spec:
        reported = [m for m in dev.profile.metrics if m.startswith("thd_")]
        if not reported:
            raise FaultError(400, f"disturb.harmonics: {dev.code} ({dev.profile.name}) "
                                  "reports no harmonics (of the built-in profiles only "
                                  "eastron-sdm630 does)")
        thd = _number(spec["harmonics"], "disturb.harmonics")
        if thd > 100 or getattr(dev, "node", None) is None:
            raise FaultError(400, "disturb.harmonics: a voltage THD in %, 0..100, on a "
                                  "circuit's meter")
    if "voltage" in spec or "unbalance" in spec:
        if not any(m.startswith("voltage_") for m in dev.profile.metrics):
            raise FaultError(400, f"disturb: {dev.code} ({dev.profile.name}) measures no "
                                  "voltage")
        if getattr(dev, "node", None) is None:
            raise FaultError(400, f"disturb: {dev.code} is on no circuit")
    factors = None
    if "voltage" in spec:
        v = spec["voltage"]
        if isinstance(v, list):
            if len(v) != 3:
                raise FaultError(400, "disturb.voltage: a factor or a list of three")
            factors = [_number(x, "disturb.voltage") for x in v]
        else:
            factors = [_number(v, "disturb.voltage")] * 3
        if any(f > 2 for f in factors):
            raise FaultError(400, "disturb.voltage: a factor of the nominal, 0..2")
    if "unbalance" in spec:
        k = _number(spec["unbalance"], "disturb.unbalance") / 100.0
        if k > 0.3:
            raise FaultError(400, "disturb.unbalance: at most 30 (%)")
        base = factors or [1.0, 1.0, 1.0]
        factors = [base[0] * (1 + 2 * k), base[1] * (1 - k), base[2] * (1 - k)]
    freq = None
    if "frequency" in spec:
        freq = _number(spec["frequency"], "disturb.frequency")
        if not 45 <= freq <= 55:
            raise FaultError(400, "disturb.frequency: 45..55 Hz")
    seconds = _number(spec["seconds"], "disturb.seconds") if "seconds" in spec else None
    return factors, freq, seconds, thd


def _apply_disturbance(sim, dev, parsed) -> None:
    node, supply = getattr(dev, "node", None), sim.grid.supply
    if parsed is None:
        if node is not None:
            node.disturb = node.thd = node.disturb_until = None
        supply.f_offset, supply.f_until = 0.0, None
    else:
        factors, freq, seconds, thd = parsed
        until = sim.t + seconds if seconds is not None else None
        if factors is not None:
            node.disturb, node.disturb_until = tuple(factors), until
        if thd is not None:
            node.thd, node.disturb_until = thd, until
        if freq is not None:
            supply.f_offset, supply.f_until = freq - 50.0, until
    supply.f = 50.0 + supply.drift + supply.f_offset
    sim.grid.propagate(sim.t)                  # felt now, not at the next tick


def disturbance_of(sim, dev) -> dict | None:
    node = getattr(dev, "node", None)
    out = {}
    if node is not None and node.disturb is not None:
        out["voltage"] = [round(f, 4) for f in node.disturb]
    if node is not None and node.thd is not None:
        out["harmonics"] = node.thd
    if node is not None and node.disturb_until is not None and out:
        out["until_s"] = round(node.disturb_until, 3)
    if sim.grid.supply.f_offset:
        out["frequency"] = round(50.0 + sim.grid.supply.f_offset, 4)
    return out or None


def _transfer(sim, brk, spec) -> tuple:
    """Validate ``transfer``: (the standby breaker, the gap in s). Both must be breakers
    that can operate (not in maintenance), this one closed and the standby open."""
    if not isinstance(spec, dict) or set(spec) - {"to", "gap_ms"} or "to" not in spec:
        raise FaultError(400, "transfer: an object {to: the standby breaker, gap_ms: N}")
    if brk is None:
        raise FaultError(400, "transfer: only breakers have it")
    standby = sim.devices.get(spec["to"]) if isinstance(spec["to"], str) else None
    if not isinstance(standby, Breaker):
        raise FaultError(400, f"transfer.to: {spec['to']!r} is no breaker of the simulator")
    if standby is brk:
        raise FaultError(400, "transfer.to: the standby must be another breaker")
    gap = _number(spec.get("gap_ms", 0), "transfer.gap_ms")
    if gap > MAX_TRANSFER_GAP_MS:
        raise FaultError(400, f"transfer.gap_ms: at most {MAX_TRANSFER_GAP_MS}")
    for dev in (brk, standby):
        if dev.mode == "maintenance":
            raise FaultError(409, f"transfer: {dev.code} is in maintenance mode (locked)")
    if not brk.closed:
        raise FaultError(409, f"transfer: {brk.code} is already open")
    if standby.closed:
        raise FaultError(409, f"transfer: {standby.code} is already closed")
    return standby, gap / 1000.0


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
    disturb = _disturbance(sim, dev, ops["disturb"]) if "disturb" in ops else None
    transfer = _transfer(sim, brk, ops["transfer"]) if "transfer" in ops else None
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
    if "disturb" in ops:
        _apply_disturbance(sim, dev, disturb)
    if "set" in ops or "clear" in ops or "disturb" in ops:
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
    if transfer is not None:
        standby, gap = transfer
        # the switch's own operation (not a remote command: no operating time, no mode
        # check beyond maintenance); the standby closes on the clock the poller reads.
        # A stuck standby never closes: the transfer fails, the loads stay dark.
        brk.command("open", source="ats")
        if not standby.stuck:
            standby.pending = ("close", time.monotonic() + gap)
            standby.settle()
    out = {**dev.snapshot(), "disturbance": disturbance_of(sim, dev)}
    if transfer is not None:
        out["transfer"] = {"to": transfer[0].code, "gap_ms": transfer[1] * 1000,
                           "standby_closed": transfer[0].closed}
    return out


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
