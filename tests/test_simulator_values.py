"""The simulator's fleet and the values it serves, read with real Modbus clients (pymodbus
and Debian's mbpoll) and decoded through the profiles."""
from __future__ import annotations

import re
import shutil
import subprocess
import time

import pytest

from backend.field.profile import load_profile
from simulator.engine import SimConfig, Simulator, SimulatorThread
from simulator.fleet import from_counts, from_facility
from tests.sim_world import FACILITY, api, client, read, st, where  # noqa: F401  (st: fixture)


def test_facility_fleet():
    fleet = from_facility(FACILITY)
    assert {g.code for g in fleet.gateways} == {"GW-LV", "GW-JQ1"}
    assert len(fleet.devices) == 20                   # cameras and KNX groups are not Modbus
    kinds = {d.code: d.kind for d in fleet.devices}
    assert kinds["PM-AA1-IN"] == "meter" and kinds["TS-AA1"] == "temp_sensor"


def test_served_values_decode_to_plausible_values(st):
    for code, dev in st.sim.devices.items():
        port, unit, profile = where(st, code)
        c = client(port)
        try:
            v = read(c, profile, unit, poles=getattr(dev, "poles", None))
            if profile.settings:
                v.update(read(c, profile, unit, "settings"))
        finally:
            c.close()
        assert None not in v.values(), (code, v)
        if dev.kind in ("breaker", "meter"):
            assert 215 < v["voltage_a"] < 245 and 49.8 < v["frequency"] < 50.2, (code, v)
            assert 0 < v["current_a"] and 0.5 < v["power_factor"] <= 1, (code, v)
            assert v["energy_import"] > 0 and v["apparent_power"] >= v["active_power"] > 0
        if dev.kind == "breaker":
            assert v["switch_state"] == "closed" and v["mode"] == "auto", (code, v)
            assert v["trip_cause"] == "none" and v["fault_indicators"] == []
            assert 15 < v["temperature"] < 65 and 0 <= v["leakage_current"] < 20
            assert v["current_a"] < v["rated_current"] and v["pole_config"] == dev.poles
            assert v["over_voltage_trip"] == 275 and v["under_voltage_trip"] == 160
            if dev.poles in ("3P", "3P+N"):
                assert 215 < v["voltage_c"] < 245
        if dev.kind == "env_sensor" and profile.name == "gw-env":
            assert 10 < v["temperature"] < 40 and 20 < v["humidity"] < 90
            assert v["water_leak"] is False
        if profile.name == "gw-level":                   # a sump well below its float switch
            assert set(v) == {"water_level", "high_water"}, v
            assert 0 < v["water_level"] < 30 and v["high_water"] is False, v
        if dev.kind == "temp_sensor":
            assert 15 < v["temperature"] < 90
            assert v["temperature"] == max(v[f"temperature_{e}_{p}"] for e in ("in", "out")
                                           for p in "abcn")


def test_a_rising_sump_trips_its_float_switch(st):
    port, unit, profile = where(st, "LV-PDF-PIT")

    def served():
        c = client(port)
        try:
            return read(c, profile, unit)
        finally:
            c.close()

    def until(check):
        for _ in range(50):                             # a few simulator steps
            v = served()
            if check(v):
                return v
            time.sleep(0.1)
        raise AssertionError(v)

    assert api(st, "POST", "/api/devices/LV-PDF-PIT", {"set": {"water_level": 45}})[0] == 200
    v = until(lambda v: v["high_water"])              # the switch follows the level
    assert v["water_level"] == 45.0
    assert api(st, "POST", "/api/devices/LV-PDF-PIT", {"set": {"water_level": None}})[0] == 200
    assert not until(lambda v: not v["high_water"])["high_water"]
    # the switch alone (a stuck float), and nonsense refused
    assert api(st, "POST", "/api/devices/LV-PDF-PIT", {"set": {"high_water": True}})[0] == 200
    assert until(lambda v: v["high_water"])["water_level"] < 30
    status, body = api(st, "POST", "/api/devices/LV-PDF-PIT", {"set": {"high_water": 3}})
    assert status == 400 and "high_water" in str(body), body
    assert api(st, "POST", "/api/devices/LV-PDF-PIT", {"clear": True})[0] == 200


def test_unused_phases_read_zero(st):
    port, unit, profile = where(st, "QF-AL1-WL1")                    # a 1P breaker
    c = client(port)
    try:
        v = read(c, profile, unit)
    finally:
        c.close()
    assert v["voltage_b"] == 0 and v["current_c"] == 0 and v["current_n"] == 0
    assert v["voltage_a"] > 200


def test_incomer_meter_reads_the_sum_of_its_feeders(st):
    def snap(sim):
        feeders = [d for d in sim.devices.values() if d.kind == "breaker"
                   and d.node.parent is sim.devices["PM-AA1-IN"].node]
        return (sim.devices["PM-AA1-IN"].values["active_power"],
                sum(d.values["active_power"] for d in feeders), len(feeders))
    meter, feeders, n = st.call(snap)
    assert n == 6 and feeders > 0
    assert feeders <= meter < feeders * 1.5


def test_energy_is_power_integrated_over_time():
    sim = Simulator(from_counts(1, 3, base_port=0), SimConfig(seed=3, start_time=8 * 3600))
    profile = load_profile("gw-breaker")
    (req,) = profile.read_plan(["active_power", "energy_import"], max_gap=20)
    dev = sim.devices["GW001-QF001"]

    def served():
        return req.decode(dev.read(req.table, req.address, req.count))
    first = served()
    integral, last = 0.0, first["energy_import"]
    for _ in range(120):                              # two hours in 60 s steps
        sim.step_now(60.0)
        v = served()
        assert v["energy_import"] >= last             # only grows
        integral += v["active_power"] * 60 / 3600
        last = v["energy_import"]
    assert last - first["energy_import"] == pytest.approx(integral, rel=0.01, abs=0.05)
    assert integral > 0


def test_energy_grows_on_the_wire():
    fleet = from_counts(1, 2, base_port=0)
    with SimulatorThread(fleet, SimConfig(tick=0.05, speed=3600)) as thread:
        port = thread.sim.gateways["GW001"].port
        c = client(port)
        profile = load_profile("gw-breaker")
        try:
            seen = []
            for _ in range(6):
                seen.append(read(c, profile, 1, ["energy_import"])["energy_import"])
                time.sleep(0.15)
        finally:
            c.close()
    assert seen == sorted(seen) and seen[-1] > seen[0]


def _mbpoll(port, unit, ref, count, kind, *extra) -> dict[int, float]:
    out = subprocess.run(["mbpoll", "-m", "tcp", "-p", str(port), "-a", str(unit), "-r",
                          str(ref), "-c", str(count), "-t", kind, *extra, "-1", "127.0.0.1"],
                         capture_output=True, text=True, timeout=20, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    found = re.finditer(r"^\[(\d+)\]:\s+(\S+)", out.stdout, re.MULTILINE)
    return {int(m[1]): float(m[2]) for m in found}


@pytest.mark.skipif(shutil.which("mbpoll") is None, reason="Debian's mbpoll is not installed")
def test_mbpoll_reads_the_documented_register_map(st):
    port, unit, _ = where(st, "QF-JQ1-WL1")            # gw-breaker, 3P+N
    fast = _mbpoll(port, unit, 1, 10, "3")             # input registers 0..9 (1-based refs)
    assert fast[1] == 1 and fast[2] == 0 and fast[3] == 0 and fast[4] == 0
    assert 150 < fast[6] < 650                         # temperature, 0.1 °C
    volts = _mbpoll(port, unit, 33, 3, "3")            # voltage_a..c at addresses 32..34
    assert all(2150 < volts[r] < 2450 for r in (33, 34, 35))
    assert _mbpoll(port, unit, 257, 1, "4") == {257: 2750.0}   # over_voltage_trip 275.0 V
    assert _mbpoll(port, unit, 1, 1, "0") == {1: 1.0}          # coil 0: closed
    port, unit, _ = where(st, "PM-AA1-IN")             # Eastron SDM630: floats, high word first
    volts = _mbpoll(port, unit, 1, 3, "3:float", "-B")
    assert sorted(volts) == [1, 3, 5] and all(215 < v < 245 for v in volts.values())
    assert 49.8 < _mbpoll(port, unit, 71, 1, "3:float", "-B")[71] < 50.2   # 30071 frequency
    port, unit, _ = where(st, "ENV-PDF-LV")
    assert _mbpoll(port, unit, 1, 1, "1") == {1: 0.0}          # discrete 0: no water

