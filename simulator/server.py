"""One pymodbus TCP server per gateway, its devices behind it by unit id.

Built on pymodbus 3.16's server data model: one ``SimDevice`` per unit id (four separate
tables: coils, discrete inputs, holding and input registers, as real devices have) with an
``action`` hook that pymodbus awaits on every access. The hook

* makes a silenced device or gateway not answer at all (``NoSuchIdException`` with
  ``ignore_missing_devices``: the client times out, as on a dead RS-485 line);
* adds injected latency and, with bus emulation, holds the gateway's bus lock for the
  exchange's wire time (``bus.py``), counted from when the request frame arrived: one
  outstanding request per gateway, like RS-485;
* fills the requested registers from the device's state just in time (encoding only the
  fields the request covers), so nothing is re-encoded for devices nobody polls;
* routes writes to the device, which accepts them or names a Modbus exception.

(``ModbusServerContext``/``ModbusDeviceContext`` are deprecated in 3.16 and converted to
``SimDevice`` internally without an action hook; using ``SimDevice`` directly is the
supported way to get the hook.) Unknown unit ids are served by a catch-all device 0 that
never answers, like an empty bus address (its tables span the gateway's largest map plus
one maximal request; a read beyond that gets ILLEGAL ADDRESS instead of silence).
"""
from __future__ import annotations

import asyncio
import logging

from pymodbus import FramerType
from pymodbus.constants import ExcCodes
from pymodbus.exceptions import NoSuchIdException
from pymodbus.server import ModbusTcpServer
from pymodbus.server.requesthandler import ServerRequestHandler
from pymodbus.simulator import DataType, SimData, SimDevice

from simulator.bus import BusConfig

log = logging.getLogger(__name__)
TABLE_OF_FC = {1: "coil", 5: "coil", 15: "coil", 2: "discrete", 3: "holding", 6: "holding",
               16: "holding", 22: "holding", 23: "holding", 4: "input"}
BIT_TABLES = ("coil", "discrete")
READS = (1, 2, 3, 4)


def _pack(bits: list) -> int:
    word = 0
    for k, b in enumerate(bits):
        if b:
            word |= 1 << k
    return word


class _Handler(ServerRequestHandler):
    """Notes when a request frame arrives, for the bus emulation: a real gateway starts
    the serial exchange then, not after pymodbus has scheduled the request (two turns of
    a busy event loop later, a delay that grows with the number of emulated buses)."""

    def callback_data(self, data: bytes, addr: tuple | None = None) -> int:
        self.server.received_at = self.loop.time()
        return super().callback_data(data, addr)


class _TcpServer(ModbusTcpServer):
    received_at = 0.0               # loop time the last request frame arrived

    def callback_new_connection(self):
        return _Handler(self, self.trace_packet, self.trace_pdu, self.trace_connect)


class GatewayServer:
    def __init__(self, spec, devices, bus: BusConfig | None = None, host: str | None = None):
        self.spec, self.code = spec, spec.code
        self.host = host or spec.host
        self.devices = {d.unit_id: d for d in devices}
        self.bus = bus or BusConfig()
        self.silent = False
        self.latency = 0.0
        self.requests = 0
        self.port: int | None = None
        self._server: ModbusTcpServer | None = None
        self._lock: asyncio.Lock | None = None
        self._bus_free = 0.0            # loop time the emulated bus's last exchange ends

    def _simdevice(self, unit: int, dev) -> SimDevice:
        if dev is not None:
            size = dev.size
        else:   # catch-all: big enough that any plausible read reaches the action (silence)
            size = {t: max((d.size[t] for d in self.devices.values()), default=0)
                    + (2000 if t in BIT_TABLES else 125) for t in TABLE_OF_FC.values()}

        def table(name: str) -> list[SimData]:
            n = max(size.get(name, 1), 1)
            if name in BIT_TABLES:
                return [SimData(0, count=n, values=False, datatype=DataType.BITS)]
            return [SimData(0, count=n, values=0, datatype=DataType.REGISTERS)]

        async def action(fc, start, address, count, registers, values):
            return await self._access(dev, fc, start, address, count, registers, values)

        return SimDevice(unit, simdata=(table("coil"), table("discrete"), table("holding"),
                                        table("input")), action=action)

    async def start(self) -> None:
        self._lock = asyncio.Lock()
        simdevices = [self._simdevice(u, d) for u, d in sorted(self.devices.items())]
        simdevices.append(self._simdevice(0, None))
        framer = FramerType.RTU if self.spec.transport == "rtu_over_tcp" else FramerType.SOCKET
        self._server = _TcpServer(simdevices, framer=framer,
                                  address=(self.host, self.spec.port),
                                  ignore_missing_devices=True)
        await self._server.serve_forever(background=True)
        self.port = self._server.transport.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown()
            self._server = None

    async def _access(self, dev, fc, start, address, count, registers, values):
        if dev is None or self.silent or dev.silent:
            raise NoSuchIdException("not answering")
        table = TABLE_OF_FC.get(fc)
        if table is None:
            return ExcCodes.ILLEGAL_FUNCTION
        # Single writes (5, 6) read back the value for their echo: one exchange, not two.
        if values is not None or fc in READS:
            self.requests += 1
            delay = self.latency + dev.latency
            if self.bus.enabled:
                per = 16 if table in BIT_TABLES else 1
                n = len(values) if values is not None else count * per
                await self._exchange(delay + self.bus.time(fc, n))
            elif delay > 0:
                await asyncio.sleep(delay)
            if self.silent or dev.silent:            # silenced while this one waited
                raise NoSuchIdException("not answering")
        if values is not None:
            if table in BIT_TABLES:
                values = [bool(v) for v in values]
            rc = dev.write(table, address, list(values))
            return ExcCodes(rc) if rc else None
        if table in BIT_TABLES:
            # pymodbus passes the bit address and the number of 16-bit words holding the bits
            w0 = address // 16
            first = w0 * 16
            n = min(count * 16, dev.size[table] - first)
            bits = dev.read(table, first, n) if n > 0 else []
            bits = list(bits or []) + [False] * (count * 16 - len(bits or []))
            for k in range(count):
                registers[w0 - start + k] = _pack(bits[16 * k:16 * k + 16])
            return None
        data = dev.read(table, address, count)
        if data is None:
            return ExcCodes.ILLEGAL_ADDRESS
        off = address - start
        registers[off:off + count] = data
        return None

    async def _exchange(self, seconds: float) -> None:
        """Hold the bus for one exchange: ``seconds`` from when the request arrived (or
        from when the previous exchange freed the bus, if later). One at a time."""
        loop = asyncio.get_running_loop()
        async with self._lock:
            start = max(self._server.received_at, self._bus_free)
            self._bus_free = start + seconds
            await asyncio.sleep(self._bus_free - loop.time())

    def snapshot(self) -> dict:
        return {"code": self.code, "host": self.host, "port": self.port,
                "transport": self.spec.transport, "devices": len(self.devices),
                "silent": self.silent, "latency_ms": round(self.latency * 1000),
                "bus": {"baud": self.bus.baud, "turnaround_ms": self.bus.turnaround_ms},
                "requests": self.requests}
