"""The field session of one worker process: everything that must outlive a job.

- One asyncio loop in a daemon thread owns every Modbus connection, so connections stay
  open between cycles (the poll worker is an RQ ``SimpleWorker``: no fork per job).
- One ``PollEngine`` (backend/field/poller.py) with the configured retries.
- The gateway list of a shard, re-read from the database at most every 15 s.
- Per-device due times (``attributes.poll_<rate>_s``).
- A Redis lock per gateway (SET NX PX) keeps one poller per gateway at a time: a cycle
  that overruns its interval makes the next job skip that gateway, never poll it twice at
  once, even with several poll workers on several machines. Control commands take the
  same lock, so a write never interleaves with a poll on the same bus.
"""
from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid

from backend.extensions import redis
from backend.field.inventory import load_poll_gateways
from backend.field.poller import CycleResult, PollEngine, PollGateway
from backend.settings import setting

CONFIG_TTL_SECONDS = 15     # device list re-read at most this often
LOCK_KEY = "gw:lock:poll:{gateway_id}"
_RELEASE = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
            "return redis.call('del', KEYS[1]) else return 0 end")


class FieldSession:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._engine: PollEngine | None = None
        self._config: dict = {"at": 0.0, "key": None, "gateways": []}
        self._last_polled: dict = {}   # (device_id, rate) -> monotonic time

    def loop(self) -> asyncio.AbstractEventLoop:
        """One loop per worker process, in a daemon thread; it owns every connection."""
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            threading.Thread(target=self._loop.run_forever, name="modbus-loop",
                             daemon=True).start()
        return self._loop

    def engine(self) -> PollEngine:
        if self._engine is None:
            self._engine = PollEngine(retries=setting("poll_retries"),
                                      dead_after=setting("poll_dead_after"))
        return self._engine

    def gateways(self, shard: int, shards: int) -> list[tuple[PollGateway, dict]]:
        """The shard's gateways with their devices' own intervals (cached 15 s); the
        engine forgets the connections of gateways no longer in the shard."""
        key = (shard, shards)
        now = time.monotonic()
        if self._config["key"] != key or now - self._config["at"] > CONFIG_TTL_SECONDS:
            self._config.update(at=now, key=key, gateways=load_poll_gateways(shard, shards))
        gateways = self._config["gateways"]
        self.engine().forget({gw.id for gw, _ in gateways})
        return gateways

    @contextlib.contextmanager
    def locked(self, gateways: list[tuple[PollGateway, dict]]):
        """Yield (gateways this process now holds the lock of, ids of those another
        poller holds, the lock's lifetime in seconds); the locks are released after."""
        token = uuid.uuid4().hex
        lock_ms = int(1000 * max(30.0, 3 * max((gw.address.timeout_s for gw, _ in gateways),
                                                default=1.0)))
        held, skipped = [], []
        for gw, intervals in gateways:
            if redis.set(LOCK_KEY.format(gateway_id=gw.id), token, nx=True, px=lock_ms):
                held.append((gw, intervals))
            else:
                skipped.append(gw.id)
        try:
            yield held, skipped, lock_ms / 1000
        finally:
            release = redis.register_script(_RELEASE)
            for gw, _ in held:
                release(keys=[LOCK_KEY.format(gateway_id=gw.id)], args=[token])

    def due(self, gateways: list[tuple[PollGateway, dict]], rate: str) -> list[PollGateway]:
        """Drop devices whose own interval (``attributes.poll_<rate>_s``) has not elapsed."""
        now = time.monotonic()
        out = []
        for gw, intervals in gateways:
            devices = tuple(d for d in gw.devices
                            if now - self._last_polled.get((d.id, rate), -1e9)
                            >= intervals.get(d.id, {}).get(rate, 0) - 0.25)
            for d in devices:
                self._last_polled[(d.id, rate)] = now
            if devices:
                out.append(PollGateway(gw.id, gw.address, devices))
        return out

    def cycle(self, gateways: list[PollGateway], rate: str, timeout: float) -> CycleResult:
        """One poll cycle on the session's loop; waits at most ``timeout`` seconds."""
        future = asyncio.run_coroutine_threadsafe(self.engine().cycle(gateways, rate),
                                                  self.loop())
        return future.result(timeout=timeout)

    def reset(self) -> None:
        """Forget cached configuration and per-device timing, close the connections
        (tests run many fleets in one process)."""
        self._config.update(at=0.0, key=None, gateways=[])
        self._last_polled.clear()
        if self._engine is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._engine.close)


SESSION = FieldSession()     # this process's
