"""The breaker-fleet simulator, read with real Modbus clients (pymodbus and Debian's mbpoll)
and decoded through the profiles. Timings are only ever asserted as lower bounds."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusIOException

from backend.field.profile import load_profile
from simulator.bus import exchange_time
from simulator.cli import register, simulate
from simulator.engine import SimConfig, Simulator, SimulatorThread
from simulator.fleet import from_counts, from_facility

ROOT = Path(__file__).resolve().parent.parent
FACILITY = ROOT / "examples" / "facility.yaml"
READ = {"holding": "read_holding_registers", "input": "read_input_registers",
        "coil": "read_coils", "discrete": "read_discrete_inputs"}


@pytest.fixture(scope="module")
def st():
    fleet = from_facility(FACILITY)
    for g in fleet.gateways:
        g.port = 0                                   # any free port
    config = SimConfig(tick=0.1, seed=7, start_time=19 * 3600, reclose_delay=0.5, http_port=0)
    with SimulatorThread(fleet, config) as thread:
        yield thread


def where(st, code):
    dev = st.sim.devices[code]
    return st.sim.gateways[dev.spec.gateway].port, dev.unit_id, dev.profile


def client(port, timeout=1.0):
    c = ModbusTcpClient("127.0.0.1", port=port, timeout=timeout, retries=0)
    assert c.connect()
    return c


def read(c, profile, unit, what=None, poles=None) -> dict:
    values = {}
    for r in profile.read_plan(what, poles=poles):
        rsp = getattr(c, READ[r.table])(r.address, count=r.count, device_id=unit)
        assert not rsp.isError(), rsp
        values.update(r.decode(rsp.registers if r.table in ("holding", "input") else rsp.bits))
    return values


def state(st, code) -> dict:
    port, unit, profile = where(st, code)
    c = client(port)
    try:
        return read(c, profile, unit, "fast")
    finally:
        c.close()


def api(st, method, path, body=None):
    req = urllib.request.Request(st.sim.http_url + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(req, timeout=5) as rsp:
            return rsp.status, json.loads(rsp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def wait_for(predicate, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if (result := predicate()):
            return result
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_facility_fleet():
    fleet = from_facility(FACILITY)
    assert {g.code for g in fleet.gateways} == {"GW-LV", "GW-JQ1"}
    assert len(fleet.devices) == 16                   # cameras and KNX groups are not Modbus
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
        if dev.kind == "env_sensor":
            assert 10 < v["temperature"] < 40 and 20 < v["humidity"] < 90
            assert v["water_leak"] is False
        if dev.kind == "temp_sensor":
            assert 15 < v["temperature"] < 90
            assert v["temperature"] == max(v[f"temperature_{e}_{p}"] for e in ("in", "out")
                                           for p in "abcn")


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


def test_over_voltage_trips_and_recloses_after_recovery(st):
    code = "QF-JQ1-WL2"
    assert api(st, "POST", f"/api/devices/{code}", {"set": {"voltage": 280}})[0] == 200
    s = state(st, code)
    assert s["switch_state"] == "open" and s["trip_cause"] == "over_voltage"
    assert s["fault_indicators"] == ["voltage"]
    time.sleep(0.8)                                   # longer than the reclose delay
    assert state(st, code)["switch_state"] == "open"  # no recovery, no reclose
    assert api(st, "POST", f"/api/devices/{code}", {"set": {"voltage": None}})[0] == 200
    t0 = time.monotonic()
    s = wait_for(lambda: (x := state(st, code))["switch_state"] == "closed" and x)
    assert time.monotonic() - t0 >= 0.3               # waited (about) the 0.5 s delay
    assert s["trip_cause"] == "none" and s["fault_indicators"] == []


def test_under_voltage_recloses_and_phase_loss_does_not(st):
    status, body = api(st, "POST", "/api/devices/QF-AL1-WL1", {"set": {"voltage": 150}})
    assert status == 200 and body["values"]["trip_cause"] == "under_voltage"
    api(st, "POST", "/api/devices/QF-AL1-WL1", {"clear": True})
    wait_for(lambda: state(st, "QF-AL1-WL1")["switch_state"] == "closed")

    code = "QF-AA1-WL4"                               # 3P+N: a 4-pole breaker
    api(st, "POST", f"/api/devices/{code}", {"set": {"voltage_b": 40}})
    s = state(st, code)
    assert s["trip_cause"] == "phase_loss" and s["fault_indicators"] == ["voltage"]
    api(st, "POST", f"/api/devices/{code}", {"clear": True})
    time.sleep(0.8)
    assert state(st, code)["switch_state"] == "open"
    port, unit, _ = where(st, code)
    c = client(port)
    try:
        assert not c.write_coil(0, True, device_id=unit).isError()      # remote close
    finally:
        c.close()
    assert state(st, code)["switch_state"] == "closed"


def test_residual_protection_is_a_writable_setting_and_overload_trips(st):
    code = "QF-AA1-WL3"                               # no rated IΔn: monitoring only
    port, unit, profile = where(st, code)
    c = client(port)
    try:
        api(st, "POST", f"/api/devices/{code}", {"set": {"leakage": 45}})
        s = read(c, profile, unit, "fast")
        assert s["switch_state"] == "closed" and s["leakage_current"] == 45.0
        _, address, words = profile.encode_setting("residual_protection", True)
        assert not c.write_registers(address, words, device_id=unit).isError()
        assert read(c, profile, unit, ["residual_protection"])["residual_protection"] is True
        s = wait_for(lambda: (x := read(c, profile, unit, "fast"))["switch_state"] == "open"
                     and x)
        assert s["trip_cause"] == "residual_current"
        assert s["fault_indicators"] == ["residual_current"]
        rsp = c.write_register(address + 1, 5, device_id=unit)       # 5 mA < min 10
        assert rsp.isError() and rsp.exception_code == 3
        api(st, "POST", f"/api/devices/{code}", {"clear": True, "set": {"current": 200}})
        assert not c.write_coil(1, True, device_id=unit).isError()   # reset
        assert read(c, profile, unit, "fast")["fault_indicators"] == []
        assert not c.write_coil(0, True, device_id=unit).isError()   # close
        s = wait_for(lambda: (x := read(c, profile, unit, "fast"))["switch_state"] == "open"
                     and x)
        assert s["trip_cause"] == "overload" and s["fault_indicators"] == ["current"]
        api(st, "POST", f"/api/devices/{code}", {"clear": True})
        assert not c.write_coil(0, True, device_id=unit).isError()
    finally:
        c.close()


@pytest.mark.parametrize("mode", ["manual", "maintenance"])
def test_manual_and_maintenance_refuse_remote_commands(st, mode):
    code = "QF-JQ1-WL4"
    port, unit, profile = where(st, code)
    c = client(port)
    try:
        assert api(st, "POST", f"/api/devices/{code}", {"mode": mode})[0] == 200
        assert read(c, profile, unit, "fast")["mode"] == mode
        for ctl in ("open", "close", "reset"):
            control = profile.control(ctl)
            rsp = c.write_coil(control.address, control.words()[0], device_id=unit)
            assert rsp.isError() and rsp.exception_code == 1, rsp     # ILLEGAL FUNCTION
        s = read(c, profile, unit, "fast")
        assert s["switch_state"] == "closed"
        status, body = api(st, "POST", f"/api/devices/{code}", {"hand": "open"})
        if mode == "maintenance":
            assert status == 409 and "locked" in body["error"]
            assert read(c, profile, unit, "fast")["switch_state"] == "closed"
        else:
            assert status == 200 and read(c, profile, unit, "fast")["switch_state"] == "open"
            api(st, "POST", f"/api/devices/{code}", {"hand": "closed"})
        # settings stay writable in any mode
        assert not c.write_register(260, 1, device_id=unit).isError()
    finally:
        api(st, "POST", f"/api/devices/{code}",
            {"mode": "auto", "settings": {"reclose_delay": 0.5}})
        c.close()


def test_auto_mode_accepts_remote_open_and_close(st):
    code = "QF-JQ1-WL4"
    port, unit, profile = where(st, code)
    c = client(port)
    try:
        assert read(c, profile, unit, "fast")["mode"] == "auto"
        assert not c.write_coil(0, False, device_id=unit).isError()
        assert read(c, profile, unit, "fast")["switch_state"] == "open"
        assert c.read_coils(0, count=1, device_id=unit).bits[0] is False
        assert not c.write_coil(0, True, device_id=unit).isError()
        s = read(c, profile, unit, "fast")
        assert s["switch_state"] == "closed" and s["trip_cause"] == "none"
    finally:
        c.close()


def test_silenced_gateway_times_out_while_another_answers(st):
    lv, _, _ = where(st, "QF-AA1-WL5")
    jq1, _, _ = where(st, "QF-JQ1-WL1")
    a, b = client(jq1, timeout=0.3), client(lv, timeout=1.0)
    try:
        api(st, "POST", "/api/gateways/GW-JQ1", {"silent": True})
        with pytest.raises(ModbusIOException):
            a.read_input_registers(0, count=10, device_id=1)
        assert not b.read_input_registers(0, count=10, device_id=2).isError()
        api(st, "POST", "/api/gateways/GW-JQ1", {"silent": False})
        a.close()
        a = client(jq1, timeout=1.0)
        assert not a.read_input_registers(0, count=10, device_id=1).isError()
        # one device silent, its neighbours on the same bus answer; unknown units never do
        api(st, "POST", "/api/devices/QF-AA1-WL5", {"silent": True})
        b.close()
        b = client(lv, timeout=0.3)
        with pytest.raises(ModbusIOException):
            b.read_input_registers(0, count=10, device_id=6)
        b.close()
        b = client(lv, timeout=1.0)
        assert not b.read_input_registers(0, count=10, device_id=7).isError()
        b.close()
        b = client(lv, timeout=0.3)
        with pytest.raises(ModbusIOException):
            b.read_input_registers(0, count=10, device_id=99)
    finally:
        api(st, "POST", "/api/gateways/GW-JQ1", {"silent": False})
        api(st, "POST", "/api/devices/QF-AA1-WL5", {"silent": False})
        a.close()
        b.close()


def test_latency_and_bus_emulation_slow_responses(st):
    port, unit, _ = where(st, "QF-AA1-WL2")
    expected = exchange_time(4, 60, 9600, 0.005)      # (8 + 125) bytes * 11 bits / 9600 + 5 ms
    assert expected > 0.15
    try:
        api(st, "POST", "/api/gateways/GW-LV", {"bus": {"baud": 9600, "turnaround_ms": 5}})
        c = client(port, timeout=3)
        t0 = time.monotonic()
        assert not c.read_input_registers(0, count=60, device_id=unit).isError()
        assert time.monotonic() - t0 >= expected * 0.95
        c.close()
        # two clients at once: one outstanding request per gateway, so they queue
        results = []

        def one():
            cc = client(port, timeout=3)
            results.append(not cc.read_input_registers(0, count=60, device_id=unit).isError())
            cc.close()
        threads = [threading.Thread(target=one) for _ in range(2)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [True, True]
        assert time.monotonic() - t0 >= 2 * expected * 0.95
    finally:
        api(st, "POST", "/api/gateways/GW-LV", {"bus": {"baud": 0}})
    try:
        api(st, "POST", "/api/devices/QF-AA1-WL2", {"latency_ms": 250})
        c = client(port, timeout=3)
        t0 = time.monotonic()
        assert not c.read_input_registers(0, count=10, device_id=unit).isError()
        assert time.monotonic() - t0 >= 0.24
        c.close()
    finally:
        api(st, "POST", "/api/devices/QF-AA1-WL2", {"latency_ms": 0})


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


def test_http_api_answers_and_names_bad_fields(st):
    status, devices = api(st, "GET", "/api/devices")
    assert status == 200 and len(devices) == 16
    status, body = api(st, "GET", "/api/status")
    assert status == 200 and {g["code"] for g in body["gateways"]} == {"GW-LV", "GW-JQ1"}
    assert api(st, "GET", "/api/devices/NOPE")[0] == 404
    status, body = api(st, "POST", "/api/devices/QF-JQ1-WL1", {"set": {"volts": 1}})
    assert status == 400 and "set.volts" in body["error"]
    status, body = api(st, "POST", "/api/devices/ENV-PDF-LV", {"mode": "manual"})
    assert status == 400 and "only breakers" in body["error"]
    status, body = api(st, "POST", "/api/devices/ENV-PDF-LV", {"set": {"water_leak": True}})
    assert status == 200 and body["values"]["water_leak"] is True
    api(st, "POST", "/api/devices/ENV-PDF-LV", {"clear": True})


def test_cli_fault_show_and_status_talk_to_the_api(st):
    runner = CliRunner()
    url = st.sim.http_url
    res = runner.invoke(simulate, ["fault", "QF-AL1-WL2", "--trip", "test", "--api", url])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["values"]["trip_cause"] == "test"
    assert state(st, "QF-AL1-WL2")["switch_state"] == "open"
    res = runner.invoke(simulate, ["fault", "QF-AL1-WL2", "--hand", "closed", "--api", url])
    assert res.exit_code == 0 and state(st, "QF-AL1-WL2")["switch_state"] == "closed"
    res = runner.invoke(simulate, ["fault", "GW-JQ1", "--gateway", "--latency-ms", "0",
                                   "--api", url])
    assert res.exit_code == 0 and json.loads(res.output)["code"] == "GW-JQ1"
    res = runner.invoke(simulate, ["fault", "NOPE", "--trip", "test", "--api", url])
    assert res.exit_code != 0 and "404" in res.output
    res = runner.invoke(simulate, ["status", "--api", url])
    assert res.exit_code == 0 and json.loads(res.output)["devices"] == 16
    assert runner.invoke(simulate, []).exit_code != 0            # neither file nor counts


def test_register_adds_the_command():
    group = click.Group("gridwarden")
    register(group)
    assert "simulate" in group.commands


def test_command_line_serves_a_counted_fleet():
    proc = subprocess.Popen([sys.executable, "-m", "simulator", "--gateways", "2",
                             "--breakers-per-gateway", "3", "--base-port", "0", "--http-port",
                             "-1", "--tick", "0.2"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        ports = []
        for line in proc.stdout:
            if m := re.match(r"gateway GW\d+: 127\.0\.0\.1:(\d+)", line):
                ports.append(int(m[1]))
            if line.startswith("simulator ready"):
                break
        assert len(ports) == 2
        profile = load_profile("gw-breaker")
        for port in ports:
            c = client(port)
            try:
                v = read(c, profile, 3, "fast")
            finally:
                c.close()
            assert v["switch_state"] == "closed"
    finally:
        proc.terminate()
        proc.wait(10)


def test_slices_cover_every_gateway_once():
    from simulator.multi import slices

    codes = [f"GW{i:03d}" for i in range(1, 11)]
    for n in (1, 3, 4, 10, 20):
        parts = slices(codes, n)
        assert [c for p in parts for c in p] == codes
        assert len(parts) == min(n, len(codes)) and all(parts)
        assert max(map(len, parts)) - min(map(len, parts)) <= 1


def test_processes_split_the_gateways_and_the_api_reaches_every_worker():
    psutil = pytest.importorskip("psutil")
    workers = []
    proc = subprocess.Popen([sys.executable, "-m", "simulator", "--gateways", "4",
                             "--breakers-per-gateway", "2", "--base-port", "0", "--http-port",
                             "0", "--tick", "0.2", "--processes", "2"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        ports, url = {}, None
        for line in proc.stdout:
            if m := re.match(r"gateway (GW\d+): 127\.0\.0\.1:(\d+)", line):
                ports[m[1]] = int(m[2])
            if line.startswith("simulator ready"):
                assert "in 2 processes" in line
                url = line.rsplit(" ", 1)[1].strip()
                break
        assert list(ports) == ["GW001", "GW002", "GW003", "GW004"]
        with urllib.request.urlopen(url + "/api/status", timeout=10) as rsp:
            status = json.loads(rsp.read())
        assert status["processes"] == 2 and status["devices"] == 8
        assert [g["code"] for g in status["gateways"]] == list(ports)
        # a fault on a device of the second worker, seen on its gateway's Modbus port
        req = urllib.request.Request(url + "/api/devices/GW004-QF002",
                                     data=json.dumps({"set": {"voltage": 280}}).encode(),
                                     method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as rsp:
            assert json.loads(rsp.read())["values"]["voltage_a"] == 280
        profile = load_profile("gw-breaker")
        c = client(ports["GW004"])
        try:
            assert read(c, profile, 2, "normal")["voltage_a"] == pytest.approx(280, abs=0.5)
        finally:
            c.close()
        workers = psutil.Process(proc.pid).children()
        assert len(workers) == 2
    finally:
        proc.terminate()
        proc.wait(10)
    _gone, alive = psutil.wait_procs(workers, timeout=10)     # SIGTERM stops the workers
    assert not alive
