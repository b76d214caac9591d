"""bench_poll's measurements of our poller: one full cycle (both plans, then storing) as the
poll job runs it, and the bus-limited minimum of a cycle."""
from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import sys
import time
from dataclasses import dataclass, field

from poll_fleet import Simulator

FC = {"coil": 1, "discrete": 2, "holding": 3, "input": 4}
RATES = ("fast", "normal")


@dataclass
class Cycle:
    seconds: float = 0.0        # wall time of the full cycle (poll + store)
    poll: float = 0.0           # Modbus + decode (both rates)
    store: float = 0.0          # ingest() + record_poll_results() (or the naive INSERTs)
    ingest: float = 0.0         # ... of which ingest()
    record: float = 0.0         # ... of which record_poll_results()
    cpu: float = 0.0            # this process
    poll_cpu: float = 0.0       # ... of which while polling and decoding
    sim_cpu: float = 0.0        # the simulator process
    readings: int = 0           # breakers read completely (both rates) and stored
    rows: int = 0               # reading rows stored
    requests: int = 0
    failed: int = 0
    extra: dict = field(default_factory=dict)


def our_gateways(gw_ids: dict[str, int]):
    """The poll job's configuration path, restricted to the bench site's gateways."""
    from backend.field.inventory import load_poll_gateways

    mine = set(gw_ids.values())
    return [gw for gw, _ in load_poll_gateways() if gw.id in mine]


def our_cycle(loop, engine, gateways, sim: Simulator) -> Cycle:
    from backend.telemetry.ingest import ingest
    from backend.telemetry.status import record_poll_results

    c = Cycle()
    ok: dict[int, int] = {}
    cpu0, sim0, t0 = time.process_time(), sim.cpu(), time.perf_counter()
    for rate in RATES:
        t, cpu = time.perf_counter(), time.process_time()
        result = loop.run_until_complete(engine.cycle(gateways, rate))
        c.poll += time.perf_counter() - t
        c.poll_cpu += time.process_time() - cpu
        t = time.perf_counter()
        stored = ingest(result.readings)
        c.ingest += time.perf_counter() - t
        t2 = time.perf_counter()
        record_poll_results(result.outcomes)
        c.record += time.perf_counter() - t2
        c.store += time.perf_counter() - t
        c.rows += stored.stored
        c.requests += result.requests
        for device_id, good, _ in result.outcomes:
            ok[device_id] = ok.get(device_id, 0) + bool(good)
    c.seconds = time.perf_counter() - t0
    c.cpu, c.sim_cpu = time.process_time() - cpu0, sim.cpu() - sim0
    c.readings = sum(1 for n in ok.values() if n == len(RATES))
    c.failed = len(ok) - c.readings
    return c


def bus_minimum(gateways, baud: int, turnaround_ms: float) -> tuple[float, float]:
    """(strict, per-rate) bus-limited minimum of one full cycle.

    strict: max over gateways of the sum of every exchange's wire time (both plans);
    per-rate: the same per rate, summed over the rates (the floor when the fast cycle
    finishes on every gateway before the normal one starts, as two poll jobs do)."""
    from simulator.bus import exchange_time

    def gw_time(gw, rates):
        return sum(exchange_time(FC[r.table], r.count, baud, turnaround_ms / 1000)
                   for d in gw.devices for rate in rates for r in d.plan(rate))
    strict = max(gw_time(gw, RATES) for gw in gateways)
    per_rate = sum(max(gw_time(gw, (rate,)) for gw in gateways) for rate in RATES)
    return strict, per_rate


def measure_ours(args, gateways, sim: Simulator, label: str, *, cycles: int,
                 store: bool = True, profile: bool = False) -> list[Cycle]:
    """Our poller: warm-up, then ``cycles`` measured full cycles (``store=False``: polling
    and decoding only, no ingest)."""
    from backend.field.poller import PollEngine
    from backend.settings import setting

    loop = asyncio.new_event_loop()
    engine = PollEngine(retries=setting("poll_retries"),
                        dead_after=setting("poll_dead_after"))

    def one() -> Cycle:
        if store:
            return our_cycle(loop, engine, gateways, sim)
        c, ok = Cycle(), {}
        cpu0, sim0, t0 = time.process_time(), sim.cpu(), time.perf_counter()
        for rate in RATES:
            result = loop.run_until_complete(engine.cycle(gateways, rate))
            c.requests += result.requests
            for device_id, good, _ in result.outcomes:
                ok[device_id] = ok.get(device_id, 0) + bool(good)
        c.seconds = c.poll = time.perf_counter() - t0
        c.cpu = c.poll_cpu = time.process_time() - cpu0
        c.sim_cpu = sim.cpu() - sim0
        c.readings = sum(1 for n in ok.values() if n == len(RATES))
        c.failed = len(ok) - c.readings
        return c

    try:
        for _ in range(args.warmup):
            one()
        prof = cProfile.Profile() if profile else None
        out = []
        for _ in range(cycles):
            if prof:
                prof.enable()
            out.append(one())
            if prof:
                prof.disable()
        if prof:
            text = io.StringIO()
            pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(30)
            print(f"\n--- cProfile, our poller, {label} (timings inflated by profiling) ---\n"
                  + text.getvalue(), file=sys.stderr)
        return out
    finally:
        async def close():
            engine.close()
            await asyncio.sleep(0.05)
        loop.run_until_complete(close())
        loop.close()
