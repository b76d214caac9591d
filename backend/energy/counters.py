"""The pure core: one counter's ordered readings -> energy per 15-minute slot.

No I/O. Input: ``Point(ts, value)`` readings of one cumulative counter (kWh or kvarh,
already scaled, bad-quality readings left out by the caller), the meter replacements of
the device and ``Rules`` (the register's rollover modulus, the gap threshold, the power
beyond which a delta is implausible). Output: ``{slot_start: Slot(energy, estimated)}``.

The rules (docs/energy.md has worked examples):
- every interval between two consecutive accepted readings is spread over the slots it
  overlaps, pro rata by time; an interval longer than ``gap_seconds`` is a gap: spread
  the same way and every slot it touches is marked estimated (never zeroed, never lumped);
- a reading out of line with both neighbours while the next one continues from the
  previous one (a dip to 0 and back, Home Assistant core #124420, or a spike) is a
  glitch: dropped, it books nothing;
- a decrease that is a wrap of the register (``modulus`` set and the wrapped delta
  plausible for the interval) books the wrapped delta;
- any other decrease is a reset: the counter restarted from 0 somewhere in the interval.
  The energy since the restart is the new reading itself; the energy between the last
  reading before it and the restart is estimated from the rate after it, so the interval
  books ``max(new reading, rate_after * interval)``, marked estimated;
- a meter replacement (time, old meter's final reading, new meter's initial reading)
  splits the series: the old meter's readings end at ``old_final`` at that time, the new
  one's start at ``new_initial``; no delta is taken across it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

SLOT_SECONDS = 900
SLOT = timedelta(seconds=SLOT_SECONDS)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Point:
    ts: datetime
    value: float


@dataclass(frozen=True)
class Replacement:
    at: datetime
    old_final: float
    new_initial: float


@dataclass(frozen=True)
class Rules:
    modulus: float | None = None      # the counter wraps to 0 at this value (None: never)
    gap_seconds: float = 1800.0       # a longer interval between readings is a gap
    max_power_kw: float = 100_000.0   # a wrapped delta implying more is not a wrap


@dataclass
class Slot:
    energy: float = 0.0
    estimated: bool = False


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime
    energy: float
    estimated: bool
    kind: str          # "normal" | "gap" | "rollover" | "reset" | "replacement"


def slot_of(ts: datetime) -> datetime:
    """The start of the 15-minute slot holding ``ts`` (aligned to the hour in UTC)."""
    n = (ts - _EPOCH) // SLOT
    return _EPOCH + n * SLOT


def _segments(points: list[Point], replacements: Iterable[Replacement]) -> list[list[Point]]:
    """Split at each replacement: the old meter ends at (at, old_final), the new one
    starts at (at, new_initial)."""
    segs: list[list[Point]] = [[]]
    reps = sorted(replacements, key=lambda r: r.at)
    i = 0
    for p in points:
        while i < len(reps) and p.ts >= reps[i].at:
            segs[-1].append(Point(reps[i].at, reps[i].old_final))
            segs.append([Point(reps[i].at, reps[i].new_initial)])
            i += 1
        segs[-1].append(p)
    for r in reps[i:]:
        segs[-1].append(Point(r.at, r.old_final))
        segs.append([Point(r.at, r.new_initial)])
    return segs


def _rate_after(pts: list[Point], k: int) -> float | None:
    """kWh per second from pts[k] to the next reading not below it (None: none yet)."""
    for nxt in pts[k + 1:]:
        dt = (nxt.ts - pts[k].ts).total_seconds()
        if nxt.value >= pts[k].value and dt > 0:
            return (nxt.value - pts[k].value) / dt
    return None


def _segment_intervals(pts: list[Point], rules: Rules) -> list[Interval]:
    out: list[Interval] = []
    if len(pts) < 2:
        return out
    prev = pts[0]
    for k in range(1, len(pts)):
        cur = pts[k]
        nxt = pts[k + 1] if k + 1 < len(pts) else None
        if nxt is not None and nxt.value >= prev.value and (
                cur.value < prev.value or cur.value > nxt.value):
            continue                                 # glitch: the next continues from prev
        dt = (cur.ts - prev.ts).total_seconds()
        delta = cur.value - prev.value
        if delta >= 0:
            gap = dt > rules.gap_seconds
            out.append(Interval(prev.ts, cur.ts, delta, gap, "gap" if gap else "normal"))
        elif rules.modulus and _plausible(delta + rules.modulus, dt, rules):
            out.append(Interval(prev.ts, cur.ts, delta + rules.modulus,
                                dt > rules.gap_seconds, "rollover"))
        else:                                        # reset: restarted from 0 meanwhile
            rate = _rate_after(pts, k)
            energy = max(cur.value, rate * dt) if rate is not None else max(cur.value, 0.0)
            out.append(Interval(prev.ts, cur.ts, energy, True, "reset"))
        prev = cur
    return out


def _plausible(energy: float, dt: float, rules: Rules) -> bool:
    return energy >= 0 and (dt <= 0 or energy / (dt / 3600.0) <= rules.max_power_kw)


def intervals(points: Iterable[Point], rules: Rules = Rules(),
              replacements: Iterable[Replacement] = ()) -> list[Interval]:
    """The accepted intervals of the series, in time order (duplicate times: first wins)."""
    pts, seen = [], set()
    for p in sorted(points, key=lambda p: p.ts):
        if p.ts not in seen:
            seen.add(p.ts)
            pts.append(p)
    out = []
    for seg in _segments(pts, replacements):
        out.extend(_segment_intervals(seg, rules))
    return out


def spread(ivs: Iterable[Interval]) -> dict[datetime, Slot]:
    """Each interval's energy over the slots it overlaps, pro rata by time."""
    slots: dict[datetime, Slot] = {}
    for iv in ivs:
        total = (iv.end - iv.start).total_seconds()
        if total <= 0:                   # a replacement point on a reading: one instant
            s = slots.setdefault(slot_of(iv.end), Slot())
            s.energy += iv.energy
            s.estimated |= iv.estimated
            continue
        t = slot_of(iv.start)
        while t < iv.end:
            lo, hi = max(t, iv.start), min(t + SLOT, iv.end)
            share = (hi - lo).total_seconds() / total
            if share > 0:
                s = slots.setdefault(t, Slot())
                s.energy += iv.energy * share
                s.estimated |= iv.estimated
            t += SLOT
    return slots


def slot_energies(points: Iterable[Point], rules: Rules = Rules(),
                  replacements: Iterable[Replacement] = ()) -> dict[datetime, Slot]:
    """``{slot_start: Slot}`` for one counter: ``spread(intervals(...))``."""
    return spread(intervals(points, rules, replacements))


def demand_kw(slot_kwh: float) -> float:
    """A slot's 15-minute average power: its energy over a quarter hour."""
    return slot_kwh * 3600.0 / SLOT_SECONDS


def peak_demand(slots: dict[datetime, float], period) -> dict:
    """Maximum 15-minute average power per period: ``period(slot_start)`` names the
    period (an hour, a local day, a month); ``slots`` are import kWh per slot."""
    out: dict = {}
    for t, kwh in slots.items():
        key = period(t)
        out[key] = max(out.get(key, 0.0), demand_kw(kwh))
    return out


def counter_modulus(register_type: str, scale: float) -> float | None:
    """Where an unsigned integer register of this type wraps, in engineering units
    (u32 with scale 0.01 kWh: 2^32 * 0.01 = 42,949,672.96 kWh); floats never wrap."""
    words = {"u16": 1, "u32": 2, "u64": 4}.get(register_type)
    return None if words is None else float(2 ** (16 * words)) * scale
