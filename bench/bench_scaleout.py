"""Scale-out: 1, 2 and 4 poll workers on one Redis and one PostgreSQL against one fleet.

    python bench/bench_scaleout.py [--gateways 500] [--per-gateway 20] [--workers 1,2,4]
                                   [--window 60] [--injections 10] [--sim-processes 2]

The platform runs as ``gridwarden up`` runs it (its own child definitions, without the
HTTP API): ``rq cron workers.schedule`` enqueues one poll job per shard (fast every 2 s,
normal every 10 s), N ``PollWorker`` processes take them (``GW_POLL_SHARDS`` = N), RQ
workers deliver notifications to the WeChat stand-in. The simulator serves the fleet from
``--sim-processes`` processes (``python -m simulator --processes``). For each worker count,
after every device has been polled once:

- over ``--window`` seconds, from the workers' own Prometheus files (multiprocess mode):
  device polls per second against what the schedule asks (every device at the fast and
  the normal rate), rows stored per second, the poll job's mean duration per rate; the
  CPU of the poll workers per device poll, and the simulator's beside it (psutil);
- alarm latency: ``--injections`` over-voltage trips through the simulator's fault API,
  each to the template message at the stand-in (as bench_alarm_latency.py), with the
  poll floor (the trip seen in the latest values) as the in-run baseline;
- with more than one worker, worker loss: one poll worker is killed (SIGKILL) and the
  time until every gateway it held has been polled again by the others is measured
  (its leases lapse within one fast interval: backend/field/locks.py).

Uses DATABASE_URL / REDIS_URL when set (creates one site and deletes it at the end);
otherwise embedded PostgreSQL and Redis in a temporary directory. Prints markdown tables.
"""
from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_alarm_latency import (  # noqa: E402
    CpuMeter,
    add_duty_user,
    bench_platform,
    delete_bench_site,
    free_port,
    message_for,
    open_alarm,
    pct,
    sim_call,
    stage_line,
    stages,
    start_simulator,
    tripped,
    wait_until,
)
from poll_fleet import create_fleet, point_gateways  # noqa: E402


def counters(path: str) -> dict:
    """The poll path's totals so far, summed over every process's metrics file."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    reg = CollectorRegistry()
    MultiProcessCollector(reg, path=path)
    out = {"polls": 0.0, "rows": 0.0}
    for family in reg.collect():
        for s in family.samples:
            if s.name == "gridwarden_device_polls_total":
                out["polls"] += s.value
            elif s.name == "gridwarden_readings_total":
                out["rows"] += s.value
            elif s.name.startswith("gridwarden_poll_cycle_seconds_") and "le" not in s.labels:
                key = (s.name.rsplit("_", 1)[1], s.labels["rate"])   # (sum|count, rate)
                out[key] = out.get(key, 0.0) + s.value
    return out


def freshest(redis, latest_key, device_ids) -> dict[int, float]:
    """Per device, the newest ts (epoch s) in its latest-values document."""
    import orjson

    out = {}
    for d, raw in zip(device_ids, redis.mget([latest_key(d) for d in device_ids])):
        if raw:
            doc = orjson.loads(raw)
            ts = max((c.get("ts", "") for c in doc.values()), default="")
            if ts:
                out[d] = datetime.fromisoformat(ts).timestamp()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gateways", type=int, default=500)
    ap.add_argument("--per-gateway", type=int, default=20)
    ap.add_argument("--workers", default="1,2,4", help="poll worker counts, in turn")
    ap.add_argument("--window", type=float, default=60.0, help="throughput window, s")
    ap.add_argument("--injections", type=int, default=10, help="alarm injections per count")
    ap.add_argument("--sim-processes", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--tick", type=float, default=1.0, help="simulator model step, s")
    ap.add_argument("--timeout", type=float, default=60.0, help="per injection, s")
    ap.add_argument("--first-poll-wait", type=float, default=300.0,
                    help="at most this long for every device's first poll, s")
    args = ap.parse_args(argv)
    counts = [int(x) for x in args.workers.split(",")]

    from backend import create_app
    from simulator.fleet import from_counts

    base, standin, close_servers = bench_platform("gw-bench-scale-")
    app = create_app(base)
    http_port = free_port()
    spec = from_counts(args.gateways, args.per_gateway, seed=args.seed)
    t_sim = time.perf_counter()
    sim, ports = start_simulator(args, http_port, processes=args.sim_processes)
    print(f"simulator up in {time.perf_counter() - t_sim:.0f} s "
          f"({args.sim_processes} processes)", file=sys.stderr)
    results = []
    with app.app_context():
        site_id, gw_ids, devices = create_fleet(spec, timeout_ms=1000)
        point_gateways(gw_ids, ports)
        user_id = add_duty_user(site_id)
        code_of = {d.code: dev_id for (dev_id, *_), d in zip(devices, spec.devices)}
        gw_of = {dev_id: gw for dev_id, gw, *_ in devices}
    ids = sorted(code_of.values())
    breakers = [d.code for d in spec.devices if d.kind == "breaker"]
    try:
        for n, workers in enumerate(counts):
            settings = base.with_overrides(poll_shards=workers)
            with app.app_context():
                results.append(run_one(args, settings, workers, n, ids, breakers, code_of,
                                       gw_of, gw_ids, sim, http_port, standin))
    finally:
        sim.terminate()
        sim.wait(10)
        with app.app_context():
            delete_bench_site(site_id, user_id, ids)
        standin.shutdown()
        close_servers()
    print(report(args, base, results))
    return 0


def run_one(args, settings, workers, n, ids, breakers, code_of, gw_of, gw_ids, sim,
            http_port, standin) -> dict:
    from backend.extensions import db, redis
    from backend.models import Alarm
    from backend.runtime.supervisor import Supervisor
    from backend.runtime.up import app_children, child_environ, reset_metrics_dir
    from backend.telemetry.latest import latest_key

    mdir = reset_metrics_dir(settings.data_dir)
    env = child_environ(settings)
    children = [c for c in app_children(settings, env, bind="127.0.0.1:0") if c.name != "api"]
    sup = Supervisor()
    for child in children:
        sup.start(child)
    pollers = [c for c in children if c.name.startswith("poller")]
    out = {"workers": workers}
    try:
        started = time.time()

        def polled():
            return sum(ts > started for ts in freshest(redis, latest_key, ids).values())
        # Every device polled once, or as many as an overloaded machine manages.
        wait_until(lambda: polled() == len(ids), args.first_poll_wait, None)
        out["first_poll"] = (polled(), time.time() - started)
        time.sleep(3)
        cpu = CpuMeter({"pollers": [c.proc.pid for c in pollers], "simulator": [sim.pid]})
        c0, t0 = counters(str(mdir)), time.perf_counter()
        time.sleep(args.window)
        c1, elapsed = counters(str(mdir)), time.perf_counter() - t0
        rates = cpu.rates()
        polls = (c1["polls"] - c0["polls"]) / elapsed
        fast, normal = settings.poll_fast_seconds, settings.poll_normal_seconds
        out.update(polls=polls, demand=len(ids) * (1 / fast + 1 / normal),
                   rows=(c1["rows"] - c0["rows"]) / elapsed,
                   cpu_ms=1000 * rates["pollers"] / polls if polls else float("nan"),
                   sim_ms=1000 * rates["simulator"] / polls if polls else float("nan"),
                   poller_cores=rates["pollers"], sim_cores=rates["simulator"])
        for rate in ("fast", "normal"):
            k = c1.get(("count", rate), 0) - c0.get(("count", rate), 0)
            s = c1.get(("sum", rate), 0) - c0.get(("sum", rate), 0)
            out[f"job_{rate}"] = s / k if k else float("nan")
        floors, latencies, marks = [], [], []
        per_gw = max(1, len(breakers) // args.gateways)
        for i in range(args.injections):
            # A different breaker and gateway for each injection and each worker count.
            g = (i * 37 + n * 11) % args.gateways
            code = breakers[g * per_gw + (i + n) % per_gw]
            device_id = code_of[code]
            t = time.time()
            sim_call(http_port, code, {"set": {"voltage": 280}})
            floor = wait_until(lambda: tripped(redis, latest_key(device_id)), args.timeout, None)
            alarm_id = wait_until(lambda: open_alarm(db, Alarm, device_id), args.timeout, None)
            msg = alarm_id and wait_until(lambda: message_for(standin, alarm_id),
                                          args.timeout, None)
            if floor and msg:
                floors.append(floor - t)
                latencies.append(msg - t)
                st = stages(db, alarm_id)
                if st:
                    marks.append((st[0] - t, st[1] - t))
            sim_call(http_port, code, {"clear": ["voltage"], "hand": "closed"})
            print(f"  {workers} worker(s) {i + 1}/{args.injections} {code}: floor "
                  f"{(floor or t) - t:.2f} s, message {(msg or t) - t:.2f} s", file=sys.stderr)
        out.update(floors=floors, latencies=latencies, marks=marks)
        if workers > 1:
            out["loss"] = worker_loss(pollers, ids, gw_of, gw_ids, settings)
    finally:
        sup.stop_all()
    print(f"{workers} worker(s): {out.get('polls', 0):.0f} device polls/s of "
          f"{out.get('demand', 0):.0f} asked", file=sys.stderr)
    return out


def worker_loss(pollers, ids, gw_of, gw_ids, settings) -> dict:
    """SIGKILL one poll worker; seconds until each gateway it held is polled again."""
    from backend.extensions import redis
    from backend.field.locks import LOCK_KEY, owner_of
    from backend.telemetry.latest import latest_key

    victim = pollers[-1]
    ident = victim.env["GW_POLLER_ID"]
    held = set()
    deadline = time.time() + 30
    while not held and time.time() < deadline:     # a moment when it holds gateways
        for code, gid in gw_ids.items():
            if owner_of(redis.get(LOCK_KEY.format(gateway_id=gid))) == ident:
                held.add(code)
        time.sleep(0.05)
    if not held:
        return {"held": 0}
    victim.proc.send_signal(signal.SIGKILL)
    killed = time.time()
    mine = [d for d in ids if gw_of[d] in held]
    back = wait_until(lambda: min(freshest(redis, latest_key, mine).values(), default=0)
                      > killed and time.time(), 120, None)
    return {"held": len(held), "devices": len(mine),
            "seconds": (back - killed) if back else None,
            "fast": settings.poll_fast_seconds}


def report(args, settings, results) -> str:
    fleet = args.gateways * args.per_gateway
    lines = [
        f"Scale-out, {fleet:,} breakers behind {args.gateways} gateways, fast poll "
        f"{settings.poll_fast_seconds:g} s, normal {settings.poll_normal_seconds:g} s, "
        f"simulator in {args.sim_processes} processes, window {args.window:g} s "
        f"({platform.python_version()}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} at the end)", "",
        "| poll workers | device polls/s (asked) | polls / asked | rows/s | poll job s, "
        "fast / normal | poller CPU ms per device poll (cores) | simulator ms (cores) "
        "| poll floor p50 / p95 s | alarm p50 / p95 s (n) |",
        "|---|---|---|---|---|---|---|---|---|"]
    one = results[0]["polls"] if results else 0
    starts = "; ".join(f"{r['workers']} worker(s): {r['first_poll'][0]:,} of {fleet:,} in "
                       f"{r['first_poll'][1]:.0f} s" for r in results)
    lines.insert(1, f"\nFirst poll of the fleet after start: {starts}.")
    for r in results:
        lat, fl = r["latencies"], r["floors"]
        scale = f", {r['polls'] / one:.2f}x of 1 worker" if one and r is not results[0] else ""
        lines.append(
            f"| {r['workers']} | {r['polls']:,.0f} ({r['demand']:,.0f}){scale} "
            f"| {100 * r['polls'] / r['demand']:.0f} % | {r['rows']:,.0f} "
            f"| {r['job_fast']:.2f} / {r['job_normal']:.2f} "
            f"| {r['cpu_ms']:.3f} ({r['poller_cores']:.2f}) "
            f"| {r['sim_ms']:.3f} ({r['sim_cores']:.2f}) "
            + (f"| {statistics.median(fl):.2f} / {pct(fl, .95):.2f} "
               f"| {statistics.median(lat):.2f} / {pct(lat, .95):.2f} ({len(lat)}) |"
               if lat else "| — | — (0) |"))
    for r in results:
        if r["marks"]:
            lines.append(f"\n{r['workers']} worker(s):"
                         + stage_line(r["floors"], r["latencies"], r["marks"]).lstrip("\n"))
    for r in results:
        loss = r.get("loss")
        if loss and loss.get("held"):
            took = f"{loss['seconds']:.1f} s" if loss["seconds"] is not None else "not within 120 s"
            lines.append(f"\nWorker loss ({r['workers']} workers): one killed while holding "
                         f"{loss['held']} gateways ({loss['devices']} devices); all of them "
                         f"polled again by the others after {took} (fast interval "
                         f"{loss['fast']:g} s).")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
