"""Polling a simulated breaker fleet: our poller against a naive baseline, in one run.

    python bench/bench_poll.py [--gateways 100] [--per-gateway 20] [--cycles 5] [--baud 19200]

The simulator runs in its own process (``python -m simulator``, one TCP port per gateway on
127.0.0.1, ports read from its start-up lines), started twice: without bus latency, then
with RS-485 emulation (``--bus-baud``), the latter optionally split over
``--sim-processes`` worker processes (``--processes``: each models the whole fleet and
serves a slice of the gateways; the simulator's CPU then counts all of them). The fleet
(a site, its gateways and gw-breakers, the same ``from_counts`` fleet the simulator
serves) is written to the database, and the poller reads its configuration from there
(``load_poll_gateways``) as the poll job does.

One *cycle* is a full read of every breaker: the fast plan then the normal plan, each as
the poll job runs it -- ``PollEngine.cycle`` over all gateways (concurrent gateways, one
open connection each, requests serialized per gateway, blocks decoded with the profile
codec), then ``ingest()`` (COPY into PostgreSQL, latest values and events in Redis) and
``record_poll_results()``, all in this process.

The naive baseline is what a simple script does: one device after another, one request
per metric (synchronous ``ModbusTcpClient``, one connection per gateway opened once),
decoded with the same codec, stored with one ``INSERT`` per row and a commit per device
(no Redis). Its polled batch is also stored through ``ingest()`` to isolate the polling
effect. It is slow, so it polls a subset (``--naive-breakers``, ``--naive-bus-breakers``)
and its fleet cycle is extrapolated (it polls sequentially: time per breaker x fleet size).

A third column, the *reference*, sends the same requests as our poller (same plans, same
concurrency) through a bare asyncio protocol with no pymodbus, no decoding and no storing:
what any client gets from this simulator on this machine. With bus emulation, our poller
also polls only ``--bus-subset`` gateways of the same simulator: how close to the wire
time it gets when the simulator is not loaded by a hundred buses.

The bus-limited minimum of a cycle is, per gateway, the sum over its devices' requests of
``simulator.bus.exchange_time`` (RTU frame bytes x 11 bits / baud + turnaround); gateways
run in parallel, so the minimum is the slowest gateway's.

CPU is this process's (``time.process_time()``: poller, decoding, ingest's Python side);
the simulator's is reported separately (less its idle model stepping); PostgreSQL's and
Redis's are in neither.

Uses DATABASE_URL / REDIS_URL when set (creates one site ``BENCH-POLL-xxxx`` there and
deletes it, its readings and its Redis keys at the end); otherwise starts embedded
PostgreSQL and Redis in a temporary directory. Prints a markdown table.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# bench/ is on sys.path when run as a script
from benchlib import servers  # noqa: E402
from poll_baselines import measure_naive, measure_reference  # noqa: E402
from poll_fleet import Simulator, cleanup_fleet, create_fleet, point_gateways  # noqa: E402
from poll_measure import (  # noqa: E402
    Cycle,
    bus_minimum,
    measure_ours,
    measure_overlapped,
    our_gateways,
)
from poll_report import report  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--gateways", type=int, default=100)
    p.add_argument("--per-gateway", type=int, default=20, help="gw-breakers per gateway")
    p.add_argument("--cycles", type=int, default=5, help="measured cycles (after warm-up)")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--baud", type=int, default=19200, help="bus emulation run (0: skip it)")
    p.add_argument("--turnaround-ms", type=float, default=0.0)
    p.add_argument("--timeout-ms", type=int, default=1000, help="per-request timeout")
    p.add_argument("--bus-subset", type=int, default=10,
                   help="also poll only this many gateways on the emulated bus (0: skip)")
    p.add_argument("--ref-cycles", type=int, default=3,
                   help="cycles of the bare reference client (0: skip it)")
    p.add_argument("--naive-breakers", type=int, default=200,
                   help="breakers the naive baseline polls without bus latency (0: skip)")
    p.add_argument("--naive-bus-breakers", type=int, default=20,
                   help="breakers the naive baseline polls on the emulated bus (0: skip)")
    p.add_argument("--naive-cycles", type=int, default=3)
    p.add_argument("--sim-processes", type=int, default=1,
                   help="simulator processes for the bus run (its --processes; the no-bus "
                        "run always uses one; 2 and 4 gave no gain on the 2-core VM)")
    p.add_argument("--tick", type=float, default=1.0, help="simulator step interval, s")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--sequential-cycles", type=int, default=3,
                   help="cycles of our poller storing after polling instead of per gateway "
                        "as it finishes (the in-run baseline of the overlap; 0: skip)")
    p.add_argument("--no-gc-tuning", dest="gc_tuning", action="store_false",
                   help="leave the collector as it is (the PollWorker freezes its start-up "
                        "heap and raises the young threshold: settle_long_lived_heap)")
    p.add_argument("--profile", action="store_true",
                   help="cProfile our measured cycles (to stderr; slows them down)")
    args = p.parse_args(argv)
    os.environ.setdefault("GW_LOG_LEVEL", "WARNING")
    started = time.perf_counter()
    db_url, redis_url, stop = servers("gw-bench-poll-")
    sim = None
    try:
        from backend import create_app
        from backend.config import Settings
        from backend.migrate import upgrade_head
        from simulator.fleet import from_counts

        upgrade_head(db_url)
        app = create_app(Settings.from_env().with_overrides(database_url=db_url,
                                                            redis_url=redis_url))
        spec = from_counts(args.gateways, args.per_gateway, base_port=0, seed=args.seed)
        results: dict[str, list[Cycle]] = {}
        meta = {"cpus": os.cpu_count(), "cpu": platform.machine(),
                "date": datetime.now().strftime("%Y-%m-%d")}
        try:
            meta["cpu"] = next(line.split(":", 1)[1].strip() for line in
                               Path("/proc/cpuinfo").read_text().splitlines()
                               if line.startswith("model name"))
        except (OSError, StopIteration):
            pass

        def step(name, fn, *fn_args, **kwargs):
            t = time.perf_counter()
            results[name] = fn(*fn_args, **kwargs)
            print(f"  {name}: {time.perf_counter() - t:.1f} s", file=sys.stderr)

        with app.app_context():
            site_id, gw_ids, devices = create_fleet(spec, args.timeout_ms)
            try:
                for baud in ([0, args.baud] if args.baud else [0]):
                    sfx = "_bus" if baud else ""
                    sim = Simulator(args, baud, processes=args.sim_processes if baud else 1)
                    print(f"simulator up in {sim.start_seconds:.1f} s (idle CPU "
                          f"{100 * sim.idle_rate:.0f} % of a core): {sim.command}",
                          file=sys.stderr)
                    meta.setdefault("sim_idle", []).append(sim.idle_rate)
                    point_gateways(gw_ids, sim.ports)
                    gateways = our_gateways(gw_ids)
                    assert sum(len(g.devices) for g in gateways) == len(devices)
                    if baud:
                        meta["bus_min"] = bus_minimum(gateways, baud, args.turnaround_ms)
                    step("ours" + sfx, measure_overlapped, args, gateways, sim,
                         "bus" if baud else "no bus", cycles=args.cycles, profile=args.profile)
                    if args.sequential_cycles:
                        step("seq" + sfx, measure_ours, args, gateways, sim,
                             "bus, stored after polling" if baud else "stored after polling",
                             cycles=args.sequential_cycles)
                    if baud and args.bus_subset:
                        subset = gateways[:args.bus_subset]
                        meta["bus_min_subset"] = bus_minimum(subset, baud, args.turnaround_ms)
                        step("ours_bus_subset", measure_ours, args, subset, sim, "bus subset",
                             cycles=args.cycles, store=False)
                    if args.ref_cycles:
                        step("ref" + sfx, measure_reference, args, gateways, sim,
                             args.ref_cycles)
                    n = args.naive_bus_breakers if baud else args.naive_breakers
                    if n > 0 and args.naive_cycles > 0:
                        step("naive" + sfx, measure_naive, args, devices[:n], sim,
                             args.naive_cycles if not baud else max(1, args.naive_cycles - 1))
                    sim.stop()
                    sim = None
            finally:
                cleanup_fleet(site_id, [d[0] for d in devices])
        print("\n" + report(args, results, meta))
        print(f"\n(whole benchmark: {time.perf_counter() - started:.0f} s)")
    finally:
        if sim is not None:
            sim.stop()
        stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
