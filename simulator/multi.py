"""One fleet served by several processes (``gridwarden simulate --processes N``).

One Python process emulating a hundred RS-485 buses is its own bottleneck: every bus's
timers and frames queue on one event loop, so exchanges hold their bus longer than their
wire time as the load grows (docs/benchmarks.md, "Polling"). Here each worker process
serves a contiguous slice of the gateways on its own loop.

Every worker builds and steps the *whole* fleet model from the same seed, so what a
device reports does not depend on how the gateways are split: the model is the same as
with one process (a device's values come from one shared random sequence, so a worker
cannot model only its own slice). That costs each worker the idle model stepping.

The fault-injection HTTP API runs in the parent and forwards each operation to the
worker serving the target's gateway, then to the other workers too, so that every copy
of the model sees the same injected faults (an upstream trip de-energizes downstream
devices whichever worker serves them). Modbus writes reach only the serving worker: with
a supply tree that spans gateways of different workers, a breaker opened over Modbus
does not de-energize the other workers' copies of the circuits below it.
"""
from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import signal
import threading
from dataclasses import replace

from simulator.faults import FaultError, apply
from simulator.http_api import HttpApi


def slices(codes: list[str], n: int) -> list[tuple[str, ...]]:
    """``codes`` in ``n`` contiguous slices of near-equal size (none empty)."""
    n = max(1, min(n, len(codes)))
    size, extra = divmod(len(codes), n)
    out, start = [], 0
    for k in range(n):
        end = start + size + (k < extra)
        out.append(tuple(codes[start:end]))
        start = end
    return out


# ---- worker side ------------------------------------------------------------------------

def _worker(fleet, config, conn, parent_pid: int) -> None:
    """Process entry point: serve ``config.serve``, answer the parent's requests."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # the parent decides when to stop
    asyncio.run(_serve(fleet, config, conn, parent_pid))


async def _serve(fleet, config, conn, parent_pid: int) -> None:
    from simulator.engine import Simulator

    sim = Simulator(fleet, config)
    # The fleet model lives as long as the process: keep the collector from walking it
    # on every full collection (pauses of up to ~85 ms with 2,000 devices).
    gc.freeze()
    await sim.start()
    conn.send([(g.code, g.host, g.port, g.spec.transport, len(g.devices))
               for g in sim.served()])
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    threading.Thread(target=_answer, args=(sim, loop, conn, done, parent_pid),
                     daemon=True).start()
    try:
        await done.wait()
    finally:
        await sim.stop()


def _answer(sim, loop, conn, done: asyncio.Event, parent_pid: int) -> None:
    """Requests from the parent, run on the simulator's loop, until it says ``stop`` or is
    gone (killed: this process was re-parented; its pipe end may never see EOF, since
    workers forked later inherit it)."""
    while True:
        try:
            while not conn.poll(1.0):
                if os.getppid() != parent_pid:
                    raise EOFError
            request = conn.recv()
        except (EOFError, OSError):
            request = ("stop",)
        if request[0] == "stop":
            loop.call_soon_threadsafe(done.set)
            return
        future = asyncio.run_coroutine_threadsafe(_run(sim, *request), loop)
        try:
            reply = ("ok", future.result(10))
        except FaultError as exc:
            reply = ("fault", exc.status, exc.message)
        except Exception as exc:                        # reported as a 500 by the API
            reply = ("fault", 500, f"{type(exc).__name__}: {exc}")
        conn.send(reply)


async def _run(sim, op: str, *args):
    if op == "status":
        return sim.status()
    if op == "devices":
        return [{k: v for k, v in d.snapshot().items() if k not in ("values", "settings")}
                for d in sim.devices.values()]
    return apply(sim, *args)                            # op == "apply": kind, code, ops


# ---- parent side ------------------------------------------------------------------------

class Worker:
    """A worker process and the parent's end of its pipe (one request at a time)."""

    def __init__(self, ctx, fleet, config) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(fleet, config, child, os.getpid()),
                                   daemon=True, name=f"gw-sim-{config.serve[0]}")
        self.process.start()
        child.close()
        self._lock = threading.Lock()
        self.gateways: list[tuple] = []

    def ready(self, timeout: float = 120.0) -> list[tuple]:
        if not self.conn.poll(timeout):
            raise RuntimeError(f"{self.process.name} did not start")
        self.gateways = self.conn.recv()
        return self.gateways

    def call(self, op: str, *args):
        with self._lock:
            self.conn.send((op, *args))
            reply = self.conn.recv()
        if reply[0] == "fault":
            raise FaultError(reply[1], reply[2])
        return reply[1]

    def stop(self) -> None:
        try:
            with self._lock:
                self.conn.send(("stop",))
        except OSError:
            pass                                        # already gone
        self.conn.close()
        self.process.join(10)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)


class ProxyApi(HttpApi):
    """The fault API of a multi-process simulator: forwards to the workers."""

    def __init__(self, workers: list[Worker], owner: dict[str, Worker], host: str, port: int):
        super().__init__(None, None, host, port)
        self.workers, self.owner = workers, owner       # owner: gateway/device code -> worker

    def route(self, method: str, path: str, body):
        from urllib.parse import unquote

        parts = [unquote(p) for p in path.split("?")[0].strip("/").split("/")]
        rest = parts[1:] if parts[:1] == ["api"] else None
        if method == "GET" and rest == ["status"]:
            return self._status()
        if method == "GET" and rest == ["devices"]:
            return self.workers[0].call("devices")
        if rest is not None and len(rest) == 2 and rest[0] in ("devices", "gateways"):
            kind, code = rest[0][:-1], rest[1]
            first = self.owner.get(code, self.workers[0])
            result = first.call("apply", kind, code, body if method == "POST" else {})
            if method == "POST":                        # keep every copy of the model alike
                for worker in self.workers:
                    if worker is not first:
                        try:
                            worker.call("apply", kind, code, body)
                        except FaultError:
                            pass
            return result
        raise FaultError(404, "not found; see /api/status")

    def _status(self) -> dict:
        parts = [w.call("status") for w in self.workers]
        status = dict(parts[0])
        status.update(gateways=[g for p in parts for g in p["gateways"]], http=self.url,
                      processes=len(self.workers))
        return status


def start_workers(fleet, config, processes: int) -> tuple[list[Worker], ProxyApi | None]:
    """Start the workers (each serving a slice of the gateways, none with its own API) and,
    when ``config.http_port`` is set, the forwarding API in this process."""
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                      else "spawn")
    codes = [g.code for g in fleet.gateways]
    workers = [Worker(ctx, fleet, replace(config, serve=part, http_port=None))
               for part in slices(codes, processes)]
    try:
        for w in workers:
            w.ready()
    except BaseException:
        stop_workers(workers, None)
        raise
    owner: dict[str, Worker] = {}
    for w in workers:
        served = {g[0] for g in w.gateways}
        owner.update({code: w for code in served})
        owner.update({d.code: w for d in fleet.devices if d.gateway in served})
    api = None
    if config.http_port is not None:
        api = ProxyApi(workers, owner, config.http_host, config.http_port)
        api.start()
    return workers, api


def stop_workers(workers: list[Worker], api: ProxyApi | None) -> None:
    if api is not None:
        api.stop()
    for w in workers:
        w.stop()
