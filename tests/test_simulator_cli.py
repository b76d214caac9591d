"""The simulator's HTTP API and command line: the ``simulate`` command and its ``fault`` and
``status`` subcommands, ``python -m simulator`` serving a counted fleet, in one process or
split over worker processes."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request

import click
import pytest
from click.testing import CliRunner

from backend.field.profile import load_profile
from simulator.cli import register, simulate
from tests.sim_world import ROOT, api, client, read, st, state  # noqa: F401  (st: fixture)


def test_http_api_answers_and_names_bad_fields(st):
    status, devices = api(st, "GET", "/api/devices")
    assert status == 200 and len(devices) == 20
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
    assert res.exit_code == 0 and json.loads(res.output)["devices"] == 20
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

