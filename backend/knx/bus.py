"""One KNXnet/IP connection through xknx: the only backend module that imports xknx
(import-linter contract ``knx-one-module``).

``KnxLink`` connects (tunnelling or routing), reports its connection state, hands every
group telegram seen on the bus to a callback as (address, kind, payload) and writes or
reads a group address. Payloads are plain Python: ``bool`` for DPT 1 (one bit), ``int``
0-255 for a one-byte value (DPT 5). xknx itself reconnects a lost tunnel
(``auto_reconnect``); ``start`` retries a first connection with a growing pause.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from xknx import XKNX
from xknx.core import XknxConnectionState
from xknx.core.value_reader import ValueReader
from xknx.dpt import DPTArray, DPTBinary
from xknx.exceptions import XKNXException
from xknx.io import ConnectionConfig, ConnectionType
from xknx.telegram import GroupAddress, Telegram, TelegramDirection
from xknx.telegram.apci import GroupValueRead, GroupValueResponse, GroupValueWrite

log = logging.getLogger(__name__)

MODES = ("tunneling", "routing")
KINDS = {GroupValueWrite: "write", GroupValueResponse: "response", GroupValueRead: "read"}


@dataclass(frozen=True)
class LinkConfig:
    host: str
    port: int = 3671
    mode: str = "tunneling"
    local_ip: str | None = None
    individual_address: str | None = None
    reconnect_wait_s: int = 3


def _connection(cfg: LinkConfig) -> ConnectionConfig:
    if cfg.mode == "routing":
        return ConnectionConfig(connection_type=ConnectionType.ROUTING,
                                local_ip=cfg.local_ip, multicast_group=cfg.host,
                                multicast_port=cfg.port,
                                individual_address=cfg.individual_address)
    return ConnectionConfig(connection_type=ConnectionType.TUNNELING, gateway_ip=cfg.host,
                            gateway_port=cfg.port, local_ip=cfg.local_ip,
                            individual_address=cfg.individual_address,
                            auto_reconnect=True,
                            auto_reconnect_wait=max(1, int(cfg.reconnect_wait_s)))


def payload_of(telegram: Telegram):
    value = getattr(telegram.payload, "value", None)
    if isinstance(value, DPTBinary):
        return bool(value.value)
    if isinstance(value, DPTArray) and len(value.value) == 1:
        return int(value.value[0])
    return None


def _encode(payload) -> DPTBinary | DPTArray:
    if isinstance(payload, bool):
        return DPTBinary(1 if payload else 0)
    return DPTArray((int(payload) & 0xFF,))


class KnxLink:
    def __init__(self, cfg: LinkConfig, *,
                 on_telegram: Callable[[str, str, object, bool], None] | None = None,
                 on_state: Callable[[bool], None] | None = None) -> None:
        """``on_telegram(address, kind, payload, outgoing)``; ``on_state(connected)`` on
        every change (called on the loop: keep it short)."""
        self.cfg = cfg
        self._on_telegram, self._on_state = on_telegram, on_state
        self._xknx: XKNX | None = None
        self.connected = False

    async def start(self) -> None:
        """Connect; raises ``ConnectionError`` when the gateway does not answer."""
        self._xknx = XKNX(connection_config=_connection(self.cfg),
                          telegram_received_cb=self._telegram,
                          connection_state_changed_cb=self._state)
        try:
            await self._xknx.start()
        except (XKNXException, OSError) as exc:
            await self.stop()
            raise ConnectionError(f"KNX gateway {self.cfg.host}:{self.cfg.port}: {exc}") \
                from exc

    async def stop(self) -> None:
        xknx, self._xknx = self._xknx, None
        if xknx is not None:
            try:
                await xknx.stop()
            except Exception:  # noqa: BLE001 - stopping a broken connection
                log.debug("KNX: error while stopping", exc_info=True)
        self._set(False)

    async def write(self, address: str, payload) -> None:
        await self._send(Telegram(destination_address=GroupAddress(address),
                                  payload=GroupValueWrite(_encode(payload))))

    async def respond(self, address: str, payload) -> None:
        await self._send(Telegram(destination_address=GroupAddress(address),
                                  payload=GroupValueResponse(_encode(payload))))

    async def send_read(self, address: str) -> None:
        await self._send(Telegram(destination_address=GroupAddress(address),
                                  payload=GroupValueRead()))

    async def read(self, address: str, timeout_s: float = 2.0):
        """GroupValueRead and the first answer's payload; None: no answer in time."""
        if self._xknx is None or not self.connected:
            return None
        telegram = await ValueReader(self._xknx, GroupAddress(address),
                                     timeout_in_seconds=timeout_s).read()
        return payload_of(telegram) if telegram is not None else None

    async def _send(self, telegram: Telegram) -> None:
        if self._xknx is None or not self.connected:
            raise ConnectionError("KNX: not connected")
        await self._xknx.telegrams.put(telegram)

    def _telegram(self, telegram: Telegram) -> None:
        kind = KINDS.get(type(telegram.payload))
        if kind is None or not isinstance(telegram.destination_address, GroupAddress) \
                or self._on_telegram is None:
            return
        self._on_telegram(str(telegram.destination_address), kind, payload_of(telegram),
                          telegram.direction is TelegramDirection.OUTGOING)

    def _state(self, state: XknxConnectionState) -> None:
        self._set(state is XknxConnectionState.CONNECTED)

    def _set(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            if self._on_state is not None:
                self._on_state(connected)


async def wait_connected(link: KnxLink, timeout_s: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not link.connected and loop.time() < deadline:
        await asyncio.sleep(0.05)
    return link.connected
