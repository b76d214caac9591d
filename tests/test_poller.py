"""Poll -> store -> latest, end to end: the example facility in the database, the same
facility served by the simulator (real pymodbus servers), the poll job run through RQ."""
from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select

from backend.accounts.security import Actor
from backend.extensions import db, redis
from backend.facility.transfer import import_yaml
from backend.field.session import LOCK_KEY, SESSION
from backend.models import Device, Gateway
from simulator.engine import SimConfig, SimulatorThread
from simulator.fleet import from_facility
from workers.jobs import poll

FACILITY = Path(__file__).resolve().parent.parent / "examples" / "facility.yaml"


@pytest.fixture(scope="module")
def sim():
    fleet = from_facility(FACILITY)
    for g in fleet.gateways:
        g.port = 0
    config = SimConfig(tick=0.1, seed=3, start_time=19 * 3600, reclose_delay=30, http_port=0)
    with SimulatorThread(fleet, config) as thread:
        yield thread


@pytest.fixture
def site(app, sim):
    """The example facility, its gateways pointed at the simulator's ports."""
    with app.app_context():
        result = import_yaml(Actor.system("test"), FACILITY.read_text(encoding="utf-8"))
        for gw in db.session.scalars(select(Gateway)):
            gw.port = sim.sim.gateways[gw.code].port
            gw.timeout_ms = 300
        db.session.commit()
        ids = {d.code: d.id for d in db.session.scalars(select(Device))}
    poll.reset_for_tests()
    yield {"site_id": result["site_id"], "ids": ids}
    for code in sim.sim.gateways:
        sim_api(sim, "POST", f"/api/gateways/{code}", {"silent": False})
    sim_api(sim, "POST", "/api/devices/QF-AA1-WL1", {"clear": ["voltage"]})
    poll.reset_for_tests()


def sim_api(sim, method, path, body=None):
    req = urllib.request.Request(sim.sim.http_url + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(req, timeout=5) as rsp:
        return json.loads(rsp.read())


def run_poll(app, rate: str) -> dict:
    """Enqueue the poll job on a real RQ queue and run it with a SimpleWorker (burst)."""
    with app.app_context():
        rq_conn = Redis.from_url(app.config["GW_SETTINGS"].redis_url)   # RQ pickles: bytes
        queue = Queue("poll", connection=rq_conn)
        job = queue.enqueue(poll.poll_shard, rate, 0, 1)
        SimpleWorker([queue], connection=rq_conn).work(burst=True)
        job.refresh()
        assert job.is_finished, job.latest_result().exc_string
        return job.return_value()


def latest(client, headers, device_id):
    r = client.get(f"/api/v1/devices/{device_id}/latest", headers=headers)
    assert r.status_code == 200, r.json
    return {k: v["v"] for k, v in r.json["values"].items()}


def test_poll_store_latest_history(app, client, root, site):
    ids = site["ids"]
    fast = run_poll(app, "fast")
    normal = run_poll(app, "normal")
    assert fast["failed"] == normal["failed"] == 0
    assert normal["rows"] > 100
    r = client.get("/api/v1/device-status?online=true&page_size=100", headers=root)
    assert r.status_code == 200, r.json
    assert len(r.json) == 20            # every Modbus device of the example answered
    # one request per block: the breaker's fast and normal blocks are one request each
    assert normal["requests"] <= 20 * 3
    v = latest(client, root, ids["QF-AA1-WL1"])
    assert 200 < v["voltage_a"] < 260 and v["switch_state"] == "closed"
    assert v["mode"] == "auto" and v["energy_import"] > 0
    meter = latest(client, root, ids["PM-AA1-IN"])
    assert meter["active_power"] > 0 and 45 < meter["frequency"] < 55
    env = latest(client, root, ids["ENV-PDF-LV"])
    assert 0 < env["humidity"] < 100 and env["water_leak"] is False
    pit = latest(client, root, ids["LV-PDF-PIT"])
    assert 0 < pit["water_level"] < 30 and pit["high_water"] is False
    r = client.get(f"/api/v1/devices/{ids['QF-AA1-WL1']}/history?metrics=voltage_a&bucket=raw",
                   headers=root)
    assert r.status_code == 200, r.json
    status = client.get(f"/api/v1/devices/{ids['QF-AA1-WL1']}/status", headers=root).json
    assert status["online"] is True


def test_injected_fault_shows_in_latest_after_one_fast_poll(app, client, root, site, sim):
    ids = site["ids"]
    run_poll(app, "fast")
    sim_api(sim, "POST", "/api/devices/QF-AA1-WL1", {"set": {"voltage": 280}})
    time.sleep(0.3)                      # the simulator's next tick (0.1 s) applies it
    run_poll(app, "fast")
    v = latest(client, root, ids["QF-AA1-WL1"])
    assert v["switch_state"] == "open"
    assert v["trip_cause"] == "over_voltage"


def test_offline_after_failures_and_back_online(app, client, root, site, sim):
    ids = site["ids"]
    run_poll(app, "fast")
    run_poll(app, "normal")
    sim_api(sim, "POST", "/api/gateways/GW-JQ1", {"silent": True})
    failed = 0
    for _ in range(3):
        failed += run_poll(app, "fast")["failed"] + run_poll(app, "normal")["failed"]
        assert SESSION.wait_idle(10)    # the silent gateway's poll ends in the background
    failed += run_poll(app, "fast")["failed"]   # ... and this job stores its last result
    assert failed > 0
    jq1 = [code for code, d in sim.sim.devices.items() if d.spec.gateway == "GW-JQ1"]
    lv = [code for code, d in sim.sim.devices.items() if d.spec.gateway == "GW-LV"]
    for code in jq1:
        s = client.get(f"/api/v1/devices/{ids[code]}/status", headers=root).json
        assert s["online"] is False, (code, s)
    for code in lv:
        s = client.get(f"/api/v1/devices/{ids[code]}/status", headers=root).json
        assert s["online"] is True, (code, s)
    sim_api(sim, "POST", "/api/gateways/GW-JQ1", {"silent": False})
    # The poll started while it was silent ends first (one more failure), then the next
    # one finds it answering.
    for _ in range(2):
        assert SESSION.wait_idle(10)
        run_poll(app, "fast")
        run_poll(app, "normal")
    assert SESSION.wait_idle(10)
    run_poll(app, "fast")
    for code in jq1:
        s = client.get(f"/api/v1/devices/{ids[code]}/status", headers=root).json
        assert s["online"] is True, (code, s)


def test_a_dead_gateway_does_not_hold_up_the_others(app, site, sim):
    """The live gateway's devices are all read before the dead one's first timeout ends."""
    import asyncio

    from backend.field.inventory import load_poll_gateways
    from backend.field.poller import PollEngine

    sim_api(sim, "POST", "/api/gateways/GW-JQ1", {"silent": True})
    with app.app_context():
        gateways = [gw for gw, _ in load_poll_gateways()]
    by_code = {g.code: g.port for g in sim.sim.gateways.values()}
    dead = next(g for g in gateways if g.address.port == by_code["GW-JQ1"])
    live = next(g for g in gateways if g.address.port == by_code["GW-LV"])
    engine = PollEngine(retries=1, dead_after=2)

    async def once():
        try:
            return await engine.cycle([dead, live], "fast")
        finally:
            engine.close()          # on the loop that owns the connections

    result = asyncio.run(once())
    timeout = dead.address.timeout_s
    live_ids = {d.id for d in live.devices if d.plan("fast")}
    assert {d for d, ok, _ in result.outcomes if ok} == live_ids
    assert result.gateway_seconds[live.id] < timeout <= result.gateway_seconds[dead.id]
    # the dead gateway cost a bounded number of timeouts, not one per device
    assert result.gateway_seconds[dead.id] < timeout * (2 * 2 + 1)


def test_one_poller_per_gateway_lock(app, site):
    with app.app_context():
        gw_ids = [gw.id for gw, _ in SESSION.gateways(0, 1)]
        redis.set(LOCK_KEY.format(gateway_id=gw_ids[0]), "someone-else", px=5000)
    summary = run_poll(app, "fast")
    assert summary["skipped_locked"] == [gw_ids[0]]
    assert summary["gateways"] == len(gw_ids) - 1


def test_a_silent_gateway_never_stretches_a_healthy_ones_interval(app, site, sim):
    """One shard, one poll worker: GW-JQ1 silent with a 3 s timeout (a poll of it costs
    4 timeouts), GW-LV healthy. Every poll job stores GW-LV's readings without waiting
    for GW-JQ1, whose poll finishes in the background and is stored by a later job."""
    with app.app_context():
        by_code = {g.code: g for g in db.session.scalars(select(Gateway))}
        by_code["GW-JQ1"].timeout_ms = 3000
        db.session.commit()
        silent = by_code["GW-JQ1"].id
    poll.reset_for_tests()
    run_poll(app, "fast")                        # both answer; connections open
    sim_api(sim, "POST", "/api/gateways/GW-JQ1", {"silent": True})
    timeout = 3.0
    first = run_poll(app, "fast")
    # Not yet known to be silent: the job waited for it at most one fast interval.
    assert first["pending"] == [silent]
    for _ in range(4):
        time.sleep(0.25)
        summary = run_poll(app, "fast")
        assert summary["busy"] == [silent] and summary["failed"] == 0
        # all of GW-LV's fast devices, as in the first job
        assert summary["devices"] == first["devices"] > 0 and summary["rows"] > 0
        assert summary["seconds"] < timeout, summary   # never one of the silent timeouts
    assert SESSION.wait_idle(4 * timeout + 5)
    late = run_poll(app, "fast")                 # stores the silent gateway's failures
    assert late["failed"] > 0
    assert SESSION.in_flight() == [silent]        # polled again, in the background
    # Known silent now: the next job that starts it does not wait for it at all.
    assert SESSION.wait_idle(4 * timeout + 5)
    run_poll(app, "fast")
    started = run_poll(app, "fast")
    assert started["pending"] == [silent] and started["seconds"] < timeout, started


def test_a_restarted_poller_takes_back_its_predecessors_locks(app, site, monkeypatch):
    """A poller killed mid-cycle leaves its gateway locks for one fast interval; its
    successor of the same identity takes them back at once. Others' locks stay."""
    monkeypatch.setitem(app.config, "GW_POLLER_ID", "box1:poller-1")
    with app.app_context():
        gw_ids = [gw.id for gw, _ in SESSION.gateways(0, 1)]
        redis.set(LOCK_KEY.format(gateway_id=gw_ids[0]), "box1:poller-1:dead", px=30000)
        redis.set(LOCK_KEY.format(gateway_id=gw_ids[1]), "box2:poller-1:alive", px=30000)
    poll.reset_for_tests()
    summary = run_poll(app, "fast")
    assert summary["skipped_locked"] == [gw_ids[1]]
    assert summary["gateways"] == len(gw_ids) - 1


def test_readings_are_handed_to_storing_while_their_gateway_is_still_polled(app, site, sim):
    """The last device of the busiest gateway does not answer (two 0.3 s timeouts): the
    readings of the devices before it come out of ``collect`` as a partial batch before
    the gateway's own result, each exactly once, and nothing is lost."""
    from backend.field.session import FieldSession

    code_of = {i: c for c, i in site["ids"].items()}
    with app.app_context():
        session = FieldSession()
        gateways = session.gateways(0, 1)
    gw = max((g for g, _ in gateways), key=lambda g: sum(1 for d in g.devices
                                                          if d.plan("fast")))
    polled = [d for d in gw.devices if d.plan("fast")]
    assert len(polled) >= 3
    mute = polled[-1]
    sim_api(sim, "POST", f"/api/devices/{code_of[mute.id]}", {"silent": True})
    try:
        with app.app_context():
            started = session.start([(gw, {})], "fast")
            assert started.gateways == [gw.id]
            batches = list(session.collect(started, wait=10, every=0.02))
    finally:
        sim_api(sim, "POST", f"/api/devices/{code_of[mute.id]}", {"silent": False})
        session.reset()
    finished_at = next(i for i, b in enumerate(batches) if any(p.gateway_id == gw.id
                                                               for p in b))
    early = [r[0] for b in batches[:finished_at] for p in b for r in p.readings]
    assert early and set(early) <= {d.id for d in polled[:-1]}
    assert all(p.gateway_id is None for b in batches[:finished_at] for p in b)
    read = [r[0] for b in batches for p in b for r in p.readings]
    assert sorted(read) == sorted(d.id for d in polled[:-1])      # each exactly once
    outcomes = {d: ok for b in batches for p in b for d, ok, _ in p.outcomes}
    assert outcomes == {**{d.id: True for d in polled[:-1]}, mute.id: False}


def test_lock_leases_are_renewed_in_one_round_and_a_lost_one_is_told(app):
    """``extend`` renews every held lease in one pipeline and says which were lost: one
    that expired (gone) or that another poller took (another token)."""
    from backend.field.locks import extend

    with app.app_context():
        client = redis.current()
        keys = [LOCK_KEY.format(gateway_id=g) for g in (9001, 9002, 9003)]
        client.set(keys[0], "me:a", px=500)
        client.set(keys[1], "other:b", px=500)
        client.delete(keys[2])
        ok = extend(client, [(9001, "me:a"), (9002, "me:b"), (9003, "me:c")], 60_000)
        assert ok == [True, False, False]
        assert client.pttl(keys[0]) > 50_000          # renewed to the new lease
        assert client.pttl(keys[1]) <= 500            # the other poller's, untouched
        assert client.get(keys[1]) == "other:b" and not client.exists(keys[2])
        assert extend(client, [], 60_000) == []
        client.delete(*keys)
