"""The simulator's faults and controls: protection trips and reclosing, breaker modes and
remote commands, silent gateways and devices, latency and RS-485 bus emulation. Timings
are only ever asserted as lower bounds."""
from __future__ import annotations

import threading
import time

import pytest
from pymodbus.exceptions import ModbusIOException

from simulator.bus import exchange_time
from tests.sim_world import api, client, read, st, state, wait_for, where  # noqa: F401


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
    wait_for(lambda: state(st, code)["switch_state"] == "closed")


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
        wait_for(lambda: read(c, profile, unit, "fast")["fault_indicators"] == [])
        assert not c.write_coil(0, True, device_id=unit).isError()   # close
        s = wait_for(lambda: (x := read(c, profile, unit, "fast"))["trip_cause"] != "none"
                     and x)
        assert s["switch_state"] == "open" and s["trip_cause"] == "overload" and s["fault_indicators"] == ["current"]
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
        # the motor operator takes its time: the old state until then
        assert read(c, profile, unit, "fast")["switch_state"] == "closed"
        wait_for(lambda: read(c, profile, unit, "fast")["switch_state"] == "open")
        assert c.read_coils(0, count=1, device_id=unit).bits[0] is False
        assert not c.write_coil(0, True, device_id=unit).isError()
        s = wait_for(lambda: (x := read(c, profile, unit, "fast"))["switch_state"] == "closed"
                     and x)
        assert s["trip_cause"] == "none"
    finally:
        c.close()


def test_a_stuck_breaker_accepts_writes_and_does_not_operate(st):
    code = "QF-JQ1-WL4"
    port, unit, profile = where(st, code)
    c = client(port)
    try:
        assert api(st, "POST", f"/api/devices/{code}", {"stuck": True})[0] == 200
        assert not c.write_coil(0, False, device_id=unit).isError()
        time.sleep(0.4)
        assert read(c, profile, unit, "fast")["switch_state"] == "closed"
        assert api(st, "POST", "/api/devices/ENV-PDF-LV", {"stuck": True})[0] == 400
    finally:
        api(st, "POST", f"/api/devices/{code}", {"stuck": False})
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

