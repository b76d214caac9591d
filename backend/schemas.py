"""Shared schema pieces: the fields every schema builds on, bounded to what the database
holds, and the one check of client text (``find_bad_input``).

Every request schema uses ``Integer``, ``String`` and ``AwareDateTime`` from here rather
than marshmallow's: integers are whole numbers within a PostgreSQL ``integer`` unless a
narrower range is given (1.5 is refused, not truncated to 1), strings never carry a NUL or
an unpaired surrogate (PostgreSQL stores neither), and datetimes keep to the UTC offsets
and years PostgreSQL accepts. Lengths come from the model columns (``column_length``).
tests/test_bad_input.py checks in the OpenAPI document that every request property is
bounded.
"""
from __future__ import annotations

import json
import math
import re
from datetime import timedelta
from typing import ClassVar

import marshmallow as ma
from marshmallow import validate

from backend.models import Area

INT4_MAX = 2**31 - 1          # PostgreSQL integer, the type of every id column
MAX_DEPTH = 32                # nesting of a JSON body or a facility file
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)   # PostgreSQL refuses larger offsets
YEARS = (1900, 9998)          # room for a day of arithmetic either side
BAD_TEXT = "must not contain NUL characters or unpaired surrogates"
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_DIGITS = re.compile(r"[+-]?[0-9]+")


def column_length(column) -> int:
    """The declared length of a ``String(n)`` model column (``Site.code`` -> 32)."""
    return column.type.length


def has_bad_text(value: str) -> bool:
    return _BAD_TEXT.search(value) is not None


def scrub(text: str) -> str:
    """``text`` with NULs and unpaired surrogates replaced (to name a field in an error)."""
    return _BAD_TEXT.sub("\ufffd", text)


def find_bad_input(data, max_depth: int = MAX_DEPTH) -> tuple[str, str] | None:
    """Walk parsed input once, without recursion: ``(path, problem)`` of the first string
    (key or value) with a NUL or an unpaired surrogate, the first non-finite number, or the
    first container nested deeper than ``max_depth``; None when all is well. ``path`` is
    dotted (``attributes.ip``, ``ids.0``); the whole document is ``_schema``."""
    stack = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if has_bad_text(value):
                return path or "_schema", BAD_TEXT
        elif isinstance(value, float):
            if not math.isfinite(value):
                return path or "_schema", "numbers must be finite"
        elif isinstance(value, (dict, list)):
            if depth >= max_depth:
                return path or "_schema", f"nested deeper than {max_depth} levels"
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                name = scrub(str(key))
                sub = f"{path}.{name}" if path else name
                if isinstance(key, str) and has_bad_text(key):
                    return sub, BAD_TEXT
                stack.append((item, sub, depth + 1))
    return None


class Integer(ma.fields.Integer):
    """A whole number: an int, or a string of decimal digits (a query string, a CSV cell);
    never a float or a boolean. Within a PostgreSQL integer unless a Range says less."""

    default_error_messages: ClassVar[dict] = {"invalid": "Not a valid integer."}

    def __init__(self, **kwargs):
        validators = kwargs.pop("validate", None) or []
        validators = list(validators) if isinstance(validators, (list, tuple)) else [validators]
        if not any(isinstance(v, validate.Range) and v.max is not None for v in validators):
            validators.append(validate.Range(min=-INT4_MAX - 1, max=INT4_MAX))
        super().__init__(strict=True, validate=validators, **kwargs)

    def _validated(self, value):
        if isinstance(value, str):
            text = value.strip()
            if not _DIGITS.fullmatch(text):
                raise self.make_error("invalid", input=value)
            if len(text) > 20:
                raise self.make_error("too_large", input=value)
            value = int(text)
        return super()._validated(value)


class String(ma.fields.String):
    """Text PostgreSQL can store: no NUL, no unpaired surrogate."""

    default_error_messages: ClassVar[dict] = {"bad_text": BAD_TEXT}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if has_bad_text(text):
            raise self.make_error("bad_text")
        return text


class AwareDateTime(ma.fields.AwareDateTime):
    """An ISO 8601 datetime with a UTC offset PostgreSQL accepts (at most ±15:59) and a
    year in 1900-9998."""

    default_error_messages: ClassVar[dict] = {
        "offset": "UTC offset beyond ±15:59",
        "year": f"year outside {YEARS[0]}-{YEARS[1]}"}

    def _deserialize(self, value, attr, data, **kwargs):
        when = super()._deserialize(value, attr, data, **kwargs)
        offset = when.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise self.make_error("offset")
        if not YEARS[0] <= when.year <= YEARS[1]:
            raise self.make_error("year")
        return when


class JsonObject(ma.fields.Dict):
    """A small free-form JSON object (string keys), bounded in size and depth."""

    def __init__(self, *, max_bytes: int = 4096, max_depth: int = 4, **kwargs):
        self.max_bytes, self.max_depth = max_bytes, max_depth
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {"description": f"At most {max_bytes} bytes of JSON, nested at "
                                             f"most {max_depth} levels",
                              **kwargs["metadata"]}
        super().__init__(keys=String(validate=validate.Length(min=1, max=64)), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict):
            bad = find_bad_input(value, self.max_depth)
            if bad:
                raise ma.ValidationError(f"{bad[0]}: {bad[1]}")
            if len(json.dumps(value, ensure_ascii=False).encode()) > self.max_bytes:
                raise ma.ValidationError(f"larger than {self.max_bytes} bytes of JSON")
        return super()._deserialize(value, attr, data, **kwargs)


def text(column=None, *, max_length: int | None = None, min_length: int | None = None,
         **kwargs) -> String:
    """A ``String`` as long as a model column (or ``max_length``) allows."""
    length = validate.Length(min=min_length,
                             max=max_length if max_length is not None else column_length(column))
    extra = kwargs.pop("validate", None) or []
    return String(validate=[length, *(extra if isinstance(extra, list) else [extra])], **kwargs)


CODE_RE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
                          error="letters, digits, '.', '_', '-' only")
CODE = {"required": True, "min_length": 1, "validate": CODE_RE}
NAME = {"required": True, "min_length": 1}
ID = {"allow_none": True, "validate": validate.Range(min=1, max=INT4_MAX)}
POSITIVE_ID = validate.Range(min=1, max=INT4_MAX)


class Strict(ma.Schema):
    """Unknown fields are a 422 naming them (marshmallow's RAISE)."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class RecordSchema(Strict):
    id = Integer(dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class SiteRecordSchema(RecordSchema):
    site_id = Integer(required=True, validate=POSITIVE_ID)
    code = text(Area.code, **CODE)
    name = text(Area.name, **NAME)


class SiteQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    q = text(max_length=column_length(Area.name),
             metadata={"description": "Substring of code or name"})

