"""The demo's load curves and its own fault schedule (simulator/loads.py,
simulator/demo_faults.py): pure, plus one simulator stepped by hand (< 2 s)."""
from __future__ import annotations

from pathlib import Path

from simulator import demo_faults, loads
from simulator.engine import SimConfig, Simulator
from simulator.fleet import from_facility

FACILITY = Path(__file__).resolve().parents[1] / "examples" / "detention-center" / "facility.yaml"
H = 3600


def test_kitchen_peaks_at_meal_times_and_lighting_at_night():
    kitchen = {h: loads.load_factor("kitchen", h * H) for h in range(24)}
    assert {6, 11, 17} <= {h for h, v in kitchen.items() if v == max(kitchen.values())}
    assert kitchen[3] < 0.1 and kitchen[14] < 0.3
    light = {h: loads.load_factor("lighting", h * H) for h in range(24)}
    assert max(light, key=light.get) in (19, 20) and light[19] > 2 * light[10]


def test_air_conditioning_follows_the_outdoor_temperature():
    july, april, january = 205, 105, 15
    assert loads.outdoor_temperature(july, 15) > 30 > loads.outdoor_temperature(july, 4)
    assert loads.outdoor_temperature(january, 15) < 12
    hot = loads.load_factor("ac", 15 * H, july)
    mild = loads.load_factor("ac", 15 * H, april)
    cold_night = loads.load_factor("ac", 4 * H, january)
    assert hot > 3 * mild and cold_night > mild
    assert loads.ac_demand(40) == 1.0 and loads.ac_demand(18) == 0.15


_TARGETS = []


def _targets():
    if not _TARGETS:
        _TARGETS.append(demo_faults.targets_of(from_facility(FACILITY)))
    return _TARGETS[0]


def test_the_schedule_is_deterministic_and_starts_with_a_warning_soon():
    s = demo_faults.Settings(seed=7, horizon=3 * 86400)
    a = demo_faults.plan(_targets(), s, sod0=10 * H)
    assert a == demo_faults.plan(_targets(), s, sod0=10 * H)
    assert a != demo_faults.plan(_targets(), demo_faults.Settings(seed=8, horizon=3 * 86400), sod0=10 * H)
    first = a[0]
    assert first.start == s.first_delay and first.kind in demo_faults.FIRST_KINDS
    # its value crosses the warning limit before first_delay + ramp (10 min at the defaults)
    peak = next(t for t, _k, _c, ops in first.steps if "set" in ops and max(
        v for v in ops["set"].values()) >= (65 if first.kind == "joint_overheat" else 15))
    assert peak <= s.first_delay + s.ramp <= 600
    assert first.steps[-1][3].get("clear")                       # and it ends
    kinds = {e.kind for e in a}
    assert kinds == set(demo_faults.KINDS)
    for e in a:                                                  # over-voltage only at night
        if e.kind == "night_overvoltage":
            assert demo_faults.is_night(10 * H + e.start)
    starts = [e.start for e in a]
    assert starts == sorted(starts) and all(
        b.start > x.end for x, b in zip(a, a[1:]))               # one at a time


def test_the_runner_applies_the_steps_through_the_fault_api():
    fleet = from_facility(FACILITY)
    sim = Simulator(fleet, SimConfig(seed=3, start_time=10 * H, demo_faults=demo_faults.Settings(
        seed=3, first_delay=5, ramp=12, hold=24)))
    ep = sim.demo_faults.episodes[0]
    dev = sim.devices[ep.target]
    for _ in range(12):                 # 5 s delay + the 12 s ramp, in 2 s steps
        sim.step_now(2.0)
        sim.demo_faults.tick(sim)
    if ep.kind == "joint_overheat":
        assert dev.values["temperature"] >= 65
    else:
        assert dev.values["leakage_current"] >= 15
    for _ in range(20):                 # the hold, then cleared
        sim.step_now(2.0)
        sim.demo_faults.tick(sim)
    assert not dev.overrides
