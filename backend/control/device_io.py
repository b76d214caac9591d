"""What a command does on the bus (coroutines on the field session's loop; pure of the
database): read values, write a control, read back until the device shows the target."""
from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field

from backend.field.encode import encode_value
from backend.field.modbus import GatewayConnection, ModbusError
from backend.field.profile import Control, Profile

READBACK_EVERY_S = 0.1      # between read-backs: a breaker operates in ~0.1 s


@dataclass
class Outcome:
    state: str                      # confirmed | failed | timed_out
    error: str | None = None        # texts.REASONS code
    values: dict = field(default_factory=dict)   # placeholders of the reason
    observed: dict | None = None    # what the device showed last


async def read_values(conn: GatewayConnection, profile: Profile, unit: int,
                      names: list[str]) -> dict:
    values: dict = {}
    for req in profile.read_plan(names):
        values.update(req.decode(await conn.read(req.table, req.address, req.count, unit)))
    return values


def exception_text(exc: ModbusError) -> str:
    return f"Modbus exception {exc.code}" if exc.code is not None else str(exc)


@dataclass(frozen=True)
class Write:
    table: str          # coil | holding
    address: int
    words: list         # [bool] for a coil


def control_writes(control: Control, profile: Profile, value=None) -> list[Write]:
    """The write of a control: its fixed word, or (dim) ``value`` encoded as its metric."""
    if control.metric is None:
        return [Write(control.table, control.address, control.words())]
    return [Write(control.table, control.address,
                  encode_value(profile.metrics[control.metric], value))]


def matches(observed: dict, expect: dict) -> bool:
    """Every expected value shown (numbers within rounding of their register's scale)."""
    for name, want in expect.items():
        got = observed.get(name)
        if isinstance(want, float) or isinstance(got, float):
            if not (isinstance(got, (int, float)) and isinstance(want, (int, float))
                    and math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-6)):
                return False
        elif got != want:
            return False
    return True


async def write_and_confirm(conn: GatewayConnection, profile: Profile, unit: int,
                            writes: list[Write], expect: dict, readback_s: float) -> Outcome:
    """Write once, then read back until every ``expect`` value matches or ``readback_s``
    passes. Never writes twice. A write with no answer is still read back (the device may
    have taken it): only a read-back shows what happened."""
    for w in writes:
        try:
            if w.table == "coil":
                await conn.write_coil(w.address, bool(w.words[0]), unit)
            else:
                await conn.write_registers(w.address, list(w.words), unit)
        except ModbusError as exc:
            if exc.kind == "exception":
                return Outcome("failed", "device_exception", {"detail": exception_text(exc)})
            break
    names = list(expect)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + readback_s
    observed = None
    while True:
        try:
            observed = await read_values(conn, profile, unit, names)
            if matches(observed, expect):
                return Outcome("confirmed", observed=observed)
        except ModbusError:
            pass
        if loop.time() + READBACK_EVERY_S > deadline:
            break
        await asyncio.sleep(READBACK_EVERY_S)
    if observed is None:
        return Outcome("timed_out", "readback_timeout")
    shown = ", ".join(f"{k}={v}" for k, v in observed.items())
    return Outcome("failed", "not_confirmed", {"observed": shown}, observed)
