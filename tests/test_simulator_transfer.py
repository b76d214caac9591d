"""The simulator's dual-power transfer (双电源切换): the normal breaker opens at once, the
standby closes after the gap, read over Modbus like the poller reads it; refusals name the
problem; the command line sends the same operation. Timings only as lower bounds."""
from __future__ import annotations

import time

from click.testing import CliRunner

from simulator.cli import simulate
from tests.sim_world import api, st, state, wait_for  # noqa: F401

NORMAL, STANDBY = "QF-AL1-WL1", "QF-AL1-WL2"


def _reset(st):  # noqa: F811
    for code, hand in ((NORMAL, "closed"), (STANDBY, "open")):
        assert api(st, "POST", f"/api/devices/{code}", {"hand": hand, "mode": "auto",
                                                        "stuck": False})[0] == 200


def test_transfer_opens_the_normal_then_closes_the_standby_after_the_gap(st):  # noqa: F811
    _reset(st)
    t0 = time.monotonic()
    status, body = api(st, "POST", f"/api/devices/{NORMAL}",
                       {"transfer": {"to": STANDBY, "gap_ms": 600}})
    assert status == 200, body
    assert body["values"]["switch_state"] == "open"
    assert body["transfer"] == {"to": STANDBY, "gap_ms": 600.0, "standby_closed": False}
    assert state(st, NORMAL)["switch_state"] == "open"
    assert state(st, NORMAL)["trip_cause"] == "none"        # operated, not tripped
    if time.monotonic() - t0 < 0.5:                          # read within the gap
        assert state(st, STANDBY)["switch_state"] == "open"
    wait_for(lambda: state(st, STANDBY)["switch_state"] == "closed")
    assert time.monotonic() - t0 >= 0.6                      # not before the gap
    assert state(st, NORMAL)["switch_state"] == "open"
    # and back: the standby is now the closed one
    status, body = api(st, "POST", f"/api/devices/{STANDBY}", {"transfer": {"to": NORMAL}})
    assert status == 200 and body["transfer"]["standby_closed"] is True, body
    assert state(st, STANDBY)["switch_state"] == "open"
    assert state(st, NORMAL)["switch_state"] == "closed"


def test_transfer_refusals_name_the_problem_and_change_nothing(st):  # noqa: F811
    _reset(st)
    cases = [
        ({"transfer": {"to": STANDBY, "gap_ms": -1}}, 400, "transfer.gap_ms"),
        ({"transfer": {"to": STANDBY, "gap_ms": 700_000}}, 400, "transfer.gap_ms"),
        ({"transfer": {"to": "ENV-PDF-LV"}}, 400, "transfer.to"),
        ({"transfer": {"to": NORMAL}}, 400, "transfer.to"),
        ({"transfer": {"gap_ms": 5}}, 400, "transfer:"),
        ({"transfer": {"to": STANDBY, "after": 5}}, 400, "transfer:"),
    ]
    for ops, code, word in cases:
        status, body = api(st, "POST", f"/api/devices/{NORMAL}", ops)
        assert (status, word in body["error"]) == (code, True), (ops, body)
    status, body = api(st, "POST", "/api/devices/ENV-PDF-LV", {"transfer": {"to": STANDBY}})
    assert status == 400 and "only breakers" in body["error"], body
    status, body = api(st, "POST", f"/api/devices/{STANDBY}", {"transfer": {"to": NORMAL}})
    assert status == 409 and "already open" in body["error"], body
    api(st, "POST", f"/api/devices/{STANDBY}", {"mode": "maintenance"})
    status, body = api(st, "POST", f"/api/devices/{NORMAL}", {"transfer": {"to": STANDBY}})
    assert status == 409 and "maintenance" in body["error"], body
    assert state(st, NORMAL)["switch_state"] == "closed"     # nothing operated
    assert state(st, STANDBY)["switch_state"] == "open"
    _reset(st)


def test_a_stuck_standby_never_closes(st):  # noqa: F811
    _reset(st)
    api(st, "POST", f"/api/devices/{STANDBY}", {"stuck": True})
    status, body = api(st, "POST", f"/api/devices/{NORMAL}",
                       {"transfer": {"to": STANDBY, "gap_ms": 100}})
    assert status == 200 and body["transfer"]["standby_closed"] is False
    time.sleep(0.4)
    assert state(st, STANDBY)["switch_state"] == "open"
    _reset(st)


def test_cli_sends_the_transfer(st):  # noqa: F811
    _reset(st)
    runner = CliRunner()
    url = st.sim.http_url
    res = runner.invoke(simulate, ["fault", NORMAL, "--transfer-to", STANDBY, "--gap-ms", "0",
                                   "--api", url])
    assert res.exit_code == 0, res.output
    assert '"standby_closed": true' in res.output
    assert state(st, STANDBY)["switch_state"] == "closed"
    res = runner.invoke(simulate, ["fault", NORMAL, "--gap-ms", "5", "--api", url])
    assert res.exit_code != 0 and "--transfer-to" in res.output
    _reset(st)


def test_the_standby_feeds_the_emergency_board_after_a_transfer():
    """The detention centre's ATS (examples/detention-center): AT1-N (from 1# transformer)
    normally feeds the emergency board AE1, AT1-S (from the generator) stands by open.
    After a transfer AE1 is live again through AT1-S, whose current is AE1's load and
    which the generator's meter sees; AT1-N carries nothing."""
    from pathlib import Path

    from simulator.engine import SimConfig, Simulator
    from simulator.faults import apply
    from simulator.fleet import from_facility

    fleet = from_facility(Path(__file__).resolve().parents[1]
                          / "examples" / "detention-center" / "facility.yaml")
    assert {c.code: c.standby for c in fleet.circuits}["AT1-N"] == "AT1-S"
    sim = Simulator(fleet, SimConfig(seed=5, start_time=10 * 3600, reclose_delay=5))
    n, s, gen = sim.devices["QF-AT1-N"], sim.devices["QF-AT1-S"], sim.devices["PM-AG1-IN"]
    ae1 = [d for d in sim.devices.values() if d.kind == "breaker" and d.code.startswith("QF-AE1-")]

    def amps(dev):
        return sum(dev.values.get(f"current_{p}", 0.0) for p in "abc")
    sim.step_now(1.0)
    assert n.closed and not s.closed and all(d.closed for d in ae1)
    assert amps(n) > 1 and amps(s) == 0
    load, gen_before = sum(amps(d) for d in ae1), amps(gen)
    assert load > 1 and amps(n) >= load * 0.99

    apply(sim, "device", "QF-AT1-N", {"transfer": {"to": "QF-AT1-S", "gap_ms": 0}})
    for _ in range(30):                       # the dead time's under-voltage trips reclose
        sim.step_now(1.0)
    assert not n.closed and s.closed
    assert all(d.closed for d in ae1), [(d.code, d.trip_cause) for d in ae1 if not d.closed]
    assert min(ae1[0].values[f"voltage_{p}"] for p in "abc") > 200       # live again
    assert amps(n) == 0
    fed = sum(amps(d) for d in ae1)
    assert fed > 1 and amps(s) >= fed * 0.99           # the standby carries AE1 (and more)
    assert amps(gen) >= amps(s) * 0.99                 # the generator feeds the standby
    assert amps(gen) > gen_before + 0.5 * fed          # (beside its own small draw)
