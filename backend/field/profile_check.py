"""Validation of a device profile document (``profiles/*.yaml``, docs/profiles.md).

``check_profile(doc, path)`` collects every problem and raises :class:`ProfileError`,
each line naming the file and the field; on success it returns the :class:`Profile`.
Kept apart from ``profile.py`` (the model and the read planning) so each reads in one
sitting.
"""
from __future__ import annotations

import itertools
import re
from pathlib import Path

from backend.field.codec import BIT_TABLES, ORDERS, TABLES, TYPES
from backend.field.encode import EncodeError, encode_value
from backend.field.profile import (
    DEVICE_KINDS,
    FAULT_INDICATORS,
    METRICS,
    MODES,
    POLES,
    RATES,
    SECTIONS,
    TRIP_CAUSES,
    Control,
    Metric,
    Profile,
    ProfileError,
    Setting,
)
from backend.field.profile import is_number as _num
from backend.vocabulary import BOOLEAN_METRICS

_TOP = {"name", "model", "vendor", "description", "source", "kinds", "poles", "word_order",
        "byte_order", "request", "metrics", "settings", "controls", *SECTIONS}
_FIELD = {"table", "address", "type", "word_order", "byte_order", "scale", "offset", "unit",
          "enum", "valid", "description", "mask", "shift"}
_METRIC = _FIELD | {"rate", "poles"}
_SETTING = _FIELD | {"writable", "min", "max", "default"}
_SECTION_KEYS = {"mode": "values", "trip_cause": "codes", "fault_indicators": "bits"}
_SECTION_ALLOWED = {"mode": MODES, "trip_cause": TRIP_CAUSES,
                    "fault_indicators": FAULT_INDICATORS}
_REQUEST = {"max_registers": (1, 125), "max_bits": (1, 2000), "max_gap": (0, 124),
            "max_gap_bits": (0, 1999)}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class _Checker:
    def __init__(self):
        self.errors: list[str] = []

    def err(self, path: str, msg: str) -> None:
        self.errors.append(f"{path}: {msg}")

    def mapping(self, v, path: str, allowed: set | None = None) -> dict:
        if not isinstance(v, dict):
            self.err(path, f"must be a mapping, got {type(v).__name__}")
            return {}
        for k in v:
            if allowed is not None and k not in allowed:
                self.err(f"{path}.{k}", f"unknown field (allowed: {', '.join(sorted(allowed))})")
        return v

    def choice(self, v, path: str, options, default=None):
        if v is None:
            return default
        if v not in options:
            self.err(path, f"must be one of {', '.join(map(str, options))} (got {v!r})")
            return default
        return v

    def field(self, name, spec, path, defaults, allowed, cls, **extra):
        spec = self.mapping(spec, path, allowed)
        table = self.choice(spec.get("table"), f"{path}.table", TABLES)
        if table is None:
            self.err(f"{path}.table", "required")
        addr = spec.get("address")
        if not (isinstance(addr, int) and not isinstance(addr, bool) and 0 <= addr <= 65535):
            self.err(f"{path}.address", f"must be an integer 0..65535 (got {addr!r})")
            addr = 0
        bit = table in BIT_TABLES
        typ = spec.get("type", "bit" if bit else None)
        if bit and typ != "bit":
            self.err(f"{path}.type", f"{table} values are bits: leave type out (got {typ!r})")
        elif not bit and table is not None:
            if typ is None:
                self.err(f"{path}.type", f"required: one of {', '.join(TYPES)}")
            typ = self.choice(typ, f"{path}.type", tuple(TYPES), "u16")
        size = 1 if bit or typ is None else TYPES[typ][0]
        if addr + size - 1 > 65535:
            self.err(f"{path}.address", "field runs past 65535")
        scale, offset = spec.get("scale", 1), spec.get("offset", 0)
        if not _num(scale) or scale == 0:
            self.err(f"{path}.scale", f"must be a non-zero number (got {scale!r})")
            scale = 1
        if not _num(offset):
            self.err(f"{path}.offset", f"must be a number (got {offset!r})")
            offset = 0
        enum = spec.get("enum")
        if enum is not None:
            enum = self.mapping(enum, f"{path}.enum")
            for k, v in enum.items():
                if not isinstance(k, int) or isinstance(v, (dict, list)) or v is None:
                    self.err(f"{path}.enum.{k}", "codes are integers, meanings text or boolean")
        valid = spec.get("valid")
        if valid is not None:
            if not (isinstance(valid, list) and len(valid) == 2 and all(map(_num, valid))
                    and valid[0] < valid[1]):
                self.err(f"{path}.valid", f"must be [low, high] numbers (got {valid!r})")
                valid = None
            else:
                valid = tuple(valid)
        mask, shift = spec.get("mask"), spec.get("shift", 0)
        if mask is not None:
            if not (isinstance(mask, int) and not isinstance(mask, bool) and 0 < mask <= 0xFFFF):
                self.err(f"{path}.mask", f"must be an integer 1..0xFFFF (got {mask!r})")
                mask = None
            elif typ != "u16":
                self.err(f"{path}.mask", f"bit fields are u16 registers (got type {typ!r})")
                mask = None
        if not (isinstance(shift, int) and not isinstance(shift, bool) and 0 <= shift <= 15):
            self.err(f"{path}.shift", f"must be an integer 0..15 (got {shift!r})")
            shift = 0
        elif mask is None and shift:
            self.err(f"{path}.shift", "needs a mask")
        elif mask is not None and (mask >> shift) << shift != mask:
            self.err(f"{path}.shift", f"shifts bits of the mask 0x{mask:04X} out")
        return cls(name=name, table=table or "holding", address=addr, type=typ or "u16",
                   mask=mask, shift=shift if mask is not None else 0,
                   word_order=self.choice(spec.get("word_order"), f"{path}.word_order", ORDERS,
                                          defaults["word_order"]),
                   byte_order=self.choice(spec.get("byte_order"), f"{path}.byte_order", ORDERS,
                                          defaults["byte_order"]),
                   scale=scale, offset=offset, enum=enum or None, valid=valid,
                   unit=spec.get("unit"), **extra), spec


def check_profile(doc, path: Path) -> Profile:
    c = _Checker()
    doc = c.mapping(doc, "(top)", _TOP)
    name = doc.get("name", path.stem)
    if name != path.stem:
        c.err("name", f"must match the file name {path.stem!r} (got {name!r})")
    if not isinstance(doc.get("model"), str) or not doc.get("model"):
        c.err("model", "required text")
    kinds = doc.get("kinds")
    if not isinstance(kinds, list) or not kinds:
        c.err("kinds", f"required list of {', '.join(DEVICE_KINDS)}")
        kinds = []
    for i, k in enumerate(kinds):
        c.choice(k, f"kinds[{i}]", DEVICE_KINDS)
    poles = doc.get("poles", list(POLES))
    for i, p in enumerate(poles if isinstance(poles, list) else [poles]):
        c.choice(p, f"poles[{i}]", POLES)
    defaults = {k: c.choice(doc.get(k), k, ORDERS, "big") for k in ("word_order", "byte_order")}
    req = c.mapping(doc.get("request", {}), "request", set(_REQUEST))
    limits = {}
    for k, (lo, hi) in _REQUEST.items():
        v = req.get(k)
        if v is not None and not (isinstance(v, int) and lo <= v <= hi):
            c.err(f"request.{k}", f"must be an integer {lo}..{hi} (got {v!r})")
        elif v is not None:
            limits[k] = v
    prof = Profile(name=name, model=str(doc.get("model", "")), kinds=tuple(kinds), path=path,
                   vendor=str(doc.get("vendor", "")), poles=tuple(poles) if isinstance(
                       poles, list) else POLES, **limits)
    metrics = c.mapping(doc.get("metrics", {}), "metrics")
    for mname, spec in metrics.items():
        p = f"metrics.{mname}"
        if mname in SECTIONS:
            c.err(p, f"declare {mname} in its top-level '{mname}' section")
            continue
        if mname not in METRICS:
            c.err(p, "not a canonical metric name (see docs/profiles.md)")
            continue
        unit, rate = METRICS[mname]
        spec_d = spec if isinstance(spec, dict) else {}
        mpoles = spec_d.get("poles")
        if mpoles is not None and not (isinstance(mpoles, list)
                                       and all(x in POLES for x in mpoles)):
            c.err(f"{p}.poles", f"must be a list of {', '.join(POLES)}")
            mpoles = None
        m, spec_d = c.field(mname, spec, p, defaults, _METRIC, Metric,
                            rate=c.choice(spec_d.get("rate"), f"{p}.rate", RATES, rate),
                            poles=tuple(mpoles) if mpoles else None)
        if spec_d.get("unit", unit) != unit:
            c.err(f"{p}.unit", f"canonical unit is {unit!r} (got {spec_d.get('unit')!r})")
        if mname in ("switch_state", *BOOLEAN_METRICS):
            allowed = ("open", "closed") if mname == "switch_state" else (False, True)
            if m.enum is None and not (mname in BOOLEAN_METRICS and m.is_bit):
                c.err(f"{p}.enum", f"required: codes mapped to {allowed}")
            for k, v in (m.enum or {}).items():
                if v not in allowed or type(v) is not type(allowed[0]):
                    c.err(f"{p}.enum.{k}", f"must be one of {allowed} (got {v!r})")
        prof.metrics[mname] = m
    for sec in SECTIONS:
        if sec not in doc:
            continue
        key = _SECTION_KEYS[sec]
        spec = c.mapping(doc[sec], sec, _FIELD - {"enum"} | {key})
        m, _ = c.field(sec, {k: v for k, v in spec.items() if k != key}, sec, defaults,
                       _FIELD, Metric, rate="fast")
        meanings = c.mapping(spec.get(key), f"{sec}.{key}")
        if not meanings:
            c.err(f"{sec}.{key}", "required mapping")
        for code, meaning in meanings.items():
            if not isinstance(code, int):
                c.err(f"{sec}.{key}.{code}", "keys are integers")
            c.choice(meaning, f"{sec}.{key}.{code}", _SECTION_ALLOWED[sec])
        if sec == "trip_cause" and meanings and "none" not in meanings.values():
            c.err(f"{sec}.{key}", "needs the code meaning 'none'")
        if m.is_bit:
            c.err(f"{sec}.table", "must be a register table (holding or input)")
        m = Metric(**{**m.__dict__, ("bits" if key == "bits" else "enum"): meanings or None})
        prof.metrics[sec] = m
    for sname, spec in c.mapping(doc.get("settings", {}), "settings").items():
        p = f"settings.{sname}"
        if not isinstance(sname, str) or not _NAME.match(sname) or sname in METRICS:
            c.err(p, "setting names are snake_case and not metric names")
            continue
        spec_d = spec if isinstance(spec, dict) else {}
        writable = spec_d.get("writable", True)
        if not isinstance(writable, bool):
            c.err(f"{p}.writable", "must be true or false")
        lo, hi = spec_d.get("min"), spec_d.get("max")
        for k, v in (("min", lo), ("max", hi)):
            if v is not None and not _num(v):
                c.err(f"{p}.{k}", f"must be a number (got {v!r})")
        s, _ = c.field(sname, spec, p, defaults, _SETTING, Setting, writable=writable is True,
                       min=lo if _num(lo) else None, max=hi if _num(hi) else None,
                       default=spec_d.get("default"), description=spec_d.get("description", ""))
        if s.writable and s.table not in ("holding", "coil"):
            c.err(f"{p}.table", f"a writable setting must be in holding or coil (got {s.table})")
        if _num(lo) and _num(hi) and lo > hi:
            c.err(f"{p}.min", f"min {lo} is above max {hi}")
        if s.default is not None:
            try:
                encode_value(s, s.default)
                if _num(s.default) and ((_num(lo) and s.default < lo)
                                        or (_num(hi) and s.default > hi)):
                    c.err(f"{p}.default", f"{s.default} is outside min..max")
            except EncodeError as exc:
                c.err(f"{p}.default", str(exc))
        prof.settings[sname] = s
    for cname, spec in c.mapping(doc.get("controls", {}), "controls").items():
        p = f"controls.{cname}"
        c.choice(cname, p, CONTROL_NAMES)
        if cname == "dim":
            _dim(c, prof, c.mapping(spec, p, {"metric", "description"}), p)
            continue
        spec = c.mapping(spec, p, {"table", "address", "value", "confirm", "description"})
        table = c.choice(spec.get("table"), f"{p}.table", ("coil", "holding"))
        addr, value = spec.get("address"), spec.get("value")
        if not (isinstance(addr, int) and 0 <= addr <= 65535):
            c.err(f"{p}.address", f"must be an integer 0..65535 (got {addr!r})")
        vmax = 1 if table == "coil" else 0xFFFF
        if isinstance(value, bool):
            value = int(value)
        if not (isinstance(value, int) and 0 <= value <= vmax):
            c.err(f"{p}.value", f"must be an integer 0..{vmax} (got {value!r})")
        confirm = _confirm(c, prof, cname, spec.get("confirm"), f"{p}.confirm")
        if table and isinstance(addr, int) and isinstance(value, int):
            prof.controls[cname] = Control(cname, table, addr, value, confirm)
    _check_overlaps(c, prof)
    if not prof.metrics:
        c.err("metrics", "a profile needs at least one metric")
    if c.errors:
        raise ProfileError(path, c.errors)
    return prof


# What a control is confirmed by when its profile does not say (the breaker's own names).
CONTROL_NAMES = ("open", "close", "reset", "on", "off", "dim")
_DEFAULT_CONFIRM = {"open": ("switch_state", "open"), "close": ("switch_state", "closed"),
                    "on": ("switch_state", "closed"), "off": ("switch_state", "open"),
                    "reset": ("trip_cause", "none")}


def _dim(c: _Checker, prof: Profile, spec: dict, p: str) -> None:
    """``dim: {metric: dim_level}``: the command's value (0..100) is written to that
    metric's holding register and confirmed by reading it back."""
    name = spec.get("metric")
    m = prof.metrics.get(name) if isinstance(name, str) else None
    if m is None:
        c.err(f"{p}.metric", "required: a metric of this profile (e.g. dim_level)")
    elif m.table != "holding" or m.enum is not None or m.bits is not None:
        c.err(f"{p}.metric", f"{name} must be a numeric holding register to be written")
    else:
        prof.controls["dim"] = Control("dim", m.table, m.address, None, (), name)


def _confirm(c: _Checker, prof: Profile, cname: str, spec, p: str) -> tuple:
    """The control's read-back: ``confirm: {metric: value}`` naming metrics of this
    profile and values they decode to; by default the switch state (or, for reset, the
    trip cause) when the profile has that metric. Required: nothing is ever optimistic."""
    if spec is None:
        default = _DEFAULT_CONFIRM.get(cname)
        if default and default[0] in prof.metrics:
            return (default,)
        c.err(p, "required: the metric values that show the control took effect")
        return ()
    out = []
    for metric, value in c.mapping(spec, p).items():
        m = prof.metrics.get(metric)
        if m is None:
            c.err(f"{p}.{metric}", "not a metric of this profile")
        elif m.enum is not None and value not in m.enum.values():
            c.err(f"{p}.{metric}", f"must be one of {', '.join(map(str, m.enum.values()))} "
                                   f"(got {value!r})")
        elif m.enum is None and not (_num(value) or isinstance(value, bool)):
            c.err(f"{p}.{metric}", f"must be a number (got {value!r})")
        else:
            out.append((metric, value))
    if not out and spec is not None and not c.errors:
        c.err(p, "must name at least one metric")
    return tuple(out)


def _check_overlaps(c: _Checker, prof: Profile) -> None:
    where = {**{n: f"metrics.{n}" for n in prof.metrics},
             **{s: f"{s}" for s in SECTIONS}, **{n: f"settings.{n}" for n in prof.settings}}
    for table in TABLES:
        fields = sorted((f for f in [*prof.metrics.values(), *prof.settings.values()]
                         if f.table == table), key=lambda f: f.address)
        for a, b in itertools.pairwise(fields):
            if (a.address == b.address and a.mask is not None and b.mask is not None
                    and not a.mask & b.mask):
                continue                     # bit fields sharing a register
            if b.address < a.end:
                c.err(f"{where[b.name]}.address", f"{table} {b.address} overlaps "
                                                  f"{where[a.name]} ({a.address}..{a.end - 1})")
