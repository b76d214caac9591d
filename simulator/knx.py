"""KNX actuators on a knxd bus (the simulator's only xknx module): one per knx_group of
the facility, answering GroupValueRead on its state addresses and applying writes
(switch -> switch_state, brightness -> brightness_state, DPT 1.001 and 5.001), as a
switching/dimming actuator does. A write to a state address (a wall switch's feedback)
is taken as the new state too. Connects to knxd as a KNXnet/IP tunnelling client.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

import yaml
from xknx import XKNX
from xknx.dpt import DPTArray, DPTBinary
from xknx.io import ConnectionConfig, ConnectionType
from xknx.telegram import GroupAddress, Telegram
from xknx.telegram.apci import GroupValueRead, GroupValueResponse, GroupValueWrite

log = logging.getLogger(__name__)


@dataclass
class Actuator:
    code: str
    switch: str
    switch_state: str | None = None
    brightness: str | None = None
    brightness_state: str | None = None
    on: bool = False
    level: int = 0          # 0-255
    silent: bool = False    # a fault: neither answers nor switches (a dead actuator)

    def state_of(self, address: str):
        """The payload to answer a read of ``address`` with (None: not ours)."""
        if address in (self.switch_state or self.switch, self.switch):
            return DPTBinary(1 if self.on else 0)
        if self.brightness and address in (self.brightness_state or self.brightness,
                                           self.brightness):
            return DPTArray((self.level,))
        return None

    def apply(self, address: str, value) -> list[tuple[str, object]]:
        """A write; returns the state telegrams an actuator sends after it."""
        out = []
        if address in (self.switch, self.switch_state) and isinstance(value, DPTBinary):
            self.on = bool(value.value)
            if self.brightness:
                self.level = 255 if self.on and self.level == 0 else (self.level if self.on else 0)
        elif self.brightness and address in (self.brightness, self.brightness_state) \
                and isinstance(value, DPTArray):
            self.level = int(value.value[0])
            self.on = self.level > 0
        else:
            return out
        if address in (self.switch, self.brightness):     # a command: report the state
            if self.switch_state:
                out.append((self.switch_state, DPTBinary(1 if self.on else 0)))
            if self.brightness_state:
                out.append((self.brightness_state, DPTArray((self.level,))))
        return out


def from_facility(path: Path) -> list[Actuator]:
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out = []
    for dev in doc.get("devices") or []:
        attrs = dev.get("attributes") or {}
        if dev.get("kind") == "knx_group" and attrs.get("switch"):
            out.append(Actuator(dev["code"], attrs["switch"], attrs.get("switch_state"),
                                attrs.get("brightness"), attrs.get("brightness_state")))
    return out


class KnxActuators:
    """The actuators on one tunnelling connection to knxd."""

    KEEPALIVE_ADDRESS = "31/7/255"     # read now and then: no group of ours uses it

    def __init__(self, actuators: list[Actuator], host: str, port: int,
                 keepalive_s: float = 2.0) -> None:
        self.actuators, self.keepalive_s = actuators, keepalive_s
        self._keepalive: asyncio.Task | None = None
        self._xknx = XKNX(connection_config=ConnectionConfig(
            connection_type=ConnectionType.TUNNELING, gateway_ip=host, gateway_port=port,
            local_ip="127.0.0.1" if host.startswith("127.") else None),
            telegram_received_cb=self._telegram)

    async def start(self) -> None:
        await self._xknx.start()
        self._keepalive = asyncio.get_running_loop().create_task(self._keep())

    async def stop(self) -> None:
        if self._keepalive is not None:
            self._keepalive.cancel()
        await self._xknx.stop()

    async def _keep(self) -> None:
        """Send something now and then: an unacknowledged request is how xknx notices a
        restarted knxd (its own heartbeat is 70 s) and reconnects the tunnel."""
        while True:
            await asyncio.sleep(self.keepalive_s)
            if self._xknx.connection_manager.connected.is_set():
                self._send(self.KEEPALIVE_ADDRESS, GroupValueRead())

    def _telegram(self, telegram: Telegram) -> None:
        address = str(telegram.destination_address)
        payload = telegram.payload
        for act in self.actuators:
            if act.silent:
                continue
            if isinstance(payload, GroupValueRead):
                value = act.state_of(address)
                if value is not None:
                    self._send(address, GroupValueResponse(value))
            elif isinstance(payload, GroupValueWrite):
                for addr, value in act.apply(address, payload.value):
                    self._send(addr, GroupValueWrite(value))

    def _send(self, address: str, payload) -> None:
        self._xknx.telegrams.put_nowait(Telegram(destination_address=GroupAddress(address),
                                                 payload=payload))


async def run(actuators: list[Actuator], host: str, port: int) -> None:
    """Serve until cancelled; waits for knxd (started beside it) with a growing pause."""
    bus, delay = KnxActuators(actuators, host, port), 0.5
    while True:
        try:
            await bus.start()
            break
        except Exception as exc:  # noqa: BLE001 - knxd not up yet
            log.warning("KNX actuators: knxd at %s:%s: %s; again in %.1f s", host, port, exc,
                        delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)
            bus = KnxActuators(actuators, host, port)
    print(f"simulator: {len(actuators)} KNX actuator(s) on {host}:{port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await bus.stop()
