"""The one module that imports pymodbus: a transport wrapper per gateway.

``GatewayConnection`` keeps one asyncio TCP connection to a Modbus gateway open across
poll cycles (Modbus TCP, or RTU frames over TCP behind serial-to-Ethernet converters),
serializes requests on it (a gateway in front of an RS-485 bus answers one request at a
time), bounds every request by the gateway's timeout, and counts errors lazily: the
first failure and the recovery are logged, the failures in between are only counted
(Home Assistant's modbus integration does the same).
"""
from __future__ import annotations

import asyncio
import logging
import struct
from dataclasses import dataclass

from pymodbus import FramerType
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException, ModbusIOException
from pymodbus.pdu import ExceptionResponse
from pymodbus.pdu.register_message import (
    ReadHoldingRegistersResponse,
    ReadInputRegistersResponse,
)

log = logging.getLogger(__name__)

TABLES = ("holding", "input", "coil", "discrete")
MAX_REGISTERS = 125
MAX_BITS = 2000


def _decode_registers(self, data: bytes) -> None:
    """pymodbus's register-response decode in one ``struct`` call instead of one per
    register (same checks: a byte count beyond the frame or an odd one is refused)."""
    n = data[0]
    if n >= len(data):
        raise ModbusIOException(f"byte_count {n} > length of packet {len(data)}",
                                function_code=self.function_code)
    if n % 2:
        raise struct.error(f"odd byte count {n} in a register response")
    self.registers = list(struct.unpack_from(f">{n // 2}H", data, 1))


def _short_str(self) -> str:
    """pymodbus 3.16's decoder formats every response for a debug line, logged or not
    (``str(pdu)`` is an argument of ``Log.debug``): ~5 % of the poll loop's CPU with the
    full register list. The short form names the response without its values."""
    return (f"{type(self).__name__}(dev_id={self.dev_id}, "
            f"transaction_id={self.transaction_id}, {len(self.registers)} registers)")


class _HoldingRegistersResponse(ReadHoldingRegistersResponse):
    decode = _decode_registers
    __str__ = _short_str


class _InputRegistersResponse(ReadInputRegistersResponse):
    decode = _decode_registers
    __str__ = _short_str


class ModbusError(Exception):
    """A request failed: ``kind`` is ``timeout``, ``connection`` or ``exception``."""

    def __init__(self, kind: str, message: str, code: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.code = code


@dataclass(frozen=True)
class GatewayAddress:
    host: str
    port: int
    transport: str = "tcp"        # tcp | rtu_over_tcp
    timeout_s: float = 1.0


class GatewayConnection:
    def __init__(self, address: GatewayAddress, name: str = "") -> None:
        self.address = address
        self.name = name or f"{address.host}:{address.port}"
        framer = FramerType.RTU if address.transport == "rtu_over_tcp" else FramerType.SOCKET
        # retries=0: the poller owns retry policy; pymodbus must not hide slow gateways.
        self._client = AsyncModbusTcpClient(address.host, port=address.port, framer=framer,
                                            timeout=address.timeout_s, retries=0,
                                            reconnect_delay=0, name=self.name)
        # Responses to register reads (the poller's bulk) decoded in one struct call;
        # register() is pymodbus's public hook for custom response classes (per client).
        self._client.register(_HoldingRegistersResponse)
        self._client.register(_InputRegistersResponse)
        self._readers = {"holding": self._client.read_holding_registers,
                         "input": self._client.read_input_registers,
                         "coil": self._client.read_coils,
                         "discrete": self._client.read_discrete_inputs}
        self._lock = asyncio.Lock()
        self.errors = 0
        self.requests = 0

    async def _ensure_connected(self) -> None:
        if self._client.connected:
            return
        try:
            ok = await asyncio.wait_for(self._client.connect(), self.address.timeout_s)
        except (TimeoutError, OSError) as exc:
            raise ModbusError("connection", f"{self.name}: cannot connect: {exc!r}") from exc
        if not ok:
            raise ModbusError("connection", f"{self.name}: cannot connect")

    async def read(self, table: str, address: int, count: int, unit: int) -> list:
        """Registers (list of int words) or bits (list of bool) from one request."""
        call = self._readers.get(table)
        if call is None:
            raise ValueError(f"unknown table {table!r}")
        bits = table == "coil" or table == "discrete"
        if not 1 <= count <= (MAX_BITS if bits else MAX_REGISTERS):
            raise ValueError(f"count {count} outside 1..{MAX_BITS if bits else MAX_REGISTERS}"
                             f" for {table}")
        rsp = await self._request(call, address, count=count, device_id=unit)
        if bits:
            return list(rsp.bits[:count])
        return rsp.registers

    async def write_coil(self, address: int, value: bool, unit: int) -> None:
        await self._request(self._client.write_coil, address, value, device_id=unit)

    async def write_registers(self, address: int, words: list[int], unit: int) -> None:
        if len(words) == 1:
            await self._request(self._client.write_register, address, words[0], device_id=unit)
        else:
            await self._request(self._client.write_registers, address, words, device_id=unit)

    async def _request(self, call, *args, **kwargs):
        async with self._lock:
            self.requests += 1
            try:
                await self._ensure_connected()
                # asyncio.timeout, not wait_for: no extra task per request.
                async with asyncio.timeout(self.address.timeout_s):
                    rsp = await call(*args, **kwargs)
            except TimeoutError as exc:
                self._failed()
                # A late answer would be read as the next request's: start afresh.
                self._client.close()
                raise ModbusError("timeout", f"{self.name}: no answer within "
                                             f"{self.address.timeout_s:g} s") from exc
            except ModbusError:
                self._failed()
                raise
            except (ModbusException, OSError) as exc:
                self._failed()
                self._client.close()
                raise ModbusError("connection", f"{self.name}: {exc}") from exc
            if isinstance(rsp, ExceptionResponse) or rsp.isError():
                code = getattr(rsp, "exception_code", None)
                # A Modbus exception is an answer: the link is fine, the request was refused.
                raise ModbusError("exception", f"{self.name}: device refused the request "
                                               f"(Modbus exception {code})", code=code)
            if self.errors:
                log.info("%s answers again after %d failed requests", self.name, self.errors)
                self.errors = 0
            return rsp

    def _failed(self) -> None:
        if self.errors == 0:
            log.warning("%s stopped answering", self.name)
        self.errors += 1

    def close(self) -> None:
        self._client.close()
