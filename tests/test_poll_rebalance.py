"""Worker loss, with real processes: two ``gridwarden poller`` processes and the cron
scheduler (``gridwarden scheduler``, 2 shards) against the simulator. The poller holding a
gateway is killed with SIGKILL; its lock lapses within one fast interval (a lease renewed
by the live holder, backend/field/locks.py) and the other poller polls that gateway at
its next cycle. No fixed ports: the simulator takes free ones, the pollers serve none."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.registry import FinishedJobRegistry
from sqlalchemy import select, text

from backend.accounts.security import Actor
from backend.extensions import db, redis
from backend.facility.transfer import import_yaml
from backend.field.locks import LOCK_KEY
from backend.models import Device, Gateway
from backend.runtime import up
from simulator.engine import SimConfig, SimulatorThread
from simulator.fleet import from_facility

ROOT = Path(__file__).resolve().parent.parent
FACILITY = ROOT / "examples" / "facility.yaml"
SILENT = "GW-JQ1"
WAIT = 120.0    # a failure's deadline (start-up on a loaded machine), never asserted


@pytest.fixture(scope="module")
def sim():
    fleet = from_facility(FACILITY)
    for g in fleet.gateways:
        g.port = 0
    config = SimConfig(tick=0.1, seed=5, start_time=19 * 3600, reclose_delay=30, http_port=0)
    with SimulatorThread(fleet, config) as thread:
        yield thread


def sim_api(sim, path, body):
    req = urllib.request.Request(sim.sim.http_url + path, method="POST",
                                 data=json.dumps(body).encode())
    with urllib.request.urlopen(req, timeout=5) as rsp:
        return json.loads(rsp.read())


def until(what, check, deadline=WAIT):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"not within {deadline:.0f} s: {what}")


def test_a_killed_pollers_gateways_are_polled_by_the_other_within_one_cycle(
        app, settings, sim, tmp_path):
    with app.app_context():
        import_yaml(Actor.system("test"), FACILITY.read_text(encoding="utf-8"))
        for gw in db.session.scalars(select(Gateway)):
            gw.port = sim.sim.gateways[gw.code].port
            # the silent one's poll lasts its 4 attempts (12 s): its lock is held meanwhile
            gw.timeout_ms = 3000 if gw.code == SILENT else 300
        db.session.commit()
        silent = db.session.scalar(select(Gateway.id).where(Gateway.code == SILENT))
        devices = list(db.session.scalars(select(Device.id).where(Device.gateway_id == silent)))
    key = LOCK_KEY.format(gateway_id=silent)
    fast = settings.poll_fast_seconds
    env = up.child_environ(settings.with_overrides(data_dir=tmp_path, poll_shards=2))
    env["GW_POLL_SHARDS"] = "2"
    up.metrics_dir(tmp_path).mkdir(parents=True, exist_ok=True)
    procs = {}

    def spawn(name, role, **extra):
        log = open(tmp_path / f"{name}.log", "wb")
        procs[name] = subprocess.Popen([sys.executable, "-m", "backend.cli", role],
                                       env={**env, **extra}, cwd=ROOT, stdout=log,
                                       stderr=subprocess.STDOUT)

    sim_api(sim, f"/api/gateways/{SILENT}", {"silent": True})
    try:
        spawn("a", "poller", GW_POLLER_ID="box-a:poller")
        spawn("b", "poller", GW_POLLER_ID="box-b:poller")
        spawn("scheduler", "scheduler")
        with app.app_context():
            skipped, killed = _kill_the_holder(app, procs, key, fast, devices, sim)
        # Counted in cycles: the survivor's fast jobs that found the gateway still locked
        # after the kill. The lease lapses within one fast interval, so at most the one
        # cycle in progress when the poller died (one more on a starved machine).
        rq = Redis.from_url(settings.redis_url)
        queue = Queue("poll", connection=rq)
        registry = FinishedJobRegistry(queue=queue)
        jobs = [queue.fetch_job(i) for i in registry.get_job_ids()]
        for job in filter(None, jobs):
            if job.ended_at and job.ended_at.replace(tzinfo=timezone.utc) > killed:
                result = job.return_value() or {}
                if result.get("rate") == "fast" and silent in result.get("skipped_locked", ()):
                    skipped.append((job.started_at, job.ended_at))
        assert len(skipped) <= 2, (killed, skipped)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        sim_api(sim, f"/api/gateways/{SILENT}", {"silent": False})


def _kill_the_holder(app, procs, key, fast, devices, sim):
    """Kill (SIGKILL) whichever poller started the silent gateway's poll, so holds its
    lock; then wait until the other one has polled every device of it."""
    # Whichever poller started the silent gateway's poll holds its lock: kill that one.
    owner = until("a poller holds the silent gateway",
                  lambda: (redis.get(key) or "").split(":poller:")[0] or None)
    victim, survivor = ("a", "b") if owner == "box-a" else ("b", "a")
    assert owner in ("box-a", "box-b")
    procs[victim].send_signal(signal.SIGKILL)
    procs[victim].wait(timeout=10)
    killed = datetime.now(timezone.utc)
    sim_api(sim, f"/api/gateways/{SILENT}", {"silent": False})
    # Nobody renews it now: at most one fast interval left (it was 30 s, extended at
    # every job, before leases).
    assert redis.pttl(key) <= fast * 1000
    assert procs[survivor].poll() is None

    def polled_after_kill():
        with app.app_context():
            return db.session.scalar(text(
                "SELECT count(DISTINCT device_id) FROM readings "
                "WHERE device_id = ANY(:ids) AND ts > :t"),
                {"ids": devices, "t": killed}) == len(devices)
    until("the survivor polls the killed poller's gateway", polled_after_kill)
    return [], killed
