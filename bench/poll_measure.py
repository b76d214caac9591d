"""bench_poll's measurements of our poller: one full cycle (both plans, then storing) as the
poll job runs it, and the bus-limited minimum of a cycle."""
from __future__ import annotations

import asyncio
import cProfile
import gc
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
    gc0, full0 = _GC["seconds"], _GC["full"]
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
    c.extra.update(gc=_GC["seconds"] - gc0, gc_full=_GC["full"] - full0)
    return c


_GC = {"seconds": 0.0, "t": 0.0, "full": 0}


def _gc_timer(phase, info) -> None:
    """gc.callbacks hook: time spent in the cyclic collector, any thread."""
    if phase == "start":
        _GC["t"] = time.perf_counter()
    else:
        _GC["seconds"] += time.perf_counter() - _GC["t"]
        _GC["full"] += info.get("generation") == 2


if _gc_timer not in gc.callbacks:
    gc.callbacks.append(_gc_timer)


def _loop_thread_cpu(session) -> float:
    """CPU seconds of the session's loop thread (the polling and decoding), read there."""
    async def read():
        return time.thread_time()
    return asyncio.run_coroutine_threadsafe(read(), session.loop()).result(10)


def overlapped_cycle(session, gateways, sim: Simulator) -> Cycle:
    """One full cycle as the poll job runs it (backend/runtime/poll_cycle.py): per rate,
    ``FieldSession.start`` puts every gateway's poll on the session's loop thread, and each
    batch of finished gateways is stored (``ingest()`` + ``record_poll_results()``) in this
    thread as it comes out of ``collect``, while the other gateways are still polled.

    ``poll`` is the polling time (start to the slowest gateway's end), ``poll_cpu`` the
    loop thread's CPU; ``seconds`` runs until the last batch is stored."""
    from backend.telemetry.ingest import ingest
    from backend.telemetry.status import record_poll_results

    c = Cycle()
    ok: dict[int, int] = {}
    pairs = [(gw, {}) for gw in gateways]
    cpu0, sim0, lcpu0 = time.process_time(), sim.cpu(), _loop_thread_cpu(session)
    gc0, full0 = _GC["seconds"], _GC["full"]
    t0 = time.perf_counter()
    batches = 0
    for rate in RATES:
        t = time.perf_counter()
        started = session.start(pairs, rate)
        launched = time.perf_counter() - t
        slowest = 0.0
        for batch in session.collect(started, wait=60.0):
            batches += 1
            readings = [r for part in batch for r in part.readings]
            outcomes = [o for part in batch for o in part.outcomes]
            slowest = max([slowest] + [part.seconds for part in batch])
            ts = time.perf_counter()
            stored = ingest(readings)
            ti = time.perf_counter()
            record_poll_results(outcomes)
            tr = time.perf_counter()
            c.ingest += ti - ts
            c.record += tr - ti
            c.store += tr - ts
            c.rows += stored.stored
            c.requests += sum(part.requests for part in batch)
            for device_id, good, _ in outcomes:
                ok[device_id] = ok.get(device_id, 0) + bool(good)
        c.poll += launched + slowest
    c.seconds = time.perf_counter() - t0
    c.cpu, c.sim_cpu = time.process_time() - cpu0, sim.cpu() - sim0
    c.poll_cpu = _loop_thread_cpu(session) - lcpu0
    c.readings = sum(1 for n in ok.values() if n == len(RATES))
    c.failed = len(ok) - c.readings
    c.extra.update(batches=batches, gc=_GC["seconds"] - gc0, gc_full=_GC["full"] - full0)
    return c


def measure_overlapped(args, gateways, sim: Simulator, label: str, *, cycles: int,
                       profile: bool = False) -> list[Cycle]:
    """Our poller through the poll job's own path (a ``FieldSession``: loop thread, Redis
    gateway locks, results stored per gateway as they finish): warm-up, then ``cycles``."""
    from backend.field.session import FieldSession
    from backend.telemetry.memory import settle_long_lived_heap

    if args.gc_tuning:
        settle_long_lived_heap()         # as the PollWorker does once it is built
    session = FieldSession()
    try:
        for _ in range(args.warmup):
            overlapped_cycle(session, gateways, sim)
        prof = cProfile.Profile() if profile else None
        out = []
        for _ in range(cycles):
            if prof:
                prof.enable()
            out.append(overlapped_cycle(session, gateways, sim))
            if prof:
                prof.disable()
        if prof:
            text = io.StringIO()
            pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(30)
            print(f"\n--- cProfile, our poller's storing thread, {label} ---\n"
                  + text.getvalue(), file=sys.stderr)
        return out
    finally:
        session.reset()
        time.sleep(0.05)


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
