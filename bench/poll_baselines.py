"""bench_poll's other clients: the bare asyncio reference (same requests, no pymodbus, no
decoding, no storing) and the naive baseline (one device after another, one request per
metric, one INSERT per row)."""
from __future__ import annotations

import asyncio
import struct
import time
from datetime import UTC, datetime, timedelta

from poll_fleet import Simulator
from poll_measure import FC, RATES, Cycle


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

        from backend.field.decode import decode_value

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
