"""Pure register codec: Modbus words/bits <-> named engineering values.

This module: ``Field`` and the encodings; ``decode.py`` reads values out of words and
bits, ``encode.py`` writes them.

No I/O and no pymodbus: the poller, the command path and the simulator all call these
functions with plain lists. A :class:`Field` says where a value lives (table, 0-based
protocol address) and how it is encoded (type, word and byte order, scale, offset, enum or
bit meanings). Profiles (``profile.py``) build fields from YAML.

Types: ``u16 i16`` (1 register), ``u32 i32 f32`` (2 registers), ``bit`` (coils and
discrete inputs). ``value = raw * scale + offset``; encoding inverts it. A ``u16`` field
with a ``mask`` is a bit field: ``raw = (word & mask) >> shift``.

Word order ``big`` means the high word comes first (the Modbus convention and the SDM630's);
byte order ``big`` means each register is sent high byte first (always, on sane devices).

**Invalid data.** Decoding never raises on bad device data. A value that cannot be trusted
decodes to ``None`` and, when the caller passes a ``problems`` dict, its reason is recorded
under the field name:

* ``nan`` -- an ``f32`` that is NaN or infinite (meters send NaN for "not measured");
* ``out_of_range`` -- outside the field's ``valid`` range (e.g. 0x8000 from an absent probe);
* ``unknown_code`` -- an enum code the profile does not know;
* ``missing`` -- the block read is shorter than the field.

Encoding refuses what the device could not hold (:class:`EncodeError`, a ``ValueError``).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

REGISTER_TABLES = ("holding", "input")
BIT_TABLES = ("coil", "discrete")
TABLES = REGISTER_TABLES + BIT_TABLES
# type -> (registers, struct format of the big-endian byte string, integer bounds or None)
TYPES: dict[str, tuple[int, str, tuple[int, int] | None]] = {
    "u16": (1, ">H", (0, 0xFFFF)),
    "i16": (1, ">h", (-0x8000, 0x7FFF)),
    "u32": (2, ">I", (0, 0xFFFFFFFF)),
    "i32": (2, ">i", (-0x80000000, 0x7FFFFFFF)),
    "f32": (2, ">f", None),
}
ORDERS = ("big", "little")


@dataclass(frozen=True)
class Field:
    name: str
    table: str
    address: int
    type: str = "u16"                 # "bit" for coil/discrete
    word_order: str = "big"
    byte_order: str = "big"
    scale: float = 1
    offset: float = 0
    enum: Mapping | None = None       # raw code -> value (str or bool)
    bits: Mapping | None = None       # bit number -> flag name; value = list of set flags
    valid: tuple[float, float] | None = None
    unit: str | None = None
    # Bit field inside one register: raw = (word & mask) >> shift (a byte of a status
    # register, a flag); fields with disjoint masks may share a register.
    mask: int | None = None
    shift: int = 0

    @property
    def size(self) -> int:
        """Registers (or bits) the field occupies."""
        return 1 if self.type == "bit" else TYPES[self.type][0]

    @property
    def end(self) -> int:
        return self.address + self.size

    @property
    def is_bit(self) -> bool:
        return self.table in BIT_TABLES


def scale_digits(scale: float) -> int | None:
    """Decimals that a decimal scale such as 0.1 or 0.001 can produce (None: not decimal)."""
    if scale == 0:
        return None
    exponent = -math.log10(abs(scale))
    rounded = round(exponent)
    if abs(exponent - rounded) < 1e-9:
        return max(0, rounded)
    return None


def words_to_bytes(words: Sequence[int], word_order: str, byte_order: str) -> bytes:
    if word_order == "little":
        words = list(reversed(words))
    out = bytearray()
    for w in words:
        hi, lo = (w >> 8) & 0xFF, w & 0xFF
        out += bytes((lo, hi)) if byte_order == "little" else bytes((hi, lo))
    return bytes(out)


def bytes_to_words(data: bytes, word_order: str, byte_order: str) -> list[int]:
    words = []
    for i in range(0, len(data), 2):
        hi, lo = data[i], data[i + 1]
        words.append((lo << 8 | hi) if byte_order == "little" else (hi << 8 | lo))
    if word_order == "little":
        words.reverse()
    return words
