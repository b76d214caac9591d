"""The field session of one worker process: everything that must outlive a job.

- One asyncio loop in a daemon thread owns every Modbus connection, so connections stay
  open between cycles (the poll worker is an RQ ``SimpleWorker``: no fork per job).
- One ``PollEngine`` (backend/field/poller.py) with the configured retries.
- The gateway list of a shard, re-read from the database at most every 15 s.
- Per-device due times (``attributes.poll_<rate>_s``).
- One poll in flight per gateway, each its own task on the loop: a job starts the due
  gateways' polls, stores each device's reading soon after it is read (streamed, handed
  over every 0.25 s) and each gateway's outcomes as it finishes, and waits at most one fast
  interval, and not at all for a gateway that did not answer last time. A silent gateway's
  poll (a timeout per attempt) finishes in the background and a later job stores it, so
  it never stretches the interval of a healthy gateway polled by the same worker.
- A Redis lock per gateway (SET NX PX) keeps one poller per gateway at a time, even with
  several poll workers on several machines: a gateway still in flight, here or elsewhere,
  is skipped, never polled twice at once. The lock is held from the start of a gateway's
  poll until its result is handed over. It is a lease of one fast interval that the
  ``lock-renewer`` thread renews every third of it: when a poll worker dies, its gateways
  are free within one fast interval and the shard's next job, on any worker, polls them
  (tests/test_poll_rebalance.py).
- Control commands (backend/control) run here too, on the same connection, through
  ``hold``: a gateway polled by this process is shared (its connection serializes each
  exchange, so a write goes between two poll exchanges, ahead of the next one); an idle
  gateway is locked as a poll would lock it; a gateway another process holds raises
  ``GatewayBusy`` naming that process, so the command can be handed to it.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field

from backend.extensions import redis
from backend.field.inventory import load_poll_gateways
from backend.field.locks import (
    LOCK_KEY,
    RELEASE_OWNED,
    extend,
    lease_ms,
    lock_ms,
    owner_of,
    release,
)
from backend.field.modbus import GatewayAddress, GatewayConnection
from backend.field.poller import CycleResult, GatewayResult, PollEngine, PollGateway
from backend.settings import setting

log = logging.getLogger(__name__)

CONFIG_TTL_SECONDS = 15     # device list re-read at most this often
STREAM_EVERY = 0.25         # s: readings of polls in flight handed to storing this often



class GatewayBusy(Exception):
    """Another process holds the gateway: ``owner`` is its poller identity (or None)."""

    def __init__(self, gateway_id: int, owner: str | None):
        super().__init__(f"gateway {gateway_id} is held by {owner or 'another process'}")
        self.gateway_id, self.owner = gateway_id, owner


@dataclass
class Started:
    """What ``FieldSession.start`` did with a shard's gateways."""
    gateways: list[int] = field(default_factory=list)   # polls started now
    busy: list[int] = field(default_factory=list)       # still in flight from an earlier job
    skipped: list[int] = field(default_factory=list)    # locked by another poller


@dataclass
class _Flight:
    gateway: PollGateway
    rate: str
    future: futures.Future
    token: str
    started: float
    limit_seconds: float      # a poll still running after this long is cancelled


class FieldSession:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._engine: PollEngine | None = None
        self._config: dict = {"at": 0.0, "key": None, "gateways": []}
        self._last_polled: dict = {}   # (device_id, rate) -> monotonic time
        self._flights: dict[int, _Flight] = {}   # gateway id -> its poll in progress
        self._unanswering: set[int] = set()      # gateways whose last poll got no answer
        # Readings of devices read so far by the polls in flight (appended on the loop
        # thread, taken by ``collect``; deque appends and pops are thread-safe).
        self._streamed: deque = deque()
        self._owner_id: str | None = None
        # Commands holding a gateway: count, and the lock token to release after the last.
        self._mutex = threading.Lock()
        self._holds: dict[int, int] = {}
        self._hold_tokens: dict[int, str] = {}
        self._lease_ms = lease_ms(2)
        self._redis = None                     # the client the renewer renews leases with
        self._renewer: threading.Thread | None = None

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

    def start(self, gateways: list[tuple[PollGateway, dict]], rate: str) -> Started:
        """Start polling the due devices of each gateway that is neither in flight here nor
        locked by another poller. Each gateway is its own task on the loop: a slow or
        silent gateway never holds up another, and a poll job never waits for one that
        is known not to answer (see ``collect``)."""
        started = Started()
        self._reap()
        self._renewing()
        limit_ms = lock_ms(gw for gw, _ in gateways)
        token = f"{self._owner()}:{uuid.uuid4().hex}"
        candidates = []
        for gw, intervals in gateways:
            if gw.id in self._flights:
                started.busy.append(gw.id)
            elif redis.set(LOCK_KEY.format(gateway_id=gw.id), token, nx=True,
                           px=self._lease_ms):
                candidates.append((gw, intervals))
            else:
                started.skipped.append(gw.id)
        due = {gw.id: gw for gw in self.due(candidates, rate)}
        for gw, _ in candidates:
            if gw.id not in due:
                release(gw.id, token)
                continue
            future = asyncio.run_coroutine_threadsafe(
                self.engine().poll(due[gw.id], rate, sink=self._streamed.append), self.loop())
            with self._mutex:
                self._flights[gw.id] = _Flight(due[gw.id], rate, future, token,
                                               time.monotonic(), limit_ms / 1000)
            started.gateways.append(gw.id)
        return started

    def collect(self, started: Started, wait: float,
                every: float = STREAM_EVERY) -> Iterator[list[GatewayResult]]:
        """Yield batches as polls progress: first what is already done (earlier jobs'
        flights included), then, for at most ``wait`` seconds, the gateways this job
        started, except those that did not answer last time (they finish in the
        background and a later job stores their result). A batch holds the results of the
        gateways finished since the last one and, as a ``GatewayResult.partial``, the
        readings of devices read meanwhile by polls still running (at most ``every``
        seconds apart): storing runs beside polling instead of after it, since a fleet's
        gateways, polled side by side, all finish near the end of the cycle. The lock of
        each finished gateway is released as its result is handed over."""
        deadline = time.monotonic() + wait
        awaited = {gid for gid in started.gateways if gid not in self._unanswering}
        while True:
            done = [gid for gid, f in self._flights.items() if f.future.done()]
            batch = self._finish_all(done) + self._drain()   # a finished poll's last
            if batch:                                         # readings are in the deque
                yield batch
                awaited.difference_update(done)
            pending = [self._flights[g].future for g in awaited if g in self._flights]
            remaining = deadline - time.monotonic()
            if not pending or remaining <= 0:
                return
            futures.wait(pending, timeout=min(remaining, every),
                         return_when=futures.FIRST_COMPLETED)

    def _drain(self) -> list[GatewayResult]:
        readings = []
        while self._streamed:
            readings.append(self._streamed.popleft())
        return [GatewayResult.partial(readings)] if readings else []

    def _owner(self) -> str:
        """Who holds this process's locks. With a stable ``poller_id`` the first call
        takes back the locks a killed predecessor of the same identity left (the
        supervisor runs one process per identity), so polling resumes at once."""
        if self._owner_id is None:
            poller_id = setting("poller_id")
            self._owner_id = poller_id or f"pid{os.getpid()}-{uuid.uuid4().hex[:8]}"
            if poller_id:
                release = redis.register_script(RELEASE_OWNED)
                for key in redis.scan_iter(match=LOCK_KEY.format(gateway_id="*"), count=500):
                    if release(keys=[key], args=[f"{poller_id}:"]):
                        log.warning("took back %s, left by a stopped poller %s", key, poller_id)
        return self._owner_id

    def finished(self) -> list[GatewayResult]:
        """The results of polls that finished since the last job (their gateways can
        then be started again at once), with the readings streamed since."""
        return (self._finish_all([gid for gid, f in self._flights.items() if f.future.done()])
                + self._drain())

    def _finish_all(self, gateway_ids: list[int]) -> list[GatewayResult]:
        return [r for r in map(self._finish, gateway_ids) if r is not None]

    def in_flight(self) -> list[int]:
        return sorted(self._flights)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every poll in flight has finished (their results stay for the next
        ``collect``); False if some are still running after ``timeout`` seconds."""
        pending = [f.future for f in self._flights.values()]
        return not futures.wait(pending, timeout=timeout).not_done

    def _finish(self, gateway_id: int) -> GatewayResult | None:
        with self._mutex:
            flight = self._flights.pop(gateway_id)
            if gateway_id in self._holds:        # a command still on the bus: it releases
                self._hold_tokens[gateway_id] = flight.token
            else:
                release(gateway_id, flight.token)
        try:
            result = flight.future.result()
        except (Exception, futures.CancelledError):
            log.exception("poll of gateway %s (%s) failed", gateway_id, flight.rate,
                          extra={"gateway_id": gateway_id})
            return None
        if result.answered:
            self._unanswering.discard(gateway_id)
        else:
            self._unanswering.add(gateway_id)
        return result

    def _reap(self) -> None:
        """A flight older than its limit (a bug: every request has a timeout) is
        cancelled, so that the gateway can be polled again."""
        now = time.monotonic()
        for gid, flight in list(self._flights.items()):
            if now - flight.started > flight.limit_seconds and not flight.future.done():
                log.error("poll of gateway %s outlived its limit (%.0f s): cancelled",
                          gid, flight.limit_seconds)
                flight.future.cancel()

    def _renewing(self) -> None:
        """Leases of one fast interval, renewed by a daemon thread every third of it for
        as long as this process lives: a killed poller's gateways are free within one
        fast interval, a live one's never lapse between two jobs."""
        self._lease_ms = lease_ms(setting("poll_fast_seconds"))
        self._redis = redis.current()
        if self._renewer is None or not self._renewer.is_alive():
            self._renewer = threading.Thread(target=self._renew_forever, name="lock-renewer",
                                             daemon=True)
            self._renewer.start()

    def _renew_forever(self) -> None:
        while True:
            time.sleep(self._lease_ms / 3000)
            try:
                self.renew()
            except Exception:   # Redis away: the next round tries again; never die
                log.warning("gateway lock renewal failed", exc_info=True)

    def renew(self) -> None:
        """Renew the lease of every gateway this process polls or commands."""
        with self._mutex:
            held = [(gid, f.token) for gid, f in self._flights.items()]
            held += list(self._hold_tokens.items())
        for (gid, token), ok in zip(held, extend(self._redis, held, self._lease_ms)):
            if not ok:
                with self._mutex:
                    still = (gid in self._flights and self._flights[gid].token == token
                             or self._hold_tokens.get(gid) == token)
                if still:
                    log.error("lost the lock of gateway %s (not renewed in time)", gid,
                              extra={"gateway_id": gid})

    @contextlib.contextmanager
    def hold(self, gateway_id: int, address: GatewayAddress) -> Iterator["Bus"]:
        """The gateway's bus for a command, shared with this process's polls of it; locked
        (as a poll locks it) when idle; ``GatewayBusy`` when another process holds it."""
        self._renewing()
        with self._mutex:
            if gateway_id not in self._flights and gateway_id not in self._holds:
                token = f"{self._owner()}:{uuid.uuid4().hex}"
                key = LOCK_KEY.format(gateway_id=gateway_id)
                if not redis.set(key, token, nx=True, px=self._lease_ms):
                    raise GatewayBusy(gateway_id, owner_of(redis.get(key)))
                self._hold_tokens[gateway_id] = token
            self._holds[gateway_id] = self._holds.get(gateway_id, 0) + 1
        try:
            yield Bus(self, PollGateway(gateway_id, address, ()))
        finally:
            with self._mutex:
                self._holds[gateway_id] -= 1
                if not self._holds[gateway_id]:
                    del self._holds[gateway_id]
                    token = self._hold_tokens.pop(gateway_id, None)
                    if token:
                        release(gateway_id, token)

    def owner(self) -> str:
        """This process's poller identity (what a lock it holds starts with)."""
        return self._owner()

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
        """One whole cycle on the session's loop, without locks (benchmarks, tools)."""
        future = asyncio.run_coroutine_threadsafe(self.engine().cycle(gateways, rate),
                                                  self.loop())
        return future.result(timeout=timeout)

    def reset(self) -> None:
        """Forget cached configuration, per-device timing and flights, close the
        connections (tests run many fleets in one process)."""
        for gid, flight in list(self._flights.items()):
            flight.future.cancel()
            release(gid, flight.token)
        self._flights.clear()
        self._streamed.clear()
        self._holds.clear()
        self._hold_tokens.clear()
        self._unanswering.clear()
        self._owner_id = None
        self._config.update(at=0.0, key=None, gateways=[])
        self._last_polled.clear()
        if self._engine is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._engine.close)


class Bus:
    """A held gateway: ``run`` awaits ``work(connection)`` on the session's loop."""

    def __init__(self, session: FieldSession, gateway: PollGateway) -> None:
        self._session, self._gateway = session, gateway

    def run(self, work: Callable[[GatewayConnection], Awaitable], timeout: float):
        async def on_loop():
            return await work(self._session.engine().connection(self._gateway))
        future = asyncio.run_coroutine_threadsafe(on_loop(), self._session.loop())
        try:
            return future.result(timeout)
        except futures.TimeoutError:
            future.cancel()
            raise


SESSION = FieldSession()     # this process's
