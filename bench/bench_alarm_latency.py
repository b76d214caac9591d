"""Alarm latency: a fault injected into the simulator -> the template message arriving at
the WeChat stand-in, while a 2,000-breaker fleet is polled.

    python bench/bench_alarm_latency.py [--gateways 100] [--per-gateway 20] [--injections 100]

Everything runs as in production (``gridwarden up``'s own child definitions, without the
HTTP API): ``rq cron workers.schedule`` enqueues the poll jobs (fast every 2 s, normal
every 10 s), a SimpleWorker poller polls the simulator and evaluates the alarm rules right
after ingest, an RQ worker delivers the outbox through wechatpy to the stand-in. The
simulator (``python -m simulator``) and the stand-in (a thread here) stand for the field
and for WeChat.

Per injection: 280 V on one breaker through the simulator's fault API (the breaker trips
on over-voltage), then the time until (a) its latest values in Redis show the trip: the
*poll floor*, what any poll-based platform pays before it can know, measured in the same
run as the baseline; (b) the template message for that breaker's alarm arrives at the
stand-in: the alarm latency. Then the fault is cleared and the breaker closed by hand,
and the next injection goes to another breaker on another gateway.

Uses DATABASE_URL / REDIS_URL when set (creates one site and deletes it at the end);
otherwise embedded PostgreSQL and Redis in a temporary directory. Prints a markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import servers  # noqa: E402
from poll_fleet import cleanup_fleet, create_fleet, point_gateways  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_simulator(args, http_port: int, baud: int = 0, processes: int = 1):
    cmd = [sys.executable, "-m", "simulator", "--gateways", str(args.gateways),
           "--breakers-per-gateway", str(args.per_gateway), "--seed", str(args.seed),
           "--base-port", "0", "--http-port", str(http_port), "--tick", str(args.tick),
           "--reclose-delay", "600", "--bus-baud", str(baud)]
    if processes > 1:    # the fault API in the parent, the gateways served by workers
        cmd += ["--processes", str(processes)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GW_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    ports = {}
    for line in proc.stdout:
        parts = line.split()
        if line.startswith("gateway "):
            ports[parts[1].rstrip(":")] = int(parts[2].rsplit(":", 1)[1])
        if line.startswith("simulator ready"):
            return proc, ports
    raise RuntimeError(f"simulator exited with {proc.wait()}")


def sim_call(http_port: int, code: str, ops: dict) -> None:
    req = urllib.request.Request(f"http://127.0.0.1:{http_port}/api/devices/{code}",
                                 method="POST", data=json.dumps(ops).encode())
    with urllib.request.urlopen(req, timeout=5) as rsp:
        rsp.read()


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gateways", type=int, default=100)
    ap.add_argument("--per-gateway", type=int, default=20)
    ap.add_argument("--injections", type=int, default=100)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--timeout", type=float, default=30.0, help="per injection, seconds")
    ap.add_argument("--shards", type=int, default=1, help="poll shards (= poll workers)")
    ap.add_argument("--tick", type=float, default=1.0,
                    help="simulator model step, s (a fault set through its API is applied "
                         "and protection checked at once, whatever the tick)")
    args = ap.parse_args(argv)

    from backend import create_app
    from backend.extensions import db, redis
    from backend.models import Alarm
    from backend.runtime.supervisor import Supervisor
    from backend.runtime.up import app_children, child_environ, reset_metrics_dir
    from backend.telemetry.latest import latest_key
    from simulator.fleet import from_counts

    os.environ["GW_POLL_SHARDS"] = str(args.shards)   # the cron schedule reads the env
    settings, standin, close_servers = bench_platform("gw-bench-alarm-")
    tmp = settings.data_dir
    app = create_app(settings)
    http_port = free_port()
    spec = from_counts(args.gateways, args.per_gateway, seed=args.seed)
    sim, ports = start_simulator(args, http_port)
    sup = Supervisor()
    with app.app_context():
        site_id, gw_ids, devices = create_fleet(spec, timeout_ms=1000)
        point_gateways(gw_ids, ports)
        user_id = add_duty_user(site_id)
        code_of = {d.code: dev_id for (dev_id, *_), d in zip(devices, spec.devices)}
    floors, latencies, missed, marks = [], [], [], []
    try:
        reset_metrics_dir(tmp)    # prometheus_client's multiprocess files, as `up` does
        env = child_environ(settings)
        children = [c for c in app_children(settings, env, bind="127.0.0.1:0")
                    if c.name != "api"]
        for child in children:
            sup.start(child)
        breakers = [d.code for d in spec.devices if d.kind == "breaker"]
        per_gw = max(1, len(breakers) // args.gateways)
        targets = [breakers[(i % args.gateways) * per_gw + (i // args.gateways) % per_gw]
                   for i in range(args.injections)]
        with app.app_context():
            wait_until(lambda: redis.exists(latest_key(code_of[targets[-1]])), 60,
                       "first poll of the fleet")
            time.sleep(3)
            cpu = CpuMeter({"poller": [c.proc.pid for c in children
                                       if c.name.startswith("poller")],
                            "simulator": [sim.pid],
                            "other workers and scheduler": [
                                c.proc.pid for c in children
                                if not c.name.startswith("poller")]})
            for n, code in enumerate(targets):
                device_id = code_of[code]
                t0 = time.time()
                sim_call(http_port, code, {"set": {"voltage": 280}})
                floor = wait_until(lambda: tripped(redis, latest_key(device_id)), args.timeout,
                                   None)
                alarm_id = wait_until(lambda: open_alarm(db, Alarm, device_id), args.timeout,
                                      None)
                msg = alarm_id and wait_until(
                    lambda: message_for(standin, alarm_id), args.timeout, None)
                if floor and msg:
                    floors.append(floor - t0)
                    latencies.append(msg - t0)
                    st = stages(db, alarm_id)
                    if st:
                        marks.append((st[0] - t0, st[1] - t0))
                else:
                    missed.append(f"{code} (alarm {alarm_id}: {diagnose(db, device_id)}; "
                                  f"{workers_state(redis)})")
                sim_call(http_port, code, {"clear": ["voltage"], "hand": "closed"})
                print(f"  {n + 1}/{len(targets)} {code}: poll floor "
                      f"{(floor or t0) - t0:.2f} s, message {(msg or t0) - t0:.2f} s",
                      file=sys.stderr)
        cpu_use = cpu.rates()
    finally:
        sup.stop_all()
        sim.terminate()
        sim.wait(10)
        with app.app_context():
            from sqlalchemy import text

            db.session.rollback()
            others = db.session.execute(text(
                "SELECT rule, level, count(*) FROM alarms WHERE site_id = :s AND NOT "
                "(rule = 'over_voltage' AND trip_cause IS NOT NULL) GROUP BY 1, 2"),
                {"s": site_id}).all()
            background = ", ".join(f"{r} {lv}: {n}" for r, lv, n in others) or "none"
            delete_bench_site(site_id, user_id, list(code_of.values()))
        standin.shutdown()
        close_servers()
    print(report(args, floors, latencies, missed, settings) + stage_line(floors, latencies,
                                                                          marks))
    print("\nCPU during the injections, % of one core: " + ", ".join(
        f"{name} {100 * rate:.0f} %" for name, rate in cpu_use.items())
        + f" (load average {os.getloadavg()[0]:.1f} at the end)")
    print(f"\nother alarms raised meanwhile (the fleet's own): {background}")
    return 0 if latencies else 1


def bench_platform(prefix: str):
    """The servers (embedded unless DATABASE_URL / REDIS_URL), migrated, the WeChat
    stand-in in a thread and the settings pointing every channel at it: (settings,
    stand-in server, close_servers)."""
    from backend.config import Settings
    from backend.migrate import upgrade_head
    from standins import serve_in_thread
    from standins.state import StandinConfig

    db_url, redis_url, close_servers = servers(prefix)
    standin, standin_url = serve_in_thread()
    settings = Settings.from_env().with_overrides(
        env="development", database_url=db_url, redis_url=redis_url,
        data_dir=Path(tempfile.mkdtemp(prefix=prefix + "data-")), log_level="WARNING",
        wechat_api_base_url=standin_url + "/", wechat_appid="wxbench000000001",
        wechat_secret=StandinConfig().wechat_secret, wechat_template_alarm="BENCH-ALARM",
        wxa_appid="wxbench000000002", sms_provider="none")
    upgrade_head(db_url)
    return settings, standin, close_servers


def add_duty_user(site_id: int) -> int:
    """A staff user of the site whose alarm messages go to the stand-in (template)."""
    from backend.accounts.operations import hash_password
    from backend.extensions import db
    from backend.models import NotifyProfile, Role, Site, User

    user = User(username=f"bench-duty-{site_id}", password_hash=hash_password("x" * 16),
                role=Role.staff, sites=[db.session.get(Site, site_id)])
    db.session.add(user)
    db.session.flush()
    db.session.add(NotifyProfile(user_id=user.id, oa_openid="bench-duty",
                                 channels=["wechat_template"]))
    db.session.commit()
    return user.id


def delete_bench_site(site_id: int, user_id: int, device_ids: list[int]) -> None:
    """The bench site's alarms, messages, duty user and fleet, gone."""
    from sqlalchemy import text

    from backend.extensions import db

    db.session.rollback()
    for sql in ("DELETE FROM notifications WHERE user_id = :u",
                "DELETE FROM alarm_rule_states WHERE device_id = ANY(:ids)",
                "DELETE FROM alarm_events WHERE alarm_id IN "
                "(SELECT id FROM alarms WHERE site_id = :s)",
                "DELETE FROM alarms WHERE site_id = :s",
                "DELETE FROM notify_profiles WHERE user_id = :u",
                "DELETE FROM user_sites WHERE user_id = :u",
                "DELETE FROM users WHERE id = :u"):
        db.session.execute(text(sql), {"s": site_id, "u": user_id, "ids": device_ids})
    db.session.commit()
    cleanup_fleet(site_id, device_ids)


class CpuMeter:
    """CPU seconds of groups of processes (children included) from now on."""

    def __init__(self, groups: dict[str, list[int]]):
        import psutil

        self.groups = {name: [psutil.Process(pid) for pid in pids]
                       for name, pids in groups.items()}
        self.t0, self.start = time.perf_counter(), self._totals()

    def _totals(self) -> dict[str, float]:
        out = {}
        for name, procs in self.groups.items():
            total = 0.0
            for p in procs:
                try:   # with the children it has waited for (forked jobs)
                    t = p.cpu_times()
                    total += t.user + t.system + t.children_user + t.children_system
                    live = p.children(recursive=True)
                except Exception:
                    continue
                for q in live:
                    try:
                        t = q.cpu_times()
                        total += t.user + t.system
                    except Exception:   # a forked job that just ended
                        pass
            out[name] = total
        return out

    def rates(self) -> dict[str, float]:
        elapsed = time.perf_counter() - self.t0
        now = self._totals()
        return {name: (now[name] - self.start[name]) / elapsed for name in now}


def wait_until(check, timeout: float, what: str | None):
    """Poll ``check`` every 20 ms; return its result or the time it became true."""
    end = time.time() + timeout
    while time.time() < end:
        got = check()
        if got:
            return got
        time.sleep(0.02)
    if what:
        raise RuntimeError(f"timed out waiting for {what}")
    return None


def tripped(redis, key: str) -> float | None:
    raw = redis.get(key)
    if raw and json.loads(raw).get("trip_cause", {}).get("v") == "over_voltage":
        return time.time()
    return None


def open_alarm(db, Alarm, device_id: int) -> int | None:
    from sqlalchemy import select

    db.session.rollback()            # a fresh snapshot: the poller commits in another process
    return db.session.execute(select(Alarm.id).where(
        Alarm.device_id == device_id, Alarm.rule == "over_voltage",
        Alarm.state.in_(("active", "acknowledged")))).scalar()


def diagnose(db, device_id: int) -> str:
    from sqlalchemy import text

    rows = db.session.execute(text(
        "SELECT a.id, a.rule, a.level, a.state, n.status, n.last_error FROM alarms a "
        "LEFT JOIN notifications n ON n.alarm_id = a.id WHERE a.device_id = :d"),
        {"d": device_id}).all()
    return "; ".join(" ".join(str(x) for x in r) for r in rows) or "no alarm"


def workers_state(redis) -> str:
    """What the RQ workers were doing when a message was missed."""
    from rq import Queue, Worker

    conn = redis.raw()
    busy = [f"{w.name[:6]}:{w.state}:{(w.get_current_job() or type('', (), {'description': '-'})).description}"
            for w in Worker.all(connection=conn)]
    queued = {q: Queue(q, connection=conn).count for q in ("notify", "alarms", "poll",
                                                           "periodic")}
    return f"workers {busy}, queued {queued}"


def stages(db, alarm_id: int) -> tuple[float, float] | None:
    """(epoch s) when the alarm's first notification row was written (the poll job's
    alarm evaluation) and when a delivery worker started its first attempt."""
    from sqlalchemy import text

    db.session.rollback()
    row = db.session.execute(text(
        "SELECT n.created_at, min(a.started_at) FROM notifications n JOIN "
        "notification_attempts a ON a.notification_id = n.id WHERE n.alarm_id = :a "
        "GROUP BY n.id ORDER BY n.created_at LIMIT 1"), {"a": alarm_id}).first()
    return (row[0].timestamp(), row[1].timestamp()) if row else None


def stage_line(floors, latencies, marks) -> str:
    """Where the alarm latency goes, medians over the injections (s from injection)."""
    if not marks:
        return ""
    med = statistics.median
    return ("\nMedian stages from the injection: trip in the latest values "
            f"{med(floors):.2f} s, notification row written (alarm evaluated) "
            f"{med(m[0] for m in marks):.2f} s, delivery attempt started "
            f"{med(m[1] for m in marks):.2f} s, message at the stand-in {med(latencies):.2f} s.")


def message_for(standin, alarm_id: int) -> float | None:
    state = standin.app.extensions["standin_state"]
    for m in state.list_messages("wechat_template"):
        payload = m["payload"]
        page = (payload.get("miniprogram") or {}).get("pagepath", "")
        if page.endswith(f"id={alarm_id}") or payload.get("url", "").endswith(f"/{alarm_id}"):
            return m["received_at"]
    return None


def report(args, floors, latencies, missed, settings) -> str:
    fast = settings.poll_fast_seconds
    lines = [
        f"Alarm latency, {args.gateways * args.per_gateway} breakers behind {args.gateways} "
        f"gateways, fast poll {fast} s, {args.shards} poll worker(s), simulator tick "
        f"{args.tick} s, {len(latencies)} of {args.injections} injections "
        f"measured ({platform.python_version()}, {os.cpu_count()} CPUs)",
        "",
        "| from injection to | p50 s | p95 s | max s | target |",
        "|---|---|---|---|---|",
    ]
    if floors:
        lines.append(f"| trip visible in latest values (poll floor, baseline) | "
                     f"{statistics.median(floors):.2f} | {pct(floors, .95):.2f} | "
                     f"{max(floors):.2f} | |")
    if latencies:
        lines.append(f"| template message at the stand-in | {statistics.median(latencies):.2f} "
                     f"| {pct(latencies, .95):.2f} | {max(latencies):.2f} | p95 <= {fast + 1} s "
                     f"(GB 31252 allows 30 s) |")
    if missed:
        lines.append(f"\nmissed (no message within {args.timeout} s): {', '.join(missed)}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
