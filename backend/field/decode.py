"""Decoding: Modbus words and bits to named engineering values (pure; see codec.py for
the encodings and what invalid data decodes to)."""
from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence

from backend.field.codec import TYPES, Field, scale_digits, words_to_bytes


def raw_from_words(field: Field, words: Sequence[int]) -> int | float:
    """The raw number (before scale/offset) that ``words`` encode."""
    _, fmt, _ = TYPES[field.type]
    return struct.unpack(fmt, words_to_bytes(words, field.word_order, field.byte_order))[0]


def _scaled(field: Field, raw: int | float) -> int | float:
    if field.scale == 1 and field.offset == 0 and field.type != "f32":
        return int(raw)
    value = raw * field.scale + field.offset
    if field.type == "f32":
        # float32 carries ~7 significant digits: don't report 229.6999969482422.
        return float(f"{value:.7g}")
    digits = scale_digits(field.scale)
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
    if field.mask is not None:
        raw = (int(raw) & field.mask) >> field.shift
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
            elif off >= 0 and f.word_order == "big" and f.byte_order == "big" \
                    and f.mask is None:
                kind = _KIND.get(f.type, _GENERIC)
            plain = f.scale == 1 and f.offset == 0 and f.type != "f32"
            lo, hi = f.valid if f.valid is not None else (None, None)
            ops.append((f.name, kind, off, off + f.size, plain, f.scale, f.offset,
                        scale_digits(f.scale), f.enum, f.bits, lo, hi, f))
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
