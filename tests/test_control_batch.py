"""Group commands against a simulated board of 21 breakers on one gateway: per-device
results, a breaker in manual mode refused with nothing written to it, a protected circuit
waiting for approval, the idempotency key covering the whole group."""
from __future__ import annotations

import time
import uuid

import pytest

from backend.control.runner import ControlRunner
from backend.extensions import db
from backend.field.session import SESSION
from backend.models import Board, Circuit, Device, Gateway, Role, Site
from simulator.engine import SimConfig, SimulatorThread
from simulator.fleet import from_counts
from tests.factories import auth, make_user
from tests.test_poller import run_poll
from workers.jobs import poll


@pytest.fixture(scope="module")
def board_sim():
    fleet = from_counts(1, 21, base_port=0, seed=5)
    config = SimConfig(tick=0.1, seed=5, start_time=12 * 3600, http_port=0)
    with SimulatorThread(fleet, config) as thread:
        yield thread


@pytest.fixture
def board(app, board_sim):
    with app.app_context():
        site = Site(code="B21", name="二十一路箱")
        db.session.add(site)
        db.session.flush()
        gw = Gateway(site_id=site.id, code="GW001", name="网关", host="127.0.0.1",
                     port=board_sim.sim.gateways["GW001"].port, timeout_ms=500)
        brd = Board(site_id=site.id, code="AL-B", name="照明箱", level=2)
        db.session.add_all([gw, brd])
        db.session.flush()
        ids = {}
        for spec in board_sim.sim.devices.values():
            n = spec.unit_id
            circuit = Circuit(site_id=site.id, board_id=brd.id, code=f"WL{n}", name=f"照明{n}",
                              category="lighting", protected=(n == 21))
            db.session.add(circuit)
            db.session.flush()
            dev = Device(site_id=site.id, code=spec.code, name=spec.code, kind="breaker",
                         circuit_id=circuit.id, gateway_id=gw.id, unit_id=n,
                         profile="gw-breaker", poles=spec.spec.poles)
            db.session.add(dev)
            db.session.flush()
            ids[n] = dev.id
        db.session.commit()
        m1, m2 = make_user("m1", Role.manager, [site]), make_user("m2", Role.manager, [site])
        w = {"ids": ids, "board": brd.id, "h1": auth(m1), "h2": auth(m2)}
    poll.reset_for_tests()
    run_poll(app, "fast")
    runner = ControlRunner(app, SESSION)
    runner.start()
    yield w
    runner.stop()
    for dev in board_sim.sim.devices.values():
        dev.set_mode("auto")
        dev.command("close", "hand")
    poll.reset_for_tests()


def _wait_settled(client, headers, batch_id, count, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        rows = client.get(f"/api/v1/commands?batch_id={batch_id}&page_size=100",
                          headers=headers).json
        busy = [c for c in rows if c["state"] in ("requested", "queued", "sent")]
        if (len(rows) == count and not busy) or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def test_a_board_of_twenty_with_one_in_manual_mode(app, client, board, board_sim):
    sim = board_sim.sim
    manual = next(d for d in sim.devices.values() if d.unit_id == 7)
    manual.set_mode("manual")
    writes = []
    original = manual.write
    manual.write = lambda *a: writes.append(a) or original(*a)
    ids = [board["ids"][n] for n in range(1, 21)]              # not the protected 21st
    key = uuid.uuid4().hex
    try:
        r = client.post("/api/v1/commands/batches",
                        json={"device_ids": ids, "action": "open", "reason": "夜间巡检"},
                        headers={**board["h1"], "Idempotency-Key": key})
        assert r.status_code == 202, r.json
        assert len(r.json["commands"]) == 20 and r.json["refused"] == []
        batch = r.json["batch_id"]
        rows = _wait_settled(client, board["h1"], batch, 20)
        by_state = {}
        for c in rows:
            by_state.setdefault(c["state"], []).append(c["device_id"])
        assert len(by_state.get("confirmed", [])) == 19, [(c["state"], c["error"]) for c in rows][:5]
        assert by_state["refused"] == [board["ids"][7]]
        refused = next(c for c in rows if c["state"] == "refused")
        assert refused["error"] == "mode_manual"
        assert writes == [] and manual.closed is True               # nothing written to it
        assert sum(not d.closed for d in sim.devices.values()) == 19
        again = client.post("/api/v1/commands/batches",
                            json={"device_ids": ids, "action": "open", "reason": "夜间巡检"},
                            headers={**board["h1"], "Idempotency-Key": key})
        assert again.json["batch_id"] == batch
        assert sorted(c["id"] for c in again.json["commands"]) == sorted(c["id"] for c in rows)
    finally:
        manual.write = original


def test_a_whole_board_protected_ones_wait_and_busy_ones_are_refused(app, client, board):
    first = client.post(f"/api/v1/devices/{board['ids'][3]}/commands",
                        json={"action": "open", "reason": "先断开"},
                        headers={**board["h1"], "Idempotency-Key": "one"})
    assert first.status_code == 202
    r = client.post("/api/v1/commands/batches",
                    json={"board_id": board["board"], "action": "open", "reason": "整箱断电"},
                    headers={**board["h2"], "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 202, r.json
    states = {c["device_id"]: c["state"] for c in r.json["commands"]}
    assert states[board["ids"][21]] == "awaiting_approval"           # the protected circuit
    refused = {x["device_id"]: x["error"] for x in r.json["refused"]}
    # unit 3 was still in flight (or just switched): refused at once, the others went ahead
    assert refused.get(board["ids"][3]) in ("command_in_progress", "switched_too_recently")
    assert len(states) + len(refused) == 21
    # the refusal rolled back only its own savepoint: the others were queued and run
    rows = _wait_settled(client, board["h2"], r.json["batch_id"], len(states))
    assert sum(c["state"] == "confirmed" for c in rows) == len(states) - 1
    r = client.post("/api/v1/commands/batches", json={"action": "open", "reason": "x"},
                    headers={**board["h2"], "Idempotency-Key": "none"})
    assert r.status_code == 422 and r.json["error"] == "batch_target"
