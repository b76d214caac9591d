"""RS-485 field-bus timing behind a serial-to-TCP gateway.

A gateway in front of an RS-485 bus forwards one request at a time: it sends the RTU
request frame, the device answers after its turnaround, and only then can the next request
go out. The time one exchange holds the bus is

    (request bytes + response bytes) * 11 bits / baud  +  turnaround

with 11 bits per byte (start, 8 data, parity or 2nd stop, stop) and RTU frame sizes
(address + function + data + CRC16). Benchmarks import :func:`exchange_time` to compute the
bus-limited minimum cycle of a read plan.
"""
from __future__ import annotations

from dataclasses import dataclass

BITS_PER_BYTE = 11


def frame_bytes(function_code: int, count: int) -> tuple[int, int]:
    """(request, response) RTU frame sizes for ``count`` registers or bits."""
    if function_code in (3, 4):                         # read registers
        return 8, 5 + 2 * count
    if function_code in (1, 2):                         # read coils / discrete inputs
        return 8, 5 + (count + 7) // 8
    if function_code in (5, 6):                         # write single coil / register (echo)
        return 8, 8
    if function_code == 15:                             # write multiple coils
        return 9 + (count + 7) // 8, 8
    if function_code == 16:                             # write multiple registers
        return 9 + 2 * count, 8
    return 8, 8


def exchange_time(function_code: int, count: int, baud: int, turnaround_s: float = 0.0) -> float:
    """Seconds one request/response exchange occupies the bus."""
    req, rsp = frame_bytes(function_code, count)
    return (req + rsp) * BITS_PER_BYTE / baud + turnaround_s


@dataclass
class BusConfig:
    baud: int = 0                   # 0: no bus emulation (plain Modbus TCP device)
    turnaround_ms: float = 0.0

    @property
    def enabled(self) -> bool:
        return self.baud > 0

    def time(self, function_code: int, count: int) -> float:
        return exchange_time(function_code, count, self.baud, self.turnaround_ms / 1000.0)
