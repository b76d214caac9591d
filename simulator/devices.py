"""Simulated devices: state in engineering units, served through their profile.

A device keeps ``values`` (canonical metric name -> value, as the platform will see it) and
``settings``; the Modbus server asks it for register words with :meth:`Device.read`, which
encodes only the fields the request covers with the same codec the poller decodes with, so
the YAML profile is the single source of the register map. Writes go through
:meth:`Device.write`, which maps them back to controls and settings via the profile.

Write refusals are Modbus exception codes as ints (the server turns them into responses):
1 ILLEGAL FUNCTION (refused in this state, e.g. the breaker's mode), 2 ILLEGAL DATA ADDRESS
(not a control or writable setting), 3 ILLEGAL DATA VALUE (outside the setting's limits).
"""
from __future__ import annotations

import math
import random

from backend.field.codec import TYPES, Field
from backend.field.decode import decode_value
from backend.field.encode import EncodeError, encode_value, merge_into
from backend.field.profile import Profile

ILLEGAL_FUNCTION, ILLEGAL_ADDRESS, ILLEGAL_VALUE = 1, 2, 3
ALIASES = {"leakage": "leakage_current"}


def encode_clamped(field: Field, value) -> list:
    """Words for ``value``; numbers beyond what the type holds are clamped (a real device
    saturates its registers rather than wrapping)."""
    if value is None:
        return [False] if field.is_bit else [0] * field.size
    try:
        return encode_value(field, value)
    except EncodeError:
        bounds = TYPES.get(field.type, (0, "", None))[2]
        if bounds is None or not isinstance(value, (int, float)) or field.enum or field.bits:
            return [0] * field.size
        ends = sorted(b * field.scale + field.offset for b in bounds)
        return encode_value(field, min(max(value, ends[0]), ends[1]))


class Device:
    """Base: image handling, overrides, the generic write path."""

    kind = "device"

    def __init__(self, spec, profile: Profile, node, rnd: random.Random):
        self.spec, self.code, self.profile = spec, spec.code, profile
        self.node, self.rnd = node, rnd
        self.unit_id = spec.unit_id
        self.values: dict[str, object] = {}
        self.settings = {n: s.default for n, s in profile.settings.items()}
        self.overrides: dict[str, object] = {}
        self.silent = False
        self.latency = 0.0
        fields = [*profile.metrics.values(), *profile.settings.values()]
        self.fields = {t: sorted((f for f in fields if f.table == t), key=lambda f: f.address)
                       for t in ("holding", "input", "coil", "discrete")}
        self.size = {}
        for t, fs in self.fields.items():
            ends = [f.end for f in fs] + [c.address + 1 for c in profile.controls.values()
                                          if c.table == t]
            self.size[t] = max(ends, default=0)
        self.images = {t: ([False] if t in ("coil", "discrete") else [0]) * max(n, 1)
                       for t, n in self.size.items()}

    # -- overrides ----------------------------------------------------------------------
    def expand(self, name: str) -> list[str]:
        """Metric names an injected ``name`` sets (``voltage`` -> every phase voltage)."""
        name = ALIASES.get(name, name)
        if name in ("voltage", "current"):
            return [f"{name}_{p}" for p in "abc"]
        return [name]

    def override(self, name: str, value) -> None:
        for n in self.expand(name):
            if value is None:
                self.overrides.pop(n, None)
            else:
                self.overrides[n] = value

    def ov(self, name: str, default):
        return self.overrides.get(name, default)

    # -- Modbus side --------------------------------------------------------------------
    def bits(self, table: str) -> dict[int, bool]:
        """Bits not described by a field (e.g. a breaker's switch coil)."""
        return {}

    def read(self, table: str, address: int, count: int) -> list | None:
        """Register words or bits for ``count`` items at ``address``; None if out of map."""
        if address + count > self.size[table]:
            return None
        image = self.images[table]
        for f in self.fields[table]:
            if f.end > address and f.address < address + count:
                value = self.values.get(f.name, self.settings.get(f.name))
                merge_into(image, f, encode_clamped(f, value))
        for addr, bit in self.bits(table).items():
            image[addr] = bit
        return image[address:address + count]

    def command(self, name: str, source: str = "remote") -> int | None:
        return ILLEGAL_FUNCTION

    def apply_setting(self, name: str, value) -> int | None:
        self.settings[name] = value
        return None

    def write(self, table: str, address: int, values: list) -> int | None:
        """A write request; None when accepted, else a Modbus exception code."""
        ctls = [c for c in self.profile.controls.values() if c.table == table]
        if table == "coil":
            todo = []
            for i, v in enumerate(values):
                at = [c for c in ctls if c.address == address + i]
                match = [c for c in at if c.value == int(bool(v))]
                if not at:
                    return ILLEGAL_ADDRESS
                if not match:
                    return ILLEGAL_VALUE
                todo.append(match[0].name)
            for name in todo:
                if (rc := self.command(name)) is not None:
                    return rc
            return None
        if table != "holding":
            return ILLEGAL_FUNCTION
        at = [c for c in ctls if c.address == address]
        if at and len(values) == 1:
            match = [c for c in at if c.value == values[0]]
            return self.command(match[0].name) if match else ILLEGAL_VALUE
        end = address + len(values)
        covered = [s for s in self.fields["holding"] if address <= s.address and s.end <= end
                   and s.name in self.profile.settings]
        if sum(s.size for s in covered) != len(values) or \
                not all(self.profile.settings[s.name].writable for s in covered):
            return ILLEGAL_ADDRESS
        new = {}
        for s in covered:
            value = decode_value(s, values[s.address - address:s.end - address])
            setting = self.profile.settings[s.name]
            if value is None or (setting.enum is None and (
                    (setting.min is not None and value < setting.min)
                    or (setting.max is not None and value > setting.max))):
                return ILLEGAL_VALUE
            new[s.name] = value
        for name, value in new.items():
            if (rc := self.apply_setting(name, value)) is not None:
                return rc
        return None

    def step(self, ctx) -> None:
        raise NotImplementedError

    def snapshot(self) -> dict:
        def tidy(d: dict) -> dict:
            return {k: round(v, 3) if isinstance(v, float) else v for k, v in d.items()}
        return {"code": self.code, "kind": self.kind, "profile": self.profile.name,
                "gateway": self.spec.gateway, "unit_id": self.unit_id,
                "values": tidy(self.values), "settings": tidy(self.settings),
                "overrides": dict(self.overrides), "silent": self.silent,
                "latency_ms": round(self.latency * 1000)}


class EnvSensor(Device):
    """A room sensor (gw-env: temperature, humidity, a water probe) or a pit's level sensor
    (gw-level: the water level and its high-level float switch): it reports what its
    profile has. The float switch follows the level (overriding ``water_level`` above
    ``HIGH_WATER_CM`` trips it) unless it is overridden itself."""

    kind = "env_sensor"
    HIGH_WATER_CM = 30.0        # the float switch's height above the pit floor

    def __init__(self, *a):
        super().__init__(*a)
        self.t0 = self.rnd.uniform(21, 27)
        self.h0 = self.rnd.uniform(45, 65)
        self.level0 = self.rnd.uniform(4, 12)
        self.values = self._reported({"temperature": self.t0, "humidity": self.h0,
                                      "water_leak": False, "water_level": self.level0,
                                      "high_water": False})

    def _reported(self, values: dict) -> dict:
        return {k: v for k, v in values.items() if k in self.profile.metrics}

    def step(self, ctx) -> None:
        day = math.sin(2 * math.pi * (ctx.seconds_of_day / 86400 - 0.375))
        t = self.t0 + 2.5 * day + self.rnd.gauss(0, 0.05)
        h = self.h0 - 6 * day + self.rnd.gauss(0, 0.2)
        level = max(0.0, self.ov("water_level", self.level0 + 1.5 * day
                                 + self.rnd.gauss(0, 0.05)))
        self.values = self._reported({
            "temperature": round(self.ov("temperature", t), 1),
            "humidity": round(min(100.0, max(0.0, self.ov("humidity", h))), 1),
            "water_leak": bool(self.ov("water_leak", False)),
            "water_level": round(level, 1),
            "high_water": bool(self.ov("high_water", level >= self.HIGH_WATER_CM))})


class TempSensor(Device):
    """Eight terminal probes following the square of their phase's current (first order)."""

    kind = "temp_sensor"
    POINTS = tuple(f"temperature_{e}_{p}" for e in ("in", "out") for p in "abcn")

    def __init__(self, *a):
        super().__init__(*a)
        self.joint = [self.rnd.uniform(0.8, 1.3) for _ in self.POINTS]   # contact quality
        self.t = [28.0] * 8

    def expand(self, name: str) -> list[str]:
        return list(self.POINTS) if name == "temperature" else super().expand(name)

    def step(self, ctx) -> None:
        node = self.node
        i = list(node.i) if node else [0.0, 0.0, 0.0]
        i.append(neutral(i))
        ref = node.rated if node else 100.0
        for k, name in enumerate(self.POINTS):
            target = ctx.ambient + 35.0 * self.joint[k] * (i[k % 4] / ref) ** 2
            self.t[k] += (target - self.t[k]) * ctx.alpha
            if name in self.overrides:
                self.t[k] = float(self.overrides[name])
        v = {n: round(t, 1) for n, t in zip(self.POINTS, self.t)}
        for p in "abcn":
            v[f"temperature_{p}"] = max(v[f"temperature_in_{p}"], v[f"temperature_out_{p}"])
        v["temperature"] = max(v[n] for n in self.POINTS)
        self.values = v


class Meter(Device):
    """A three-phase meter on a circuit: what flows through it, energy integrated; the
    line-to-line voltages of its phases (120° apart: |Va - Vb|² = Va² + Vb² + VaVb) and
    the voltage and current THD a background level (2 %, 10 %: a slow deterministic
    wobble, no random draws, so the fleet's random sequence is unchanged) unless a
    disturbance sets the voltage THD of its circuit."""

    kind = "meter"
    THD_V, THD_I = 2.0, 10.0

    def __init__(self, *a):
        super().__init__(*a)
        base = (self.node.rated if self.node else 200.0) * 0.66
        self.ratio = float(getattr(self.spec, "transformer_ratio", None) or 1.0)
        self.e_imp = base * self.rnd.uniform(500, 3000)
        self.e_q = self.e_imp * 0.35

    def step(self, ctx) -> None:
        n = self.node
        g = self.rnd.gauss
        r = self.ratio
        v = [self.ov(f"voltage_{p}", (n.line_v[k] + g(0, 0.05)) * r) for k, p in enumerate("abc")]
        i = [self.ov(f"current_{p}", n.i[k] / r) for k, p in enumerate("abc")]
        p = n.p if not any(f"current_{x}" in self.overrides for x in "abc") else \
            [v[k] * i[k] * n.pf / 1000 for k in range(3)]
        q = [pk * n.tanphi for pk in p] if p is not n.p else list(n.q)
        s = [math.hypot(pk, qk) for pk, qk in zip(p, q)]
        total_p, total_q, total_s = sum(p), sum(q), sum(s)
        self.e_imp += max(total_p, 0.0) * ctx.dt / 3600
        self.e_q += abs(total_q) * ctx.dt / 3600
        vals = {f"voltage_{x}": v[k] for k, x in enumerate("abc")}
        vals.update({f"current_{x}": i[k] for k, x in enumerate("abc")})
        vals.update({f"active_power_{x}": p[k] for k, x in enumerate("abc")})
        vals.update(current_n=neutral(i), active_power=total_p, reactive_power=total_q,
                    apparent_power=total_s, power_factor=total_p / total_s if total_s else 1.0,
                    frequency=ctx.frequency, energy_import=self.e_imp, energy_export=0.0,
                    reactive_energy=self.e_q)
        for name, (x, y) in (("voltage_ab", (0, 1)), ("voltage_bc", (1, 2)),
                             ("voltage_ca", (2, 0))):
            vals[name] = math.sqrt(v[x] * v[x] + v[y] * v[y] + v[x] * v[y])
        wobble = 0.2 * math.sin(ctx.t / 600.0)
        thd = n.line_thd if n is not None and n.line_thd is not None else self.THD_V + wobble
        for k, x in enumerate("abc"):
            vals[f"thd_voltage_{x}"] = self.ov(f"thd_voltage_{x}", thd + 0.1 * k)
            vals[f"thd_current_{x}"] = self.ov(f"thd_current_{x}", self.THD_I + 2 * wobble + k)
        self.values = vals


def neutral(i) -> float:
    """Neutral current of three phase currents 120 degrees apart (same power factor)."""
    a, b, c = i[0], i[1], i[2]
    return math.sqrt(max(0.0, a * a + b * b + c * c - a * b - b * c - c * a))
