"""The demo's own faults (``--demo-faults on``): now and then a realistic fault, so that
warnings and alarms happen in ``gridwarden up --demo`` without anyone touching anything.

Pure schedule, then a runner. ``plan(targets, settings, sod0)`` turns a seed into a list of
:class:`Episode`: when each starts (simulated seconds since the start), what it is, on
which device or gateway, and its steps, each ``(t, "device" | "gateway", code, ops)`` with
``ops`` exactly what the fault HTTP API takes (simulator/faults.py), ending with the
clearing step. The same seed, targets and start time of day give the same schedule.

Kinds (what an operator of a detention centre actually sees):

- ``joint_overheat``: one probe of a joint-temperature sensor creeps up over ``ramp``
  seconds to 72 °C (warning at 65 °C), holds, then cools back (a loosening lug);
- ``residual_creep``: a breaker with a 30 mA RCD sees its residual current creep to 60 %
  of IΔn (warning at 50 %, the RCD trips at 100 %), holds, then falls back (damp cable);
- ``night_overvoltage``: at night (22:00-05:00 local) a lightly loaded branch's voltage
  rises to 254 V (warning at 250 V, trip at 275 V): only scheduled at night;
- ``trench_leak``: the cable trench's sump fills past its float switch (high water) and
  the room's water probe sees it, then the pump drains it;
- ``gateway_dropout``: a gateway stops answering for ``hold`` seconds (its devices and the
  gateway go offline, then come back).

The first episode starts ``first_delay`` seconds after start and is one that raises a
warning before ``first_delay + ramp`` (never the night-only or the gateway kind, which need
the right hour or several missed polls); later ones follow every ``gap`` seconds (± 30 %).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

KINDS = ("joint_overheat", "residual_creep", "night_overvoltage", "trench_leak",
         "gateway_dropout")
FIRST_KINDS = ("joint_overheat", "residual_creep")
# how often each kind comes up: creeping values most, a gateway dropping out least
WEIGHTS = {"joint_overheat": 3, "residual_creep": 3, "night_overvoltage": 3,
           "trench_leak": 1, "gateway_dropout": 1}
NIGHT = (22, 5)                 # local hours: from 22:00 to 05:00
RAMP_STEPS = 6


@dataclass(frozen=True)
class Settings:
    seed: int = 1
    first_delay: float = 180.0      # simulated seconds to the first episode's start
    ramp: float = 300.0             # seconds a creeping value takes to its peak
    hold: float = 600.0             # seconds it stays there before clearing
    gap: float = 2400.0             # mean seconds between episode starts
    horizon: float = 7 * 86400.0    # how far ahead the schedule is planned


@dataclass
class Targets:
    """What the fleet offers each kind: device codes (and gateways) of the right sort."""
    joint_sensors: list[str] = field(default_factory=list)      # gw-temp8
    rcd_breakers: list[str] = field(default_factory=list)       # rated_residual_current
    branch_breakers: list[str] = field(default_factory=list)    # final circuits, not protected
    sumps: list[str] = field(default_factory=list)              # gw-level
    water_probes: list[str] = field(default_factory=list)       # gw-env in the same room
    gateways: list[str] = field(default_factory=list)

    def offers(self, kind: str) -> bool:
        return bool({"joint_overheat": self.joint_sensors, "residual_creep": self.rcd_breakers,
                     "night_overvoltage": self.branch_breakers, "trench_leak": self.sumps,
                     "gateway_dropout": self.gateways}[kind])


@dataclass
class Episode:
    start: float
    kind: str
    target: str
    steps: list[tuple[float, str, str, dict]]

    @property
    def end(self) -> float:
        return self.steps[-1][0]


def is_night(seconds_of_day: float) -> bool:
    hour = (seconds_of_day % 86400) / 3600
    return hour >= NIGHT[0] or hour < NIGHT[1]


def _ramp(t0: float, ramp: float, start: float, peak: float):
    """RAMP_STEPS values from ``start`` to ``peak`` over ``ramp`` seconds."""
    for k in range(1, RAMP_STEPS + 1):
        yield t0 + ramp * k / RAMP_STEPS, round(start + (peak - start) * k / RAMP_STEPS, 1)


def episode(kind: str, t0: float, rnd: random.Random, targets: Targets,
            s: Settings) -> Episode:
    end = t0 + s.ramp + s.hold
    if kind == "joint_overheat":
        code = rnd.choice(targets.joint_sensors)
        probe = rnd.choice(("temperature_out_a", "temperature_out_b", "temperature_in_c"))
        steps = [(t, "device", code, {"set": {probe: v}}) for t, v in _ramp(t0, s.ramp, 50, 72)]
        steps.append((end, "device", code, {"clear": [probe]}))
    elif kind == "residual_creep":
        code = rnd.choice(targets.rcd_breakers)
        steps = [(t, "device", code, {"set": {"leakage": v}}) for t, v in _ramp(t0, s.ramp, 9, 18)]
        steps.append((end, "device", code, {"clear": ["leakage"]}))
    elif kind == "night_overvoltage":
        code = rnd.choice(targets.branch_breakers)
        steps = [(t, "device", code, {"set": {"voltage": v}})
                 for t, v in _ramp(t0, s.ramp / 2, 240, 254)]
        steps.append((end, "device", code, {"clear": ["voltage"]}))
    elif kind == "trench_leak":
        code = rnd.choice(targets.sumps)
        steps = [(t, "device", code, {"set": {"water_level": v}})
                 for t, v in _ramp(t0, s.ramp, 12, 38)]
        for probe in targets.water_probes:
            steps.append((t0 + s.ramp, "device", probe, {"set": {"water_leak": True}}))
            steps.append((end, "device", probe, {"clear": ["water_leak"]}))
        steps.append((end, "device", code, {"clear": ["water_level"]}))
    elif kind == "gateway_dropout":
        code = rnd.choice(targets.gateways)
        steps = [(t0, "gateway", code, {"silent": True}),
                 (t0 + max(s.hold / 3, 60.0), "gateway", code, {"silent": False})]
    else:
        raise ValueError(f"unknown demo fault {kind!r}")
    steps.sort(key=lambda st: st[0])
    return Episode(t0, kind, code, steps)


def plan(targets: Targets, s: Settings, sod0: float = 0.0) -> list[Episode]:
    """Every episode from ``s.first_delay`` to ``s.horizon``; ``sod0`` is the local time
    of day (seconds) at t = 0, for the night-only kind."""
    rnd = random.Random(s.seed)
    kinds = [k for k in KINDS if targets.offers(k)]
    first = [k for k in FIRST_KINDS if k in kinds]
    out: list[Episode] = []
    t = s.first_delay
    while t < s.horizon and kinds:
        night = is_night(sod0 + t)
        pool = first if not out and first else [
            k for k in kinds if k != "night_overvoltage" or night]
        kind = rnd.choices(pool, weights=[WEIGHTS[k] for k in pool])[0]
        ep = episode(kind, t, rnd, targets, s)
        out.append(ep)
        t = max(ep.end + 60.0, t + s.gap * rnd.uniform(0.7, 1.3))
    return out


def targets_of(fleet) -> Targets:
    """The fleet's candidates for each kind (simulator/fleet.py's FleetSpec)."""
    tg = Targets()
    feeders = {c.parent for c in fleet.circuits if c.parent}
    categories = {c.code: c.category for c in fleet.circuits}
    for d in fleet.devices:
        if d.profile == "gw-temp8":
            tg.joint_sensors.append(d.code)
        elif d.profile == "gw-level":
            tg.sumps.append(d.code)
        elif d.kind == "breaker" and d.rated_residual_current:
            tg.rcd_breakers.append(d.code)
        elif (d.kind == "breaker" and d.circuit not in feeders
              and categories.get(d.circuit) in ("lighting", "socket")):
            tg.branch_breakers.append(d.code)
    sump_gateways = {d.gateway for d in fleet.devices if d.code in tg.sumps}
    tg.water_probes = [d.code for d in fleet.devices
                       if d.profile == "gw-env" and d.gateway in sump_gateways]
    tg.gateways = [g.code for g in fleet.gateways][1:] or [g.code for g in fleet.gateways]
    return tg


class Runner:
    """Applies a plan's steps as the simulated clock passes them (``tick`` each step)."""

    def __init__(self, episodes: list[Episode], log=None):
        self.steps = sorted(((st, ep) for ep in episodes for st in ep.steps),
                            key=lambda x: x[0][0])
        self.episodes = episodes
        self.started: set[int] = set()
        self.next = 0
        self.log = log

    def due(self, t: float):
        """The steps at or before ``t`` not yet applied, with their episode."""
        while self.next < len(self.steps) and self.steps[self.next][0][0] <= t:
            yield self.steps[self.next]
            self.next += 1

    def tick(self, sim) -> None:
        from simulator.faults import FaultError, apply

        for (when, kind, code, ops), ep in self.due(sim.t):
            if id(ep) not in self.started:
                self.started.add(id(ep))
                if self.log:
                    self.log(f"demo fault: {ep.kind} on {ep.target} (--demo-faults off "
                             "disables them)")
            try:
                apply(sim, kind, code, ops)
            except FaultError as exc:
                if self.log:
                    self.log(f"demo fault: {ep.kind} on {code}: {exc.message}")
