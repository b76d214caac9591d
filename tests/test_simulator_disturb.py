"""The simulator's power-quality disturbances: a sag spreads down the supply tree, an
unbalance and a frequency drift have the size asked for, an interruption trips on
under-voltage, a timed disturbance ends by itself; bad requests name the field; the CLI
builds the operation."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from backend.quality.indices import unbalance_from_magnitudes
from simulator.cli import simulate
from tests.sim_world import api, st, wait_for  # noqa: F401  (fixture)


def values(st, code):  # noqa: F811
    status, body = api(st, "GET", f"/api/devices/{code}")
    assert status == 200, body
    return body["values"]


def test_a_sag_on_a_feeder_reaches_everything_below_it(st):  # noqa: F811
    before = values(st, "QF-JQ1-WL1")["voltage_a"]
    status, body = api(st, "POST", "/api/devices/QF-AA1-WL1", {"disturb": {"voltage": 0.75}})
    assert status == 200 and body["disturbance"] == {"voltage": [0.75, 0.75, 0.75]}
    try:
        # below the board the feeder supplies (and on the feeder itself): ~75 %
        for code in ("QF-AA1-WL1", "QF-JQ1-WL1", "QF-AL1-WL2"):
            wait_for(lambda c=code: abs(values(st, c)["voltage_a"] - 0.75 * before) < 4)
        # not beside it, nor above it
        assert values(st, "QF-AA1-WL2")["voltage_a"] > 215
        assert values(st, "PM-AA1-IN")["voltage_a"] > 215
        assert values(st, "QF-JQ1-WL1")["switch_state"] == "closed"    # 171 V > 160 V
    finally:
        api(st, "POST", "/api/devices/QF-AA1-WL1", {"disturb": None})
    wait_for(lambda: values(st, "QF-JQ1-WL1")["voltage_a"] > 215)


def test_unbalance_and_frequency_drift_have_the_size_asked_for(st):  # noqa: F811
    api(st, "POST", "/api/devices/QF-AA1-WL4", {"disturb": {"unbalance": 3}})
    try:
        # phases x (1.06, 0.97, 0.97): 3 % by the magnitude formula, give or take the
        # supply's own per-phase bias (±1.5 V)
        def u():
            v = values(st, "QF-AA1-WL4")
            return unbalance_from_magnitudes(v["voltage_a"], v["voltage_b"], v["voltage_c"])
        wait_for(lambda: 2.2 < u() < 3.8)
    finally:
        api(st, "POST", "/api/devices/QF-AA1-WL4", {"disturb": None})
    # the supply's frequency, for every device, for 1 simulated second
    status, body = api(st, "POST", "/api/devices/PM-AA1-IN",
                       {"disturb": {"frequency": 50.4, "seconds": 1}})
    assert status == 200 and body["disturbance"]["frequency"] == 50.4
    wait_for(lambda: abs(values(st, "QF-JQ1-WL3")["frequency"] - 50.4) < 0.05)
    wait_for(lambda: abs(values(st, "PM-AA1-IN")["frequency"] - 50.0) < 0.05)


def test_an_interruption_trips_on_under_voltage_and_recloses(st):  # noqa: F811
    api(st, "POST", "/api/devices/QF-AA1-WL3", {"disturb": {"voltage": 0}})
    try:
        v = wait_for(lambda: (x := values(st, "QF-AA1-WL3"))["switch_state"] == "open" and x)
        assert v["trip_cause"] == "under_voltage" and v["voltage_a"] < 1
    finally:
        api(st, "POST", "/api/devices/QF-AA1-WL3", {"disturb": None})
    wait_for(lambda: values(st, "QF-AA1-WL3")["switch_state"] == "closed")


def test_bad_disturbances_name_the_field(st):  # noqa: F811
    for code, body, field in (
            ("QF-AA1-WL1", {"harmonics": 6}, "disturb.harmonics"),
            ("PM-AA1-IN", {"harmonics": 150}, "disturb.harmonics"),
            ("QF-AA1-WL1", {"voltage": 3}, "disturb.voltage"),
            ("QF-AA1-WL1", {"voltage": [1, 1]}, "disturb.voltage"),
            ("QF-AA1-WL1", {"unbalance": 50}, "disturb.unbalance"),
            ("QF-AA1-WL1", {"frequency": 60}, "disturb.frequency"),
            ("QF-AA1-WL1", {"colour": 1}, "disturb.colour"),
            ("QF-AA1-WL1", {}, "disturb"),
            ("ENV-PDF-LV", {"voltage": 0.5}, "disturb")):
        status, rsp = api(st, "POST", f"/api/devices/{code}", {"disturb": body})
        assert status == 400 and rsp["error"].startswith(field), (body, rsp)
    assert values(st, "QF-AA1-WL1")["voltage_a"] > 215          # nothing applied


def test_cli_builds_the_disturbance(st):  # noqa: F811
    runner, url = CliRunner(), st.sim.http_url
    res = runner.invoke(simulate, ["fault", "QF-AA1-WL2", "--sag", "0.8", "--for", "600",
                                   "--api", url])
    assert res.exit_code == 0, res.output
    got = json.loads(res.output)["disturbance"]
    assert got["voltage"] == [0.8, 0.8, 0.8] and got["until_s"] > 0
    res = runner.invoke(simulate, ["fault", "QF-AA1-WL2", "--undisturb", "--api", url])
    assert res.exit_code == 0 and json.loads(res.output)["disturbance"] is None
    res = runner.invoke(simulate, ["fault", "QF-AA1-WL2", "--sag", "0.8", "--swell", "1.1",
                                   "--api", url])
    assert res.exit_code != 0 and "one of" in res.output
    res = runner.invoke(simulate, ["fault", "QF-AA1-WL2", "--harmonics", "6", "--api", url])
    assert res.exit_code != 0 and "reports no harmonics" in res.output
    res = runner.invoke(simulate, ["fault", "PM-AA1-IN", "--harmonics", "6", "--api", url])
    assert res.exit_code == 0 and json.loads(res.output)["disturbance"]["harmonics"] == 6
    runner.invoke(simulate, ["fault", "PM-AA1-IN", "--undisturb", "--api", url])


def test_the_meter_reports_line_voltages_and_thd_and_takes_harmonics(st):  # noqa: F811
    v = values(st, "PM-AA1-IN")
    # 120° apart: |Va - Vb|² = Va² + Vb² + Va·Vb
    assert v["voltage_ab"] == pytest.approx(
        (v["voltage_a"] ** 2 + v["voltage_b"] ** 2 + v["voltage_a"] * v["voltage_b"]) ** 0.5)
    assert 1.5 < v["thd_voltage_a"] < 2.5 and 8 < v["thd_current_a"] < 13
    status, body = api(st, "POST", "/api/devices/PM-AA1-IN", {"disturb": {"harmonics": 7}})
    assert status == 200 and body["disturbance"] == {"harmonics": 7.0}
    try:
        wait_for(lambda: abs(values(st, "PM-AA1-IN")["thd_voltage_a"] - 7) < 0.01)
    finally:
        api(st, "POST", "/api/devices/PM-AA1-IN", {"disturb": None})
    wait_for(lambda: values(st, "PM-AA1-IN")["thd_voltage_a"] < 2.5)
