"""Encoding: a named engineering value to the words or bits that make a device report it
(pure; refuses what the device could not hold)."""
from __future__ import annotations

import math
import struct

from backend.field.codec import TYPES, Field, bytes_to_words


class EncodeError(ValueError):
    """A value cannot be written in the field's encoding."""


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
    if field.mask is not None:
        raw = int(raw)
        if raw < 0 or (raw << field.shift) & ~field.mask:
            raise EncodeError(f"{field.name}: {value!r} does not fit its bits "
                              f"(mask 0x{field.mask:04X})")
        return [raw << field.shift]
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
        return bytes_to_words(packed, field.word_order, field.byte_order)
    return bytes_to_words(struct.pack(fmt, raw), field.word_order, field.byte_order)


def encode_into(image: list, field: Field, value) -> None:
    """Write ``value`` into a register or bit image (a list indexed by protocol address)."""
    merge_into(image, field, encode_value(field, value))


def merge_into(image: list, field: Field, words: list) -> None:
    """Put a field's words into an image; a bit field keeps the register's other bits."""
    if field.mask is not None:
        image[field.address] = (image[field.address] & ~field.mask & 0xFFFF) | words[0]
    else:
        image[field.address: field.end] = words
