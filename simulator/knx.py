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

    def __init__(self, actuators: list[Actuator], host: str, port: int) -> None:
        self.actuators = actuators
        self._xknx = XKNX(connection_config=ConnectionConfig(
            connection_type=ConnectionType.TUNNELING, gateway_ip=host, gateway_port=port,
            local_ip="127.0.0.1" if host.startswith("127.") else None),
            telegram_received_cb=self._telegram)

    async def start(self) -> None:
        await self._xknx.start()

    async def stop(self) -> None:
        await self._xknx.stop()

    def _telegram(self, telegram: Telegram) -> None:
        address = str(telegram.destination_address)
        payload = telegram.payload
        for act in self.actuators:
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
    bus = KnxActuators(actuators, host, port)
    await bus.start()
    try:
        await asyncio.Event().wait()
    finally:
        await bus.stop()
