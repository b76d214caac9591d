"""What to simulate: gateways, circuits and devices, from a facility file or from counts.

The facility file is the project's import format (docs/facility-format.md); only the parts
the simulator needs are read: gateways (host, port, transport), the supply tree (circuits'
``parent``, boards' ``feeder``, circuit ``category``) and devices on a gateway with a unit id
and a profile. Devices without a gateway (cameras, KNX groups), disabled devices and
devices whose profile is unknown are left out (listed in ``FleetSpec.skipped``).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from backend.field.profile import profile_names

POLES = ("1P", "1P+N", "3P", "3P+N")
CATEGORIES = ("lighting", "power", "socket", "ac", "pump", "fan", "heating",
              "security_critical", "kitchen", "elevator", "fire", "it", "other", "incomer")


class FleetError(ValueError):
    pass


@dataclass
class GatewaySpec:
    code: str
    host: str = "127.0.0.1"
    port: int = 0
    transport: str = "tcp"          # tcp | rtu_over_tcp


@dataclass
class CircuitSpec:
    code: str
    category: str = "power"
    parent: str | None = None       # upstream circuit code
    # a dual-power transfer switch's normal side: the standby circuit of the same board
    # (its breaker normally open) that feeds this one's load side when this one is dead
    standby: str | None = None


@dataclass
class DeviceSpec:
    code: str
    kind: str
    gateway: str
    unit_id: int
    profile: str
    circuit: str | None = None
    poles: str | None = None
    rated_current: float | None = None
    trip_curve: str | None = None
    rated_residual_current: float | None = None
    rated_power: float | None = None
    role: str | None = None         # attributes.role: what a load is for (pump, siren, ...)
    # attributes.transformer_ratio: a high-side meter (10 kV through PTs and CTs) reports
    # primary values: voltages times the ratio, currents divided by it
    transformer_ratio: float | None = None
    normally_open: bool = False     # attributes.normally_open: a breaker that starts open


@dataclass
class FleetSpec:
    gateways: list[GatewaySpec] = field(default_factory=list)
    circuits: list[CircuitSpec] = field(default_factory=list)
    devices: list[DeviceSpec] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    timezone: str | None = None     # the site's (IANA): the load curves' local time


def _records(doc: dict, key: str, path: Path) -> list[dict]:
    items = doc.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) and "code" in i for i in items):
        raise FleetError(f"{path}: {key}: must be a list of records with a code")
    return items


def from_facility(path: Path | str, profile_dirs=()) -> FleetSpec:
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, yaml.YAMLError) as exc:
        raise FleetError(f"{path}: {exc}") from exc
    if not isinstance(doc, dict):
        raise FleetError(f"{path}: not a facility file (a mapping with site, gateways, ...)")
    spec = FleetSpec()
    site = doc.get("site") if isinstance(doc.get("site"), dict) else {}
    spec.timezone = site.get("timezone") or "Asia/Shanghai"
    known_profiles = set(profile_names(profile_dirs))
    for g in _records(doc, "gateways", path):
        if g.get("enabled", True) is False:
            continue
        spec.gateways.append(GatewaySpec(str(g["code"]), str(g.get("host", "127.0.0.1")),
                                         int(g.get("port", 502)), g.get("transport", "tcp")))
    feeders = {b["code"]: b.get("feeder") for b in _records(doc, "boards", path)}
    for c in _records(doc, "circuits", path):
        parent = c.get("parent") or feeders.get(c.get("board"))
        spec.circuits.append(CircuitSpec(str(c["code"]), c.get("category", "power"), parent))
    gateways = {g.code for g in spec.gateways}
    circuits = {c.code for c in spec.circuits}
    seen: set[tuple[str, int]] = set()
    for i, d in enumerate(_records(doc, "devices", path)):
        code = str(d["code"])
        if d.get("gateway") is None or d.get("unit_id") is None:
            continue                                   # not on Modbus
        where = f"{path}: devices[{i}] ({code})"
        if d.get("enabled", True) is False or d["gateway"] not in gateways:
            spec.skipped.append(f"{code}: disabled or its gateway is disabled")
            continue
        if d.get("profile") not in known_profiles:
            spec.skipped.append(f"{code}: no profile {d.get('profile')!r}")
            continue
        unit = d["unit_id"]
        if not isinstance(unit, int) or not 1 <= unit <= 247 or (d["gateway"], unit) in seen:
            raise FleetError(f"{where}: unit_id {unit!r} is not 1..247 or is used twice")
        seen.add((d["gateway"], unit))
        if d.get("circuit") is not None and d["circuit"] not in circuits:
            raise FleetError(f"{where}: circuit {d['circuit']!r} is not in the file")
        spec.devices.append(DeviceSpec(
            code, str(d.get("kind", "")), d["gateway"], unit, d["profile"], d.get("circuit"),
            d.get("poles"), d.get("rated_current"), d.get("trip_curve"),
            d.get("rated_residual_current"), d.get("rated_power"),
            (d.get("attributes") or {}).get("role"),
            (d.get("attributes") or {}).get("transformer_ratio"),
            bool((d.get("attributes") or {}).get("normally_open"))))
    _pair_transfer_switches(spec, {c["code"]: c.get("board")
                                   for c in _records(doc, "circuits", path)}, feeders)
    return spec


def _pair_transfer_switches(spec: FleetSpec, board_of: dict, feeders: dict) -> None:
    """A board with a normally-open breaker's circuit (the standby supply, 备用电源) and
    one other circuit that feeds something (the normal supply, 常用电源): the pair of a
    dual-power transfer switch (ATS). What the normal side feeds is fed by the standby
    while the normal side is dead and the standby live (the simulator's ``transfer``)."""
    standby = {d.circuit for d in spec.devices
               if d.kind == "breaker" and d.normally_open and d.circuit}
    feeding = {f for f in feeders.values() if f} | {c.parent for c in spec.circuits if c.parent}
    by_code = {c.code: c for c in spec.circuits}
    for s_code in sorted(standby):
        board = board_of.get(s_code)
        normal = [c for c in spec.circuits if c.code != s_code and c.code not in standby
                  and board is not None and board_of.get(c.code) == board
                  and c.code in feeding]
        if len(normal) == 1 and s_code in by_code:
            normal[0].standby = s_code


RATINGS = (10, 16, 20, 25, 32, 40, 50, 63, 80, 100, 125)
# (category, weight) of outgoing circuits in a generated fleet
MIX = (("lighting", 30), ("socket", 15), ("ac", 15), ("power", 10), ("fan", 8), ("pump", 5),
       ("kitchen", 5), ("security_critical", 5), ("it", 4), ("heating", 3))


def from_counts(gateways: int, per_gateway: int, *, host: str = "127.0.0.1",
                base_port: int = 15020, seed: int = 1) -> FleetSpec:
    """``gateways`` gateways GW001.. on consecutive ports (0: any free port), each with
    ``per_gateway`` gw-breakers (unit ids 1..N), a mix of poles, ratings and categories."""
    if not 1 <= per_gateway <= 247:
        raise FleetError("breakers per gateway must be 1..247 (Modbus unit ids)")
    rnd = random.Random(seed)
    spec = FleetSpec()
    cats = [c for c, _ in MIX]
    weights = [w for _, w in MIX]
    for g in range(1, gateways + 1):
        gcode = f"GW{g:03d}"
        spec.gateways.append(GatewaySpec(gcode, host, base_port + g - 1 if base_port else 0))
        for u in range(1, per_gateway + 1):
            code = f"{gcode}-QF{u:03d}"
            poles = rnd.choices(POLES, weights=(15, 40, 15, 30))[0]
            rated = float(rnd.choice(RATINGS[:8] if poles in ("1P", "1P+N") else RATINGS[3:]))
            cat = rnd.choices(cats, weights=weights)[0]
            spec.circuits.append(CircuitSpec(f"C-{code}", cat))
            three = poles.startswith("3")
            spec.devices.append(DeviceSpec(
                code, "breaker", gcode, u, "gw-breaker", f"C-{code}", poles, rated,
                rnd.choice("BCCD") if not three else "C",
                30.0 if poles == "1P+N" else None,
                round(rated * 0.23 * (3 if three else 1), 1)))
    return spec
