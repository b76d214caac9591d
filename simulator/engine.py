"""The simulator: a fleet of devices behind gateway servers, moved by one clock.

Every ``tick`` seconds of wall time the simulated clock advances ``tick * speed`` seconds:
the supply tree is recomputed (``grid.py``), then every device steps (measurements,
protection, energy), yielding to the event loop every few hundred devices so Modbus
requests are served in between. Register words are only produced when a request asks for
them (``server.py``). One process, one event loop; the HTTP API runs in a thread and hands
its work to the loop.
"""
from __future__ import annotations

import asyncio
import logging
import math
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.field.profile import load_profile
from simulator.breaker import Breaker
from simulator.bus import BusConfig
from simulator.devices import EnvSensor, Meter, TempSensor
from simulator.grid import Grid
from simulator.load_controller import LoadController
from simulator.server import GatewayServer

log = logging.getLogger(__name__)
CLASSES = {"breaker": Breaker, "meter": Meter, "env_sensor": EnvSensor, "temp_sensor": TempSensor,
           "load": LoadController}
TEMP_TAU_S = 600.0          # terminal temperature time constant (simulated seconds)
CHUNK = 250                 # devices stepped between yields to the event loop


@dataclass
class SimConfig:
    tick: float = 1.0                   # wall seconds between steps
    speed: float = 1.0                  # simulated seconds per wall second
    seed: int = 1
    start_time: float | None = None     # simulated time of day at start, seconds (None: now)
    reclose_delay: float | None = None  # override the breakers' reclose_delay setting
    bus: BusConfig = field(default_factory=BusConfig)
    host: str | None = "127.0.0.1"      # bind every gateway here (None: the file's host)
    http_port: int | None = None        # None: no HTTP API; 0: any free port
    http_host: str = "127.0.0.1"
    serve: tuple[str, ...] | None = None  # gateway codes this process serves (None: all);
    #                                       the whole fleet is modelled either way (multi.py)
    profile_dirs: tuple[str, ...] = ()  # a site's own profiles, beside the built-in ones
    demo_faults: object | None = None   # simulator.demo_faults.Settings: the demo's own faults


def _zone(name: str | None):
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass
class StepContext:
    t: float
    dt: float
    seconds_of_day: float
    frequency: float
    ambient: float
    alpha: float


class Simulator:
    def __init__(self, fleet, config: SimConfig | None = None):
        self.config = config = config or SimConfig()
        self.fleet = fleet
        rnd = random.Random(config.seed)
        by_circuit: dict[str, list] = {}
        for d in fleet.devices:
            by_circuit.setdefault(d.circuit, []).append(d)
        self.grid = Grid(fleet.circuits, by_circuit, rnd)
        self.devices = {}
        for spec in fleet.devices:
            cls = CLASSES.get(spec.kind)
            if cls is None:
                fleet.skipped.append(f"{spec.code}: kind {spec.kind!r} is not simulated")
                continue
            node = self.grid.nodes.get(spec.circuit) if spec.circuit else None
            if node is None:
                node = self.grid.add_standalone(f"~{spec.code}", "incomer" if spec.kind == "meter"
                                                else "other", float(spec.rated_current or 200))
            dev = cls(spec, load_profile(spec.profile, tuple(config.profile_dirs)), node, rnd)
            if isinstance(dev, Breaker):
                node.breaker = node.breaker or dev
                if config.reclose_delay is not None:
                    dev.settings["reclose_delay"] = config.reclose_delay
            self.devices[spec.code] = dev
        self.gateways = {
            g.code: GatewayServer(g, [d for d in self.devices.values() if d.spec.gateway == g.code],
                                  BusConfig(config.bus.baud, config.bus.turnaround_ms), config.host)
            for g in fleet.gateways}
        # The clock is the site's local time (its time zone from the facility file), so the
        # kitchen peaks at the site's meal times wherever the simulator runs.
        now = datetime.now(_zone(getattr(fleet, "timezone", None)))
        self.sod0 = (config.start_time if config.start_time is not None
                     else now.hour * 3600 + now.minute * 60 + now.second)
        self.doy0 = now.timetuple().tm_yday
        self.demo_faults = None
        if config.demo_faults is not None:
            from simulator import demo_faults

            self.demo_faults = demo_faults.Runner(
                demo_faults.plan(demo_faults.targets_of(fleet), config.demo_faults, self.sod0),
                log=lambda line: print(f"simulator: {line}", flush=True))
        self.t = 0.0
        self.steps = 0
        self.step_seconds = 0.0                 # wall time of the last step
        self._task: asyncio.Task | None = None
        self.http = None
        self.step_now(0.0, settle=True)

    # -- clock ---------------------------------------------------------------------------
    def context(self, dt: float) -> StepContext:
        sod = (self.sod0 + self.t) % 86400
        ambient = 27.0 + 3.0 * math.sin(2 * math.pi * (sod / 86400 - 0.375))
        return StepContext(self.t, dt, sod, self.grid.supply.f, ambient,
                           1.0 - math.exp(-dt / TEMP_TAU_S))

    def day_of_year(self) -> float:
        return self.doy0 + (self.sod0 + self.t) // 86400

    def step_now(self, dt: float, settle: bool = False) -> None:
        """One synchronous step of everything; ``settle`` puts temperatures at their steady
        state (used once before serving)."""
        self.t += dt
        ctx = self.context(dt)
        if settle:
            ctx.alpha = 1.0
        self.grid.step(self.t, ctx.seconds_of_day, self.day_of_year())
        ctx.frequency = self.grid.supply.f
        for dev in self.devices.values():
            dev.step(ctx)

    async def _step(self, dt: float) -> None:
        started = time.perf_counter()
        self.t += dt
        ctx = self.context(dt)
        self.grid.step(self.t, ctx.seconds_of_day, self.day_of_year())
        ctx.frequency = self.grid.supply.f
        for k, dev in enumerate(list(self.devices.values())):
            dev.step(ctx)
            if k % CHUNK == CHUNK - 1:
                await asyncio.sleep(0)
        if self.demo_faults is not None:
            self.demo_faults.tick(self)
        self.steps += 1
        self.step_seconds = time.perf_counter() - started

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        tick = self.config.tick
        due = loop.time()
        while True:
            due += tick
            try:
                await self._step(tick * self.config.speed)
            except Exception:
                log.exception("simulation step failed")
            lag = due - loop.time()
            if lag < 0:                                  # fell behind: do not try to catch up
                due = loop.time()
            await asyncio.sleep(max(lag, 0.0))

    # -- lifecycle -----------------------------------------------------------------------
    def served(self) -> list[GatewayServer]:
        """The gateways this process listens for (``SimConfig.serve``)."""
        if self.config.serve is None:
            return list(self.gateways.values())
        return [self.gateways[code] for code in self.config.serve]

    async def start(self) -> None:
        for gw in self.served():
            await gw.start()
        self._task = asyncio.create_task(self._run())
        if self.config.http_port is not None:
            from simulator.http_api import HttpApi
            self.http = HttpApi(self, asyncio.get_running_loop(), self.config.http_host,
                                self.config.http_port)
            self.http.start()

    async def stop(self) -> None:
        if self.http is not None:
            self.http.stop()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        for gw in self.gateways.values():
            await gw.stop()

    async def run_forever(self) -> None:
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    @property
    def http_url(self) -> str | None:
        return self.http.url if self.http else None

    def status(self) -> dict:
        sod = int((self.sod0 + self.t) % 86400)
        return {"sim_time_s": round(self.t, 3), "time_of_day": f"{sod // 3600:02d}:"
                f"{sod // 60 % 60:02d}:{sod % 60:02d}", "steps": self.steps,
                "step_ms": round(self.step_seconds * 1000, 2), "tick_s": self.config.tick,
                "speed": self.config.speed, "devices": len(self.devices),
                "gateways": [g.snapshot() for g in self.served()],
                "http": self.http_url, "skipped": list(self.fleet.skipped)}


class SimulatorThread:
    """Run a :class:`Simulator` on its own event loop in a background thread (tests, tools).

    ``call(fn, *args)`` runs ``fn(simulator, *args)`` on the simulator's loop and returns its
    result, so state is only ever touched from that loop.
    """

    def __init__(self, fleet, config: SimConfig | None = None):
        self.fleet, self.config = fleet, config
        self.sim: Simulator | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="gw-simulator", daemon=True)

    def _main(self) -> None:
        asyncio.run(self._amain())

    async def _amain(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            self.sim = Simulator(self.fleet, self.config)
            await self.sim.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.sim.stop()

    def start(self, timeout: float = 30.0) -> SimulatorThread:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("simulator did not start")
        if self._error is not None:
            raise self._error
        return self

    def call(self, fn, *args, timeout: float = 10.0):
        async def run():
            return fn(self.sim, *args)
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(10)

    def __enter__(self) -> SimulatorThread:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
