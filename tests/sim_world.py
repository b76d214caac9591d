"""The breaker-fleet simulator for its tests: the example facility served in a thread (the
``st`` fixture, imported explicitly by the test modules) and helpers to read it with
pymodbus and to drive its HTTP API. Timings are only ever asserted as lower bounds."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from pymodbus.client import ModbusTcpClient

from simulator.engine import SimConfig, SimulatorThread
from simulator.fleet import from_facility

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

