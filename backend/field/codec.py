"""Pure register codec: Modbus words/bits <-> named engineering values.

No I/O and no pymodbus: the poller, the command path and the simulator all call these
functions with plain lists. A :class:`Field` says where a value lives (table, 0-based
protocol address) and how it is encoded (type, word and byte order, scale, offset, enum or
bit meanings). Profiles (``profile.py``) build fields from YAML.

Types: ``u16 i16`` (1 register), ``u32 i32 f32`` (2 registers), ``bit`` (coils and
discrete inputs). ``value = raw * scale + offset``; encoding inverts it.

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
import struct
from collections.abc import Iterable, Mapping, Sequence
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


class EncodeError(ValueError):
    """A value cannot be written in the field's encoding."""


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


def _digits(scale: float) -> int | None:
    """Decimals that a decimal scale such as 0.1 or 0.001 can produce (None: not decimal)."""
    if scale == 0:
        return None
    exponent = -math.log10(abs(scale))
    rounded = round(exponent)
    if abs(exponent - rounded) < 1e-9:
        return max(0, rounded)
    return None


def _words_to_bytes(words: Sequence[int], word_order: str, byte_order: str) -> bytes:
    if word_order == "little":
        words = list(reversed(words))
    out = bytearray()
    for w in words:
        hi, lo = (w >> 8) & 0xFF, w & 0xFF
        out += bytes((lo, hi)) if byte_order == "little" else bytes((hi, lo))
    return bytes(out)


def _bytes_to_words(data: bytes, word_order: str, byte_order: str) -> list[int]:
    words = []
    for i in range(0, len(data), 2):
        hi, lo = data[i], data[i + 1]
        words.append((lo << 8 | hi) if byte_order == "little" else (hi << 8 | lo))
    if word_order == "little":
        words.reverse()
    return words


def raw_from_words(field: Field, words: Sequence[int]) -> int | float:
    """The raw number (before scale/offset) that ``words`` encode."""
    _, fmt, _ = TYPES[field.type]
    return struct.unpack(fmt, _words_to_bytes(words, field.word_order, field.byte_order))[0]


def _scaled(field: Field, raw: int | float) -> int | float:
    if field.scale == 1 and field.offset == 0 and field.type != "f32":
        return int(raw)
    value = raw * field.scale + field.offset
    if field.type == "f32":
        # float32 carries ~7 significant digits: don't report 229.6999969482422.
        return float(f"{value:.7g}")
    digits = _digits(field.scale)
    return round(value, digits) if digits is not None else value


def decode_value(field: Field, chunk: Sequence, problems: dict | None = None):
    """One field from its own words (or one bit). ``None`` when invalid (see module doc)."""
    if len(chunk) < field.size:
        return _bad(field, "missing", problems)
    if field.is_bit:
        raw = bool(chunk[0])
        if field.enum is None:
            return raw
        code = int(raw)
        if code in field.enum:
            return field.enum[code]
        return _bad(field, "unknown_code", problems)
    raw = raw_from_words(field, chunk[: field.size])
    if field.enum is not None:
        if raw in field.enum:
            return field.enum[raw]
        return _bad(field, "unknown_code", problems)
    if field.bits is not None:
        raw = int(raw)
        flags, n = [], 0
        while raw >> n:
            if raw >> n & 1:
                flags.append(field.bits.get(n, f"bit{n}"))
            n += 1
        return flags
    if field.type == "f32" and not math.isfinite(raw):
        return _bad(field, "nan", problems)
    value = _scaled(field, raw)
    if field.valid is not None and not field.valid[0] <= value <= field.valid[1]:
        return _bad(field, "out_of_range", problems)
    return value


def _bad(field: Field, reason: str, problems: dict | None):
    if problems is not None:
        problems[field.name] = reason
    return None


def decode_block(fields: Iterable[Field], start: int, data: Sequence,
                 problems: dict | None = None) -> dict:
    """Decode every field from one block read at ``start`` (registers or bits).

    A tuple of fields (what a read plan holds) is compiled once into a
    :class:`BlockDecoder` and reused; any other iterable is decoded field by field.
    """
    if type(fields) is tuple:
        return block_decoder(fields, start)(data, problems)
    out = {}
    for f in fields:
        off = f.address - start
        if off < 0:
            out[f.name] = _bad(f, "missing", problems)
            continue
        out[f.name] = decode_value(f, data[off: off + f.size], problems)
    return out


# ---- compiled block decoding (the poller's hot path) ------------------------------------
# Same results as decode_value for every field, without per-value struct/bytes work for
# the common encodings (big word and byte order). Anything else falls back to decode_value.
_GENERIC, _U16, _I16, _U32, _I32, _F32, _BIT = range(7)
_KIND = {"u16": _U16, "i16": _I16, "u32": _U32, "i32": _I32, "f32": _F32}
_F32_FROM_WORDS = struct.Struct(">HH").pack
_F32_UNPACK = struct.Struct(">f").unpack


class BlockDecoder:
    """``decode_block(fields, start, data, problems)`` for one fixed (fields, start),
    with the per-field work (offsets, type dispatch, scale digits) done once.

    ``decoder(data, problems=None, into=None)`` returns ``into`` (or a new dict) filled
    with the fields' values, exactly as :func:`decode_block` would.
    """

    __slots__ = ("_ops", "fields", "start")

    def __init__(self, fields: Iterable[Field], start: int):
        self.fields = tuple(fields)
        self.start = start
        ops = []
        for f in self.fields:
            off = f.address - start
            kind = _GENERIC
            if off >= 0 and f.is_bit:
                kind = _BIT
            elif off >= 0 and f.word_order == "big" and f.byte_order == "big":
                kind = _KIND.get(f.type, _GENERIC)
            plain = f.scale == 1 and f.offset == 0 and f.type != "f32"
            lo, hi = f.valid if f.valid is not None else (None, None)
            ops.append((f.name, kind, off, off + f.size, plain, f.scale, f.offset,
                        _digits(f.scale), f.enum, f.bits, lo, hi, f))
        self._ops = tuple(ops)

    def __call__(self, data: Sequence, problems: dict | None = None,
                 into: dict | None = None) -> dict:
        out = {} if into is None else into
        n = len(data)
        for name, kind, off, end, plain, scale, offset, digits, enum, bits, lo, hi, f \
                in self._ops:
            if kind == _GENERIC or end > n:
                out[name] = (decode_value(f, data[off:end], problems) if off >= 0
                             else _bad(f, "missing", problems))
                continue
            if kind == _U16:
                raw = data[off] & 0xFFFF
            elif kind == _I16:
                raw = ((data[off] & 0xFFFF) ^ 0x8000) - 0x8000
            elif kind == _U32:
                raw = (data[off] & 0xFFFF) << 16 | (data[off + 1] & 0xFFFF)
            elif kind == _I32:
                raw = (((data[off] & 0xFFFF) << 16 | (data[off + 1] & 0xFFFF))
                       ^ 0x80000000) - 0x80000000
            elif kind == _F32:
                raw = _F32_UNPACK(_F32_FROM_WORDS(data[off] & 0xFFFF,
                                                  data[off + 1] & 0xFFFF))[0]
            else:                                             # _BIT
                raw = bool(data[off])
                if enum is None:
                    out[name] = raw
                    continue
                raw = int(raw)
            if enum is not None:
                out[name] = enum[raw] if raw in enum else _bad(f, "unknown_code", problems)
                continue
            if bits is not None:
                flags, k = [], 0
                while raw >> k:
                    if raw >> k & 1:
                        flags.append(bits.get(k, f"bit{k}"))
                    k += 1
                out[name] = flags
                continue
            if plain:
                value = raw
            elif kind == _F32:
                if not math.isfinite(raw):
                    out[name] = _bad(f, "nan", problems)
                    continue
                value = float(f"{raw * scale + offset:.7g}")
            elif digits is not None:
                value = round(raw * scale + offset, digits)
            else:
                value = raw * scale + offset
            if lo is not None and not lo <= value <= hi:
                value = _bad(f, "out_of_range", problems)
            out[name] = value
        return out


_DECODERS: dict[tuple[int, int], tuple[tuple, BlockDecoder]] = {}


def block_decoder(fields: tuple[Field, ...], start: int) -> BlockDecoder:
    """The compiled decoder of a tuple of fields read at ``start`` (cached per tuple)."""
    key = (id(fields), start)
    hit = _DECODERS.get(key)
    if hit is not None and hit[0] is fields:
        return hit[1]
    if len(_DECODERS) >= 4096:
        _DECODERS.clear()
    dec = BlockDecoder(fields, start)
    _DECODERS[key] = (fields, dec)      # holds the tuple: its id cannot be reused meanwhile
    return dec


def _raw_for(field: Field, value) -> int | float:
    if field.enum is not None:
        for code, meaning in field.enum.items():
            if meaning == value and type(meaning) is type(value):
                return code
        if isinstance(value, int) and not isinstance(value, bool) and value in field.enum:
            return value
        raise EncodeError(f"{field.name}: {value!r} is not one of "
                          f"{', '.join(map(str, field.enum.values()))}")
    if field.bits is not None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        lookup = {name: n for n, name in field.bits.items()}
        mask = 0
        for name in value or ():
            if name not in lookup:
                raise EncodeError(f"{field.name}: unknown flag {name!r}")
            mask |= 1 << lookup[name]
        return mask
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise EncodeError(f"{field.name}: {value!r} is not a number")
    raw = (value - field.offset) / field.scale
    if field.type == "f32":
        return raw
    if not math.isfinite(raw):
        raise EncodeError(f"{field.name}: {value!r} is not a finite number")
    return round(raw)


def encode_value(field: Field, value) -> list:
    """Words (registers) or ``[bool]`` (bits) that make the device report ``value``."""
    if field.is_bit:
        if field.enum is not None:
            return [bool(_raw_for(field, value))]
        return [bool(value)]
    raw = _raw_for(field, value)
    _, fmt, bounds = TYPES[field.type]
    if bounds is not None:
        raw = int(raw)
        if not bounds[0] <= raw <= bounds[1]:
            raise EncodeError(f"{field.name}: {value!r} does not fit {field.type} "
                              f"(raw {raw}, scale {field.scale:g})")
    else:
        try:
            packed = struct.pack(fmt, raw)
        except OverflowError as exc:
            raise EncodeError(f"{field.name}: {value!r} does not fit f32") from exc
        return _bytes_to_words(packed, field.word_order, field.byte_order)
    return _bytes_to_words(struct.pack(fmt, raw), field.word_order, field.byte_order)


def encode_into(image: list, field: Field, value) -> None:
    """Write ``value`` into a register or bit image (a list indexed by protocol address)."""
    image[field.address: field.end] = encode_value(field, value)
