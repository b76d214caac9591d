"""Device profiles: register maps as data (``profiles/*.yaml``, format in docs/profiles.md).

``load_profile(name)`` reads and validates one profile (cached); ``all_profiles()`` every
shipped one. Validation (``profile_check.py``) collects every problem and raises :class:`ProfileError`, whose
lines each name the file and the field (``gw-breaker.yaml: metrics.voltage_a.type: ...``).

``Profile.read_plan(...)`` groups the wanted fields into as few Modbus requests as the
layout allows: per table, fields sorted by address are packed into one request while the
hole before the next field is at most ``max_gap`` registers (``max_gap_bits`` for bits) and
the request stays within ``max_registers`` (125) / ``max_bits`` (2000). Greedy packing is
optimal for this (interval covering). ``ReadRequest.decode(data)`` turns the answer into
named values via the pure codec.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path

import yaml

from backend import vocabulary
from backend.field.codec import BIT_TABLES, TABLES, Field
from backend.field.decode import decode_block
from backend.field.encode import encode_value

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
# Kept in step with backend.models.facility (a test checks); no model import here.
DEVICE_KINDS = ("breaker", "meter", "env_sensor", "temp_sensor", "load", "knx_group", "camera")
POLES = ("1P", "1P+N", "3P", "3P+N")
RATES = ("fast", "normal")
MODES = tuple(vocabulary.MODES)
TRIP_CAUSES = tuple(vocabulary.TRIP_CAUSES)
FAULT_INDICATORS = tuple(vocabulary.FAULT_INDICATOR_BITS)


def _canonical() -> dict[str, tuple[str | None, str]]:
    """Canonical metric name -> (unit, default rate). The one list the platform uses."""
    m: dict[str, tuple[str | None, str]] = {}
    for p in "abc":
        m[f"voltage_{p}"] = ("V", "normal")
    for p in ("ab", "bc", "ca"):     # line-to-line: exact unbalance (docs/quality.md)
        m[f"voltage_{p}"] = ("V", "normal")
    for p in "abcn":
        m[f"current_{p}"] = ("A", "normal")
    for p in "abc":                  # total harmonic distortion per phase
        m[f"thd_voltage_{p}"] = ("%", "normal")
        m[f"thd_current_{p}"] = ("%", "normal")
    m["active_power"] = ("kW", "normal")
    for p in "abc":
        m[f"active_power_{p}"] = ("kW", "normal")
    m.update(reactive_power=("kvar", "normal"), apparent_power=("kVA", "normal"),
             power_factor=(None, "normal"), frequency=("Hz", "normal"),
             energy_import=("kWh", "normal"), energy_export=("kWh", "normal"),
             reactive_energy=("kvarh", "normal"), temperature=("°C", "fast"))
    for p in "abcn":   # terminal temperatures; in/out: both ends of a joint sensor's phase
        for prefix in ("temperature_", "temperature_in_", "temperature_out_"):
            m[prefix + p] = ("°C", "fast")
    m.update(leakage_current=("mA", "fast"), switch_state=(None, "fast"),
             mode=(None, "fast"), trip_cause=(None, "fast"), fault_indicators=(None, "fast"),
             humidity=("%RH", "normal"), water_leak=(None, "fast"), dim_level=("%", "fast"),
             water_level=("cm", "normal"), high_water=(None, "fast"))
    return m


METRICS = _canonical()
SECTIONS = ("mode", "trip_cause", "fault_indicators")   # top-level sugar that become metrics


class ProfileError(ValueError):
    def __init__(self, path: Path | str, errors: list[str]):
        self.path, self.errors = str(path), errors
        super().__init__("\n".join(f"{Path(path).name}: {e}" for e in errors))


@dataclass(frozen=True)
class Metric(Field):
    rate: str = "normal"
    poles: tuple[str, ...] | None = None      # pole configurations that have it; None: all


@dataclass(frozen=True)
class Setting(Field):
    writable: bool = True
    min: float | None = None
    max: float | None = None
    default: object = None
    description: str = ""


@dataclass(frozen=True)
class Control:
    name: str
    table: str          # coil | holding
    address: int
    value: int | None   # the word written; None: the command's value (dim), see ``metric``
    # The read-back: what the device shows once the control took effect, as
    # ((metric, decoded value), ...); a command is confirmed only when every one matches.
    confirm: tuple = ()
    # dim: the writable metric the command's value is written to, and confirmed by.
    metric: str | None = None

    def words(self) -> list:
        return [bool(self.value)] if self.table == "coil" else [self.value]


@dataclass(frozen=True)
class ReadRequest:
    table: str
    address: int
    count: int
    fields: tuple[Field, ...]

    def decode(self, data, problems: dict | None = None) -> dict:
        return decode_block(self.fields, self.address, data, problems)


@dataclass
class Profile:
    name: str
    model: str
    kinds: tuple[str, ...]
    path: Path
    vendor: str = ""
    poles: tuple[str, ...] = POLES
    max_registers: int = 125
    max_bits: int = 2000
    max_gap: int = 16
    max_gap_bits: int = 256
    metrics: dict[str, Metric] = dc_field(default_factory=dict)
    settings: dict[str, Setting] = dc_field(default_factory=dict)
    controls: dict[str, Control] = dc_field(default_factory=dict)

    def field(self, name: str) -> Field:
        f = self.metrics.get(name) or self.settings.get(name)
        if f is None:
            raise KeyError(f"profile {self.name!r} has no metric or setting {name!r}")
        return f

    def metric_names(self, rate: str | None = None, poles: str | None = None) -> list[str]:
        return [n for n, m in self.metrics.items() if (rate is None or m.rate == rate)
                and (poles is None or m.poles is None or poles in m.poles)]

    def read_plan(self, what: str | Iterable[str] | None = None, *, poles: str | None = None,
                  max_gap: int | None = None) -> list[ReadRequest]:
        """Requests reading ``what``: None (every metric), "fast"/"normal" (metrics of that
        rate), "settings", or names of metrics/settings. ``poles`` drops metrics a device
        with that pole configuration does not have."""
        if what is None or what in RATES:
            fields = [self.metrics[n] for n in self.metric_names(what, poles)]
        elif what == "settings":
            fields = list(self.settings.values())
        else:
            fields = [self.field(n) for n in what]
        gap = self.max_gap if max_gap is None else max_gap
        plan: list[ReadRequest] = []
        for table in TABLES:
            todo = sorted((f for f in fields if f.table == table), key=lambda f: f.address)
            bits = table in BIT_TABLES
            limit = self.max_bits if bits else self.max_registers
            hole = (self.max_gap_bits if max_gap is None else max_gap) if bits else gap
            group: list[Field] = []
            for f in todo:
                if group and (f.address - max(g.end for g in group) > hole
                              or f.end - group[0].address > limit):
                    plan.append(_request(table, group))
                    group = []
                group.append(f)
            if group:
                plan.append(_request(table, group))
        return plan

    def encode_setting(self, name: str, value) -> tuple[str, int, list]:
        """(table, address, words) writing a setting; ValueError naming the problem."""
        s = self.settings.get(name)
        if s is None:
            raise KeyError(f"profile {self.name!r} has no setting {name!r}")
        if not s.writable:
            raise ValueError(f"setting {name!r} is read-only")
        if is_number(value) and s.enum is None and (
                (s.min is not None and value < s.min) or (s.max is not None and value > s.max)):
            raise ValueError(f"setting {name!r}: {value} outside {s.min}..{s.max}")
        return s.table, s.address, encode_value(s, value)

    def control(self, name: str) -> Control:
        if name not in self.controls:
            raise KeyError(f"profile {self.name!r} has no control {name!r}")
        return self.controls[name]


def is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _request(table: str, group: list[Field]) -> ReadRequest:
    start = group[0].address
    return ReadRequest(table, start, max(f.end for f in group) - start, tuple(group))


# ---- loading (validation: backend/field/profile_check.py) -----------------------------

def load_profile_file(path: Path | str) -> Profile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(path, [f"(file): {exc}"]) from exc
    return load_profile_text(text, path)


def load_profile_text(text: str, path: Path | str) -> Profile:
    """A profile from its YAML text; ``path`` names it (its stem is the profile's name)."""
    path = Path(path)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProfileError(path, [f"(yaml): {exc}"]) from exc
    from backend.field.profile_check import check_profile

    return check_profile(doc, path)


_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name))


def profile_path(name: str, dirs: Iterable[Path | str] = ()) -> Path | None:
    """The file of profile ``name``: the built-in directory first, then ``dirs`` in order
    (a site's own models, ``GW_PROFILE_DIRS``); None when there is none."""
    if not valid_name(name):
        return None
    for d in (PROFILE_DIR, *map(Path, dirs)):
        path = d / f"{name}.yaml"
        if path.is_file():
            return path
    return None


@functools.cache
def load_profile(name: str, dirs: tuple[str, ...] = ()) -> Profile:
    path = profile_path(name, dirs)
    if path is None:
        if not valid_name(name):
            raise KeyError(f"bad profile name {name!r}")
        raise KeyError(f"no profile {name!r} (known: {', '.join(profile_names(dirs))})")
    return load_profile_file(path)


def profile_names(dirs: Iterable[Path | str] = ()) -> list[str]:
    names = set()
    for d in (PROFILE_DIR, *map(Path, dirs)):
        names.update(p.stem for p in d.glob("*.yaml") if valid_name(p.stem))
    return sorted(names)


@functools.cache
def _builtin_names() -> frozenset[str]:
    return frozenset(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def builtin(name: str) -> bool:
    """A profile shipped with the platform (the package's files do not change at run time;
    asked per device per inventory load, so not a file system call each time)."""
    return name in _builtin_names()


def all_profiles(dirs: tuple[str, ...] = ()) -> dict[str, Profile]:
    return {n: load_profile(n, dirs) for n in profile_names(dirs)}
