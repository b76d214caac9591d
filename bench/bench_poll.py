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
import asyncio
import cProfile
import io
import os
import platform
import pstats
import re
import secrets
import statistics
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchlib import servers  # noqa: E402  (bench/ is on sys.path when run as a script)

FC = {"coil": 1, "discrete": 2, "holding": 3, "input": 4}
RATES = ("fast", "normal")


# ---- servers and fleet ------------------------------------------------------------------


class Simulator:
    """``python -m simulator`` in a child process; ``ports`` maps gateway code -> port."""

    def __init__(self, args, baud: int, idle_seconds: float = 2.0, processes: int = 1):
        cmd = [sys.executable, "-m", "simulator", "--gateways", str(args.gateways),
               "--breakers-per-gateway", str(args.per_gateway), "--seed", str(args.seed),
               "--base-port", "0", "--http-port", "-1", "--tick", str(args.tick),
               "--bus-baud", str(baud), "--bus-turnaround-ms", str(args.turnaround_ms)]
        if processes > 1:
            cmd += ["--processes", str(processes)]
        self.processes = processes
        self.command = " ".join(["python"] + cmd[1:])
        env = {**os.environ, "PYTHONPATH": str(ROOT), "GW_LOG_LEVEL": "WARNING"}
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True)
        self.ports: dict[str, int] = {}
        started = time.perf_counter()
        for line in self.proc.stdout:
            m = re.match(r"gateway (\S+): [^ ]+:(\d+) ", line)
            if m:
                self.ports[m.group(1)] = int(m.group(2))
            if line.startswith("simulator ready"):
                break
        else:
            raise RuntimeError(f"simulator exited ({self.proc.wait()}): {self.command}")
        self.start_seconds = time.perf_counter() - started
        import psutil

        self._ps = psutil.Process(self.proc.pid)
        self._procs = [self._ps] + self._ps.children(recursive=True)   # --processes workers
        # Its own model stepping costs CPU whether polled or not: measure that idle rate
        # and leave it out of the per-reading figure (it would swamp a slow poller's).
        cpu0, t0 = self._total(), time.perf_counter()
        time.sleep(idle_seconds)
        self.idle_rate = (self._total() - cpu0) / (time.perf_counter() - t0)
        self._t = time.perf_counter()

    def _total(self) -> float:
        """CPU seconds of the simulator and its worker processes."""
        return sum(t.user + t.system for t in (p.cpu_times() for p in self._procs))

    def cpu(self) -> float:
        """CPU seconds used beyond the idle rate, counted from start (differences only)."""
        return self._total() - self.idle_rate * (time.perf_counter() - self._t)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def create_fleet(spec, timeout_ms: int):
    """The simulator's fleet as a site in the database; returns (site_id, {gw code: id},
    [(device_id, gateway code, unit, poles)])."""
    from backend.extensions import db
    from backend.models import Device, Gateway, Site

    site = Site(code=f"BENCH-POLL-{secrets.token_hex(3)}", name="bench poll")
    db.session.add(site)
    db.session.flush()
    gws = {g.code: Gateway(site_id=site.id, code=g.code, name=g.code, host="127.0.0.1",
                           port=1, transport="tcp", timeout_ms=timeout_ms)
           for g in spec.gateways}
    db.session.add_all(gws.values())
    db.session.flush()
    devices = [Device(site_id=site.id, gateway_id=gws[d.gateway].id, code=d.code, name=d.code,
                      kind=d.kind, unit_id=d.unit_id, profile=d.profile, poles=d.poles,
                      rated_current=d.rated_current, trip_curve=d.trip_curve,
                      rated_residual_current=d.rated_residual_current,
                      rated_power=d.rated_power) for d in spec.devices]
    db.session.add_all(devices)
    db.session.commit()
    out = [(dev.id, d.gateway, d.unit_id, d.poles) for dev, d in zip(devices, spec.devices)]
    return site.id, {c: g.id for c, g in gws.items()}, out


def point_gateways(gw_ids: dict[str, int], ports: dict[str, int]) -> None:
    from sqlalchemy import update

    from backend.extensions import db
    from backend.models import Gateway

    for code, gid in gw_ids.items():
        db.session.execute(update(Gateway).where(Gateway.id == gid).values(port=ports[code]))
    db.session.commit()


def cleanup_fleet(site_id: int, device_ids: list[int]) -> None:
    from sqlalchemy import text

    from backend.extensions import db, redis
    from backend.live.keys import site_stream
    from backend.telemetry.latest import latest_key

    db.session.rollback()
    params = {"ids": device_ids, "s": site_id}
    for sql in ("DELETE FROM readings WHERE device_id = ANY(:ids)",
                "DELETE FROM device_status_events WHERE device_id = ANY(:ids)",
                "DELETE FROM device_status WHERE device_id = ANY(:ids)",
                "DELETE FROM devices WHERE site_id = :s",
                "DELETE FROM gateways WHERE site_id = :s",
                "DELETE FROM sites WHERE id = :s"):
        db.session.execute(text(sql), params)
    db.session.commit()
    keys = [latest_key(d) for d in device_ids] + [site_stream(site_id)]
    for i in range(0, len(keys), 1000):
        redis.delete(*keys[i:i + 1000])


# ---- measurements -----------------------------------------------------------------------

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


class _RawModbus(asyncio.Protocol):
    """A minimal Modbus TCP client (one request in flight): the reference floor."""

    def __init__(self):
        self.buf = b""
        self.waiter: asyncio.Future | None = None
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buf += data
        if len(self.buf) >= 6 and len(self.buf) >= 6 + int.from_bytes(self.buf[4:6], "big"):
            frame, self.buf = self.buf, b""
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(frame)

    def connection_lost(self, exc):
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("lost"))

    async def read(self, tid: int, unit: int, fc: int, address: int, count: int) -> bytes:
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(struct.pack(">HHHBBHH", tid, 0, 6, unit, fc, address, count))
        return await self.waiter


def measure_reference(args, gateways, sim: Simulator, cycles: int) -> list[Cycle]:
    """The same requests as our poller (same plans, same gateway concurrency, fast then
    normal), through a bare asyncio protocol: no pymodbus, no decoding, no storing. What
    any client could get from this simulator on this machine."""
    loop = asyncio.new_event_loop()

    async def connect():
        return {gw.id: (await loop.create_connection(_RawModbus, gw.address.host,
                                                     gw.address.port))[1]
                for gw in gateways}

    async def poll_gateway(proto, gw, rate):
        tid = n = 0
        for dev in gw.devices:
            for req in dev.plan(rate):
                tid = tid % 65535 + 1
                frame = await asyncio.wait_for(
                    proto.read(tid, dev.unit_id, FC[req.table], req.address, req.count),
                    gw.address.timeout_s)
                n += frame[7] < 0x80
        return n

    async def poll_all(rate):
        return await asyncio.gather(*(poll_gateway(conns[gw.id], gw, rate)
                                      for gw in gateways))

    conns = loop.run_until_complete(connect())
    out = []
    try:
        for k in range(args.warmup + cycles):
            c = Cycle()
            cpu0, sim0, t0 = time.process_time(), sim.cpu(), time.perf_counter()
            for rate in RATES:
                answers = loop.run_until_complete(poll_all(rate))
                c.requests += sum(answers)
            c.seconds = c.poll = time.perf_counter() - t0
            c.cpu = c.poll_cpu = time.process_time() - cpu0
            c.sim_cpu = sim.cpu() - sim0
            c.readings = sum(len(gw.devices) for gw in gateways)
            if k >= args.warmup:
                out.append(c)
    finally:
        for proto in conns.values():
            proto.transport.close()
        loop.run_until_complete(asyncio.sleep(0.05))
        loop.close()
    return out


class Naive:
    """One device after another, one request per metric, synchronous client."""

    INSERT = ("INSERT INTO readings (ts, value, device_id, metric_id, quality) "
              "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING")

    def __init__(self, devices, ports: dict[str, int], timeout_s: float):
        from pymodbus.client import ModbusTcpClient

        from backend.field.profile import load_profile

        self.devices = devices          # (device_id, gateway code, unit, poles)
        self.profile = load_profile("gw-breaker")
        self.clients = {}
        for code in sorted({d[1] for d in devices}):
            client = ModbusTcpClient("127.0.0.1", port=ports[code], timeout=timeout_s,
                                     retries=0)
            client.connect()
            self.clients[code] = client

    def close(self) -> None:
        for client in self.clients.values():
            client.close()

    def poll(self, devices=None) -> tuple[list, int, int]:
        from pymodbus.exceptions import ModbusException

        from backend.field.codec import decode_value

        batch, requests, failed = [], 0, 0
        for device_id, gw, unit, poles in devices or self.devices:
            client = self.clients[gw]
            values = {}
            try:
                for name in self.profile.metric_names(None, poles):
                    f = self.profile.metrics[name]
                    requests += 1
                    if f.table == "input":
                        rsp = client.read_input_registers(f.address, count=f.size,
                                                          device_id=unit)
                    elif f.table == "holding":
                        rsp = client.read_holding_registers(f.address, count=f.size,
                                                            device_id=unit)
                    elif f.table == "coil":
                        rsp = client.read_coils(f.address, count=1, device_id=unit)
                    else:
                        rsp = client.read_discrete_inputs(f.address, count=1, device_id=unit)
                    if rsp.isError():
                        raise RuntimeError(str(rsp))
                    values[name] = decode_value(f, rsp.bits[:1] if f.is_bit else rsp.registers)
            except (ModbusException, OSError, RuntimeError):   # skip the device
                failed += 1
                continue
            batch.append((device_id, datetime.now(UTC), values))
        return batch, requests, failed

    @classmethod
    def store(cls, engine, batch) -> int:
        """One INSERT per row, one commit per device (what a simple script does)."""
        from backend.models.telemetry import METRICS
        from backend.telemetry.ingest import normalize

        raw = engine.raw_connection()
        rows = 0
        try:
            cur = raw.cursor()
            for device_id, ts, values in batch:
                for name, v in values.items():
                    metric = METRICS.get(name)
                    if metric is None or v is None:
                        continue
                    value, q = normalize(metric, v)
                    cur.execute(cls.INSERT, (ts, value, device_id, metric.id, q))
                    rows += cur.rowcount
                raw.commit()
        finally:
            raw.close()
        return rows


def measure_naive(args, devices, sim: Simulator, cycles: int) -> list[Cycle]:
    from backend.extensions import db
    from backend.telemetry.ingest import ingest

    naive = Naive(devices, sim.ports, args.timeout_ms / 1000)
    out = []
    try:
        naive.poll(devices[:2])                  # warm-up: first requests
        for _ in range(cycles):
            c = Cycle()
            cpu0, sim0, t0 = time.process_time(), sim.cpu(), time.perf_counter()
            batch, c.requests, c.failed = naive.poll()
            c.poll = time.perf_counter() - t0
            c.poll_cpu = time.process_time() - cpu0
            c.sim_cpu = sim.cpu() - sim0
            t = time.perf_counter()
            c.rows = naive.store(db.engine, batch)
            c.store = time.perf_counter() - t
            c.seconds = time.perf_counter() - t0
            c.cpu = time.process_time() - cpu0
            c.readings = len(batch)
            # the same polled batch through our ingest() (1 ms later: not a duplicate)
            shifted = [(d, ts + timedelta(milliseconds=1), v) for d, ts, v in batch]
            cpu1, t = time.process_time(), time.perf_counter()
            ing = ingest(shifted)
            c.extra.update(ingest_store=time.perf_counter() - t,
                           ingest_cpu=time.process_time() - cpu1, ingest_rows=ing.stored)
            out.append(c)
    finally:
        naive.close()
    return out


# ---- report -----------------------------------------------------------------------------

# ---- report -----------------------------------------------------------------------------

def med(values):
    return statistics.median(values)


def spread(values, fmt="{:.3f}"):
    if not values:
        return ""
    return f"{fmt.format(med(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def table(args, cols: list[tuple[str, str, list[Cycle], int]], bus_min=None) -> list[str]:
    """cols: (title, kind: ours|ref|naive, cycles, fleet size the cycle extrapolates to)."""
    lines = ["| per full cycle (fast + normal plan of every breaker) | "
             + " | ".join(c[0] for c in cols) + " |", "|---|" + "---|" * len(cols)]

    def row(label, fn, kinds=("ours", "ref", "naive")):
        cells = []
        for title, kind, cycles, fleet in cols:
            cells.append(fn(cycles, fleet, kind) if kind in kinds and cycles else "")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    def per(cycles, attr):
        return [getattr(c, attr) / max(c.readings, 1) for c in cycles]

    row("breakers polled per cycle", lambda cs, f, k: f"{med([c.readings for c in cs]):,.0f}"
        + (f" of {f:,}" if med([c.readings for c in cs]) < f else ""))
    row("cycles measured (after warm-up)", lambda cs, f, k: str(len(cs)))
    row("Modbus requests per breaker",
        lambda cs, f, k: f"{med([c.requests / max(c.readings, 1) for c in cs]):.1f}")
    row("**cycle time** for the whole fleet, s: median (min–max)",
        lambda cs, f, k: spread([x * f for x in per(cs, "seconds")],
                                "{:.1f}" if k == "naive" else "{:.3f}")
        + (" *(extrapolated)*" if med([c.readings for c in cs]) < f and k == "naive" else ""))
    row("… polling + decoding, s",
        lambda cs, f, k: spread([x * f for x in per(cs, "poll")],
                                "{:.1f}" if k == "naive" else "{:.3f}"))
    row("… storing: `ingest()` (naive: INSERT per row), s",
        lambda cs, f, k: spread([x * f for x in per(cs, "ingest" if k == "ours" else "store")],
                                "{:.1f}" if k == "naive" else "{:.3f}"), ("ours", "naive"))
    row("… storing: `record_poll_results()`, s",
        lambda cs, f, k: spread([x * f for x in per(cs, "record")]), ("ours",))
    row("**breaker readings stored per second**",
        lambda cs, f, k: spread([c.readings / c.seconds for c in cs], "{:,.0f}"),
        ("ours", "naive"))
    row("breaker readings polled + decoded per second (storing excluded)",
        lambda cs, f, k: spread([c.readings / c.poll for c in cs], "{:,.0f}"))
    row("reading rows stored per second",
        lambda cs, f, k: spread([c.rows / c.seconds for c in cs], "{:,.0f}"), ("ours", "naive"))
    row("rows per breaker reading",
        lambda cs, f, k: f"{med([c.rows / max(c.readings, 1) for c in cs]):.1f}",
        ("ours", "naive"))
    row("**poller CPU per breaker reading**, ms",
        lambda cs, f, k: spread([1000 * x for x in per(cs, "cpu")]))
    row("… of which polling + decoding, ms",
        lambda cs, f, k: spread([1000 * x for x in per(cs, "poll_cpu")]), ("ours", "naive"))
    row("simulator CPU per breaker reading, ms (its own process, idle stepping excluded)",
        lambda cs, f, k: spread([1000 * x for x in per(cs, "sim_cpu")]))
    row("failed device reads (all cycles)", lambda cs, f, k: str(sum(c.failed for c in cs)))
    if bus_min is not None:
        strict = bus_min[0]

        def vs(cs, f, attr):
            return f"**{med([x * f for x in per(cs, attr)]) / strict:.2f}x**"
        row(f"bus-limited minimum cycle, s ({args.baud} baud)",
            lambda cs, f, k: f"{strict:.3f}")
        row("**polling time / bus-limited minimum** (target ≤ 1.15x)",
            lambda cs, f, k: vs(cs, f, "poll"))
        row("whole cycle incl. storing / bus-limited minimum",
            lambda cs, f, k: vs(cs, f, "seconds"), ("ours", "naive"))
    return lines


def report(args, results: dict, meta: dict) -> str:
    fleet = args.gateways * args.per_gateway
    lines = [(f"Fleet: {fleet:,} gw-breakers behind {args.gateways} gateways "
              f"({args.per_gateway} per gateway). Machine: {meta['cpus']} CPUs "
              f"({meta['cpu']}), Python {platform.python_version()}, {meta['date']}."), ""]
    cols = [("ours", "ours", results.get("ours"), fleet),
            ("reference: bare client, no decode/store", "ref", results.get("ref"), fleet),
            ("naive", "naive", results.get("naive"), fleet)]
    lines += ["**No bus latency** (plain Modbus TCP devices)", ""]
    lines += table(args, [c for c in cols if c[2]])
    for key, title in (("naive", "no bus latency"), ("naive_bus", f"bus {args.baud} baud")):
        cs = results.get(key)
        if cs:
            per = med([(c.poll + c.extra["ingest_store"]) / max(c.readings, 1) for c in cs])
            cpu = med([(c.poll_cpu + c.extra["ingest_cpu"]) / max(c.readings, 1) for c in cs])
            meta.setdefault("notes", []).append(
                f"Naive polling ({title}) stored through `ingest()` instead of per-row "
                f"INSERTs: {1 / per:,.1f} breaker readings/s, {1000 * cpu:.2f} ms CPU per "
                f"reading.")
    if "ours_bus" in results:
        n_sub = args.bus_subset
        cols = [("ours", "ours", results.get("ours_bus"), fleet),
                ("reference: bare client, no decode/store", "ref", results.get("ref_bus"),
                 fleet),
                ("naive", "naive", results.get("naive_bus"), fleet)]
        lines += ["", (f"**RS-485 emulation at {args.baud} baud** (turnaround "
                       f"{args.turnaround_ms:g} ms; one exchange at a time per gateway)"), ""]
        lines += table(args, [c for c in cols if c[2]], meta["bus_min"])
        if results.get("ours_bus_subset"):
            cs = results["ours_bus_subset"]
            strict = meta["bus_min_subset"][0]
            ratio = med([c.poll for c in cs]) / strict
            lines += ["", (f"Same simulator (all {args.gateways} gateways served), our poller "
                           f"polling only {n_sub} of them ({n_sub * args.per_gateway} breakers,"
                           f" no storing): polling time {spread([c.poll for c in cs])} s "
                           f"against a bus-limited minimum of {strict:.3f} s: "
                           f"**{ratio:.2f}x**.")]
    notes = meta.get("notes", [])
    if meta.get("bus_min"):
        strict, per_rate = meta["bus_min"]
        notes.append(f"Bus-limited minimum: the slowest gateway's sum of exchange times over "
                     f"both plans ({strict:.3f} s); with the fast cycle finished on every "
                     f"gateway before the normal one starts, as here and as two poll jobs do, "
                     f"the floor is {per_rate:.3f} s.")
    if meta.get("sim_idle"):
        notes.append(f"Simulator idle (stepping its {fleet:,} devices every {args.tick:g} s, "
                     f"in every process): no bus / bus ({args.sim_processes} processes): "
                     + " / ".join(f"{100 * r:.0f} %" for r in meta["sim_idle"])
                     + " of a core; left out of its per-reading CPU.")
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    return "\n".join(lines)


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
                    step("ours" + sfx, measure_ours, args, gateways, sim,
                         "bus" if baud else "no bus", cycles=args.cycles, profile=args.profile)
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
