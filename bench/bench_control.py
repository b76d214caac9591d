"""Control latency: ``POST /devices/{id}/commands`` -> the command ``confirmed`` (read back
from the breaker), while a 2,000-breaker fleet is polled.

    python bench/bench_control.py [--gateways 100] [--per-gateway 20] [--commands 200]
                                  [--baud 19200]

Everything runs as in production (``gridwarden up``'s own child definitions: gunicorn, the
cron scheduler, the poll worker with its control runner, an RQ worker); the simulator
(``python -m simulator``, optionally emulating an RS-485 bus at ``--baud``) stands for
the field. Per command: an ``open`` of one breaker (each on another gateway, in turn) over
HTTP, then the time until its row says ``confirmed``; one at a time, so each is measured
alone. The baseline in the same run is the *poll floor*: a breaker operated by hand in
the simulator, and the time until its latest values in Redis show it, i.e. what a
platform that confirms by polling pays. Targets (issue 10): p95 < 1 s without bus
emulation, < 1.5 s at 19,200 baud.

Uses DATABASE_URL / REDIS_URL when set (creates one site and deletes it at the end);
otherwise embedded PostgreSQL and Redis in a temporary directory. Prints a markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_alarm_latency import pct, sim_call, start_simulator, wait_until  # noqa: E402
from benchlib import free_port, servers  # noqa: E402
from poll_fleet import cleanup_fleet, create_fleet, point_gateways  # noqa: E402


def http(url: str, body=None, headers=None):
    req = urllib.request.Request(url, method="POST" if body is not None else "GET",
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req, timeout=15) as rsp:
        return json.loads(rsp.read())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gateways", type=int, default=100)
    ap.add_argument("--per-gateway", type=int, default=20)
    ap.add_argument("--commands", type=int, default=200)
    ap.add_argument("--floor-samples", type=int, default=40)
    ap.add_argument("--baud", type=int, default=0, help="RS-485 bus emulation (0: off)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--tick", type=float, default=0.2, help="simulator model step, s")
    args = ap.parse_args(argv)
    args.timeout = 10.0

    from backend import create_app
    from backend.accounts.operations import hash_password
    from backend.config import Settings
    from backend.extensions import db, redis
    from backend.migrate import upgrade_head
    from backend.models import Command, Role, Site, User
    from backend.runtime.supervisor import Supervisor
    from backend.runtime.up import app_children, child_environ
    from backend.telemetry.latest import latest_key
    from simulator.fleet import from_counts

    db_url, redis_url, close_servers = servers("gw-bench-control-")
    tmp = Path(tempfile.mkdtemp(prefix="gw-bench-control-data-"))
    settings = Settings.from_env().with_overrides(
        env="development", database_url=db_url, redis_url=redis_url, data_dir=tmp,
        log_level="WARNING", sms_provider="none", control_min_interval_seconds=0)
    upgrade_head(db_url)
    app = create_app(settings)
    spec = from_counts(args.gateways, args.per_gateway, seed=args.seed)
    sim_args = argparse.Namespace(gateways=args.gateways, per_gateway=args.per_gateway,
                                  seed=args.seed, tick=args.tick)
    sim_port = free_port()
    sim, ports = start_simulator(sim_args, sim_port, baud=args.baud)
    api_port = free_port()
    sup = Supervisor()
    password = uuid.uuid4().hex
    with app.app_context():
        site_id, gw_ids, devices = create_fleet(spec, timeout_ms=1000)
        point_gateways(gw_ids, ports)
        user = User(username=f"bench-manager-{site_id}", password_hash=hash_password(password),
                    role=Role.manager, sites=[db.session.get(Site, site_id)])
        db.session.add(user)
        db.session.commit()
        username, user_id = user.username, user.id
        code_of = {d.code: dev_id for (dev_id, *_), d in zip(devices, spec.devices)}
    floors, latencies, failed = [], [], []
    api = f"http://127.0.0.1:{api_port}/api/v1"
    try:
        env = child_environ(settings)
        for child in app_children(settings, env, bind=f"127.0.0.1:{api_port}"):
            sup.start(child)
        codes = [d.code for d in spec.devices]
        order = [codes[(i % args.gateways) * args.per_gateway + (i // args.gateways)
                       % args.per_gateway] for i in range(len(codes))]
        with app.app_context():
            wait_until(lambda: redis.exists(latest_key(code_of[order[-1]])), 90,
                       "first poll of the fleet")
            wait_until(lambda: _up(api), 60, "the API")
            token = http(f"{api}/auth/login", {"username": username, "password": password})
            auth = {"Authorization": f"Bearer {token['access_token']}"}
            time.sleep(3)
            for code in order[:args.floor_samples]:           # the baseline
                key = latest_key(code_of[code])
                time.sleep(random.uniform(0, settings.poll_fast_seconds))   # any phase
                t0 = time.time()
                sim_call(sim_port, code, {"hand": "open"})
                seen = until(lambda: _shows(redis, key, "open"), args.timeout)
                if seen:
                    floors.append(seen - t0)
                sim_call(sim_port, code, {"hand": "closed"})
            time.sleep(3)
            targets = order[args.floor_samples:args.floor_samples + args.commands]
            for n, code in enumerate(targets):
                t0 = time.time()
                cmd = http(f"{api}/devices/{code_of[code]}/commands",
                           {"action": "open", "reason": "bench"},
                           {**auth, "Idempotency-Key": uuid.uuid4().hex})
                done = until(lambda: _settled(db, Command, cmd["id"]), args.timeout)
                state = _settled(db, Command, cmd["id"])
                if done and state == "confirmed":
                    latencies.append(done - t0)
                else:
                    failed.append(f"{code}: {state}")
                if (n + 1) % 50 == 0:
                    print(f"  {n + 1}/{len(targets)}: p50 {statistics.median(latencies):.3f} s",
                          file=sys.stderr)
    finally:
        sup.stop_all()
        sim.terminate()
        sim.wait(10)
        with app.app_context():
            from sqlalchemy import text

            db.session.rollback()
            for sql in ("DELETE FROM command_events WHERE command_id IN "
                        "(SELECT id FROM commands WHERE site_id = :s)",
                        "DELETE FROM commands WHERE site_id = :s",
                        "DELETE FROM audit_log WHERE site_id = :s",
                        "DELETE FROM refresh_families WHERE user_id = :u",
                        "DELETE FROM user_sites WHERE user_id = :u",
                        "DELETE FROM users WHERE id = :u"):
                db.session.execute(text(sql), {"s": site_id, "u": user_id})
            db.session.commit()
            cleanup_fleet(site_id, list(code_of.values()))
        close_servers()
        shutil.rmtree(tmp, ignore_errors=True)
    print(report(args, floors, latencies, failed, settings))
    return 0 if latencies else 1


def until(check, timeout: float, every: float = 0.005) -> float | None:
    """The time ``check()`` first came true (checked every 5 ms), None after ``timeout``."""
    end = time.time() + timeout
    while time.time() < end:
        if check():
            return time.time()
        time.sleep(every)
    return None


def _up(api: str) -> bool:
    try:
        with urllib.request.urlopen(api.rsplit("/api/", 1)[0] + "/readyz", timeout=2):
            return True
    except OSError:
        return False


def _shows(redis, key: str, state: str) -> bool:
    raw = redis.get(key)
    return bool(raw) and json.loads(raw).get("switch_state", {}).get("v") == state


def _settled(db, Command, command_id: int) -> str | None:
    db.session.rollback()
    state = db.session.get(Command, command_id, populate_existing=True).state
    return state if state not in ("requested", "queued", "sent") else None


def report(args, floors, latencies, failed, settings) -> str:
    bus = f"RS-485 emulated at {args.baud} baud" if args.baud else "no bus emulation"
    target = 1.5 if args.baud else 1.0
    lines = [
        f"Control latency, {args.gateways * args.per_gateway} breakers behind {args.gateways} "
        f"gateways polled (fast {settings.poll_fast_seconds} s), {bus}, "
        f"{len(latencies)} of {args.commands} commands confirmed "
        f"({platform.python_version()}, {os.cpu_count()} CPUs)",
        "",
        "| from | p50 s | p95 s | max s | target |",
        "|---|---|---|---|---|",
    ]
    if floors:
        lines.append(f"| hand operation to latest values (poll floor, baseline) | "
                     f"{statistics.median(floors):.3f} | {pct(floors, .95):.3f} | "
                     f"{max(floors):.3f} | |")
    if latencies:
        lines.append(f"| API call to `confirmed` (read back) | {statistics.median(latencies):.3f}"
                     f" | {pct(latencies, .95):.3f} | {max(latencies):.3f} | p95 < {target} s |")
    if failed:
        lines.append(f"\nnot confirmed: {', '.join(failed[:20])}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
