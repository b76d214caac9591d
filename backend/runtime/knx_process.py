"""The KNX process (``gridwarden knx``, supervised by ``gridwarden up`` when KNX gateways
exist): one xknx connection per enabled KNX gateway (backend/knx/bus.py), and

- the commands of knx_group devices from their own queue (``gw:control:knx``), executed
  with the control lifecycle (backend/control/knx_execute.py);
- every ``probe`` seconds, a GroupValueRead of each group's state addresses: the answers
  are the groups' latest values and their online status, and an unacknowledged request
  is how a lost tunnel is noticed (xknx then reconnects by itself);
- telegrams seen on the bus (a wall switch) -> the group's latest values (telemetry, as
  the poller stores them) and a ``knx_telegram`` event on the site's live stream;
- a lost or failed connection -> the gateway's ``knx_offline`` alarm, cleared on
  reconnect (backend/alarms/knx_link.py).

Database work runs in worker threads (``_db``), never on the event loop.
"""
from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field

from sqlalchemy import select

from backend.clock import iso, utcnow
from backend.knx import groups
from backend.knx.bus import KnxLink, LinkConfig

log = logging.getLogger("gridwarden.knx")

REFRESH_S = 5.0          # how often the gateways and groups are read again
BACKOFF_START, BACKOFF_MAX = 1.0, 30.0


@dataclass
class Group:
    device_id: int
    site_id: int
    attributes: dict


@dataclass
class Gateway:
    id: int
    site_id: int
    cfg: LinkConfig
    groups: dict[int, Group] = field(default_factory=dict)
    link: KnxLink | None = None
    task: asyncio.Task | None = None


class KnxProcess:
    def __init__(self, app, *, probe_s: float = 10.0, backoff_max: float = BACKOFF_MAX,
                 reconnect_wait_s: int = 3) -> None:
        self.app = app
        self.probe_s, self.backoff_max, self.reconnect_wait_s = probe_s, backoff_max, \
            reconnect_wait_s
        self.gateways: dict[int, Gateway] = {}
        self._halt = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._seen: dict[int, dict] = {}        # device id -> the values last seen

    def _spawn(self, coro) -> None:
        """A task of a callback (telegram, state, command), awaited at stop; none once
        stopping (a connection closed on purpose raises no alarm)."""
        if self._halt.is_set():
            coro.close()
            return
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- the database, in threads --------------------------------------------------------
    async def _db(self, fn, *args):
        def call():
            from backend.extensions import db

            with self.app.app_context():
                try:
                    return fn(*args)
                finally:
                    db.session.remove()
        return await asyncio.to_thread(call)

    def _load(self) -> dict[int, tuple]:
        from backend.extensions import db
        from backend.models import Device, KnxGateway

        out = {}
        for gw in db.session.scalars(select(KnxGateway).where(KnxGateway.enabled.is_(True))):
            cfg = LinkConfig(gw.host, gw.port, gw.mode, gw.local_ip, gw.individual_address,
                             self.reconnect_wait_s)
            members = {d.id: Group(d.id, d.site_id, dict(d.attributes or {}))
                       for d in db.session.scalars(select(Device).where(
                           Device.knx_gateway_id == gw.id, Device.kind == "knx_group",
                           Device.enabled.is_(True)))}
            out[gw.id] = (gw.site_id, cfg, members)
        return out

    # --- running -------------------------------------------------------------------------
    def stop(self) -> None:
        self._halt.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, self.stop)
            except (RuntimeError, ValueError):   # not the main thread (tests)
                pass
        commands = asyncio.create_task(self._commands())
        try:
            while not self._halt.is_set():
                try:
                    await self._refresh()
                except Exception:  # noqa: BLE001 - the database is back at the next round
                    log.exception("KNX: could not read the gateways")
                try:
                    await asyncio.wait_for(self._halt.wait(), REFRESH_S)
                except TimeoutError:
                    pass
        finally:
            self._halt.set()
            commands.cancel()
            for gw in list(self.gateways.values()):
                await self._drop(gw)
            await asyncio.gather(commands, *self._tasks,
                                 *(g.task for g in self.gateways.values() if g.task),
                                 return_exceptions=True)

    async def _refresh(self) -> None:
        wanted = await self._db(self._load)
        for gw_id in [g for g in self.gateways if g not in wanted
                      or wanted[g][1] != self.gateways[g].cfg]:
            await self._drop(self.gateways.pop(gw_id))
        for gw_id, (site_id, cfg, members) in wanted.items():
            gw = self.gateways.get(gw_id)
            if gw is None:
                gw = self.gateways[gw_id] = Gateway(gw_id, site_id, cfg)
                gw.task = asyncio.create_task(self._gateway(gw))
            gw.groups = members

    async def _drop(self, gw: Gateway) -> None:
        if gw.task is not None:
            gw.task.cancel()
        if gw.link is not None:
            await gw.link.stop()

    async def _gateway(self, gw: Gateway) -> None:
        """Connect (retrying with a growing pause), then probe while it runs."""
        delay = BACKOFF_START
        gw.link = KnxLink(gw.cfg, on_telegram=lambda *t: self._spawn(self._telegram(gw, *t)),
                          on_state=lambda c: self._spawn(self._state(gw, c)))
        while True:
            try:
                await gw.link.start()
                break
            except ConnectionError as exc:
                log.warning("KNX gateway %s: %s; again in %.0f s", gw.id, exc, delay)
                await self._state(gw, False, str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.backoff_max)
        log.info("KNX gateway %s connected (%s:%s)", gw.id, gw.cfg.host, gw.cfg.port)
        while True:
            try:
                if gw.link.connected:
                    await self._probe(gw)
                else:       # reconnecting: its groups go offline after the usual failures
                    await self._db(self._status, [(d, False, "KNX gateway not connected")
                                                  for d in gw.groups])
            except Exception:  # noqa: BLE001 - probing again next time
                log.exception("KNX gateway %s: probe failed", gw.id)
            await asyncio.sleep(self.probe_s)

    async def _state(self, gw: Gateway, connected: bool, error: str | None = None) -> None:
        from backend.alarms.knx_link import connection_changed

        log.info("KNX gateway %s %s", gw.id, "connected" if connected else "not connected")
        await self._db(connection_changed, gw.id, connected, utcnow(), error)
        if not connected:
            await self._db(self._status, [(d, False, "KNX gateway not connected")
                                          for d in gw.groups])

    async def _probe(self, gw: Gateway) -> None:
        batch, status = [], []
        for group in list(gw.groups.values()):
            values = await self._read_state(gw, group)
            if values:
                batch.append((group.device_id, utcnow(), values))
                self._seen[group.device_id] = {**self._seen.get(group.device_id, {}),
                                               **values}
            status.append((group.device_id, bool(values),
                           None if values else "no answer on the state address"))
        if batch:
            await self._db(self._ingest, batch)
        if status:
            await self._db(self._status, status)

    async def _read_state(self, gw: Gateway, group: Group, metrics=groups.METRICS) -> dict:
        addrs = groups.addresses(group.attributes)
        out: dict = {}
        for metric, key in (("light", "switch_state"), ("brightness", "brightness_state")):
            if metric in metrics and key in addrs:
                payload = await gw.link.read(addrs[key], 1.0)
                if payload is not None:
                    out.update(groups.values_of(group.attributes, addrs[key], payload))
        return out

    @staticmethod
    def _ingest(batch) -> None:
        from backend.telemetry.ingest import ingest

        ingest(batch)

    @staticmethod
    def _status(results) -> None:
        from backend.telemetry.status import record_poll_results

        if results:
            record_poll_results(results)

    async def _telegram(self, gw: Gateway, address: str, kind: str, payload,
                        outgoing: bool) -> None:
        """A telegram on the bus: a write (a wall switch, an actuator's status) changes the
        group's values; an answer to a read only when it shows something new (the
        probe's own answers are stored by the probe)."""
        if outgoing or kind == "read":
            return
        now = utcnow()
        batch = []
        for g in gw.groups.values():
            values = groups.values_of(g.attributes, address, payload)
            seen = self._seen.setdefault(g.device_id, {})
            if values and (kind == "write" or any(seen.get(k) != v
                                                  for k, v in values.items())):
                seen.update(values)
                batch.append((g.device_id, now, values))
        if not batch:
            return
        from backend.live import stream

        def store():
            self._ingest(batch)
            for device_id, _, values in batch:
                stream.publish(gw.site_id, "knx_telegram", {
                    "knx_gateway_id": gw.id, "device_id": device_id, "address": address,
                    "kind": kind, "values": values, "at": iso(now)})
        try:
            await self._db(store)
        except Exception:  # noqa: BLE001 - a telegram lost to a database hiccup
            log.exception("KNX: telegram to %s not stored", address)

    # --- commands ------------------------------------------------------------------------
    async def _commands(self) -> None:
        from backend.control import queue

        def take():
            from backend.extensions import redis

            client = redis.current()
            item = client.blpop([queue.KNX_QUEUE_KEY], 1)
            if item and self._halt.is_set():     # taken while stopping: give it back
                client.lpush(queue.KNX_QUEUE_KEY, item[1])
                return None
            return item[1] if item else None
        while True:
            try:
                item = await self._db(take)
                if item:
                    command_id, _ = queue.parse(item)
                    log.info("KNX: command %s taken", command_id)
                    self._spawn(self._execute(command_id))
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the reconciler pushes it again
                log.exception("KNX: command queue error, again in 1 s")
                await asyncio.sleep(1)

    async def _execute(self, command_id: int) -> str:
        from backend.control import knx_execute as kx

        plan = await self._db(kx.plan, command_id)
        if isinstance(plan, str):
            return plan
        gw = self.gateways.get(plan.knx_gateway_id)
        if gw is None or gw.link is None or not gw.link.connected:
            return await self._db(kx.not_connected, plan)
        if not await self._db(kx.claim, plan):
            return "skipped"
        observed = None
        try:
            await gw.link.write(*plan.write)
            observed = await self._readback(gw, plan)
        except ConnectionError:
            log.warning("KNX: connection lost while executing command %s", command_id)
        state = await self._db(kx.settle, plan, observed)
        log.info("command %s (KNX): %s", command_id, state)
        return state

    async def _readback(self, gw: Gateway, plan) -> dict | None:
        from backend.control.device_io import matches

        address, metric = plan.read
        loop = asyncio.get_running_loop()
        deadline = loop.time() + plan.readback_s
        observed = None
        while True:
            left = deadline - loop.time()
            payload = await gw.link.read(address, max(0.2, min(1.0, left)))
            if payload is not None:
                value = groups.value_for(metric, payload)
                if value is not None:
                    observed = {metric: value}
                    if matches(observed, plan.expect):
                        return observed
            if loop.time() + 0.1 > deadline:
                return observed
            await asyncio.sleep(0.1)


def run(app, **kwargs) -> None:
    asyncio.run(KnxProcess(app, **kwargs).run())
