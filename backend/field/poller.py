"""The poll engine: one cycle over many gateways, concurrently, on one asyncio loop.

Pure of the database and of RQ: it takes gateway/device descriptions (plain data with
their profiles' read plans) and returns readings and per-device outcomes. Requests to one
gateway are serialized (its ``GatewayConnection`` holds a lock, as an RS-485 bus needs);
different gateways run concurrently; a dead gateway costs its own devices one timeout,
never the others' time. Connections stay open across cycles while the engine lives.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from backend.field.modbus import GatewayAddress, GatewayConnection, ModbusError
from backend.field.profile import Profile, ReadRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollDevice:
    id: int
    unit_id: int
    profile: Profile
    poles: str | None = None

    def plan(self, rate: str) -> list[ReadRequest]:
        return _plan(self.profile, rate, self.poles)


_PLANS: dict = {}


def _plan(profile: Profile, rate: str, poles: str | None) -> list[ReadRequest]:
    key = (profile.name, id(profile), rate, poles)
    if key not in _PLANS:
        _PLANS[key] = profile.read_plan(rate, poles=poles)
    return _PLANS[key]


@dataclass(frozen=True)
class PollGateway:
    id: int
    address: GatewayAddress
    devices: tuple[PollDevice, ...]


@dataclass
class GatewayResult:
    """One gateway's part of a cycle."""
    gateway_id: int | None   # None: a ``partial`` result
    readings: list       # (device_id, ts, {metric: value})
    outcomes: list       # (device_id, ok, error or None)
    requests: int
    seconds: float

    @classmethod
    def partial(cls, readings: list) -> "GatewayResult":
        """Readings streamed out of polls still running (``PollEngine.poll``'s ``sink``):
        no gateway, no outcomes (those come with each gateway's own result)."""
        return cls(None, readings, [], 0, 0.0)

    @property
    def answered(self) -> bool:
        """False when no polled device answered: the gateway (or its bus) is down."""
        return any(ok for _, ok, _ in self.outcomes) or not self.outcomes


@dataclass
class CycleResult:
    readings: list = field(default_factory=list)    # (device_id, ts, {metric: value})
    outcomes: list = field(default_factory=list)    # (device_id, ok, error or None)
    requests: int = 0
    seconds: float = 0.0
    gateway_seconds: dict = field(default_factory=dict)


class PollEngine:
    """Keeps one ``GatewayConnection`` per gateway; ``cycle`` polls a set of gateways."""

    def __init__(self, *, retries: int = 1, dead_after: int = 2) -> None:
        self.retries = retries          # extra attempts of a failed request (timeouts only)
        self.dead_after = dead_after    # consecutive unanswered devices => gateway is down
        self._conns: dict[int, GatewayConnection] = {}

    def connection(self, gw: PollGateway) -> GatewayConnection:
        conn = self._conns.get(gw.id)
        if conn is None or conn.address != gw.address:
            if conn is not None:
                conn.close()
            conn = self._conns[gw.id] = GatewayConnection(gw.address, name=f"gateway {gw.id}")
        return conn

    def forget(self, keep_ids: set[int]) -> None:
        """Close connections to gateways no longer configured."""
        for gid in list(self._conns):
            if gid not in keep_ids:
                self._conns.pop(gid).close()

    async def cycle(self, gateways: list[PollGateway], rate: str) -> CycleResult:
        started = time.perf_counter()
        result = CycleResult()
        for part in await asyncio.gather(*(self.poll(gw, rate) for gw in gateways)):
            result.readings.extend(part.readings)
            result.outcomes.extend(part.outcomes)
            result.requests += part.requests
            result.gateway_seconds[part.gateway_id] = part.seconds
        result.seconds = time.perf_counter() - started
        return result

    async def poll(self, gw: PollGateway, rate: str,
                   sink: Callable[[tuple], None] | None = None) -> GatewayResult:
        """Poll one gateway's devices once, in order (one request at a time on its bus).

        With ``sink``, each device's reading is handed to it as soon as the device is read
        (its result's ``readings`` then stay empty), so that storing can go on while the
        rest of the gateway is polled; the outcomes still come with the result."""
        started = time.perf_counter()
        conn = self.connection(gw)
        readings, outcomes, requests = [], [], 0
        unanswered = 0
        for i, dev in enumerate(gw.devices):
            plan = dev.plan(rate)
            if not plan:
                continue
            if unanswered >= self.dead_after:
                # The gateway (or its bus) is down: do not spend a timeout per device.
                error = f"gateway {gw.id} not answering"
                outcomes.extend((d.id, False, error) for d in gw.devices[i:] if d.plan(rate))
                break
            try:
                values, n = await self._read_device(conn, dev, plan)
                requests += n
            except ModbusError as exc:
                requests += 1
                outcomes.append((dev.id, False, str(exc)))
                unanswered = unanswered + 1 if exc.kind in ("timeout", "connection") else 0
                if exc.kind == "connection":
                    unanswered = self.dead_after   # no TCP link: nothing behind it answers
                continue
            unanswered = 0
            (sink or readings.append)((dev.id, datetime.now(timezone.utc), values))
            outcomes.append((dev.id, True, None))
        return GatewayResult(gw.id, readings, outcomes, requests, time.perf_counter() - started)

    async def _read_device(self, conn: GatewayConnection, dev: PollDevice,
                           plan: list[ReadRequest]) -> tuple[dict, int]:
        values: dict = {}
        requests = 0
        for req in plan:
            for attempt in range(self.retries + 1):
                requests += 1
                try:
                    data = await conn.read(req.table, req.address, req.count, dev.unit_id)
                    break
                except ModbusError as exc:
                    if exc.kind != "timeout" or attempt == self.retries:
                        raise
            values.update(req.decode(data))
        return values, requests

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()
