"""Events from RMS samples and state changes. Pure.

Breakers and meters are polled: a sample is one RMS reading every few seconds, not a
half-cycle RMS as IEC 61000-4-30 measures dips with. So an event shorter than the poll
interval may be missed, and a duration is known only between bounds: at least from the
first to the last disturbed sample, at most from the last normal sample before to the
first normal sample after. ``duration_s`` is the estimate first disturbed -> first normal
after; both bounds are returned and ``resolution_s`` says the sampling step.

Classes, on the declared phase voltage Un (standards.py): a sample whose every phase is
below 10 % Un is an interruption, else one with a phase below 90 % Un a sag (dip), else one
with a phase above 110 % Un a swell. Consecutive disturbed samples are one event, classed
by the worst sample in it (interruption > sag > swell). Interruptions are short up to
3 minutes, long beyond.

Trips and mode changes come from the breaker's own state: an opening with a trip cause
is a ``trip`` (the circuit below it loses supply) until it closes again.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from backend.quality import standards as std

RANK = {"normal": 0, "swell": 1, "sag": 2, "interruption": 3}


def classify(vmin: float, vmax: float, nominal: float) -> str:
    if vmax < std.INTERRUPTION_PCT / 100 * nominal:
        return "interruption"
    if vmin < std.SAG_PCT / 100 * nominal:
        return "sag"
    if vmax > std.SWELL_PCT / 100 * nominal:
        return "swell"
    return "normal"


def _seconds(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds()


def voltage_events(samples: Sequence[tuple[datetime, float, float]], nominal: float,
                   max_gap_s: float = 120.0) -> list[dict]:
    """``samples``: (ts, lowest phase voltage, highest phase voltage), in time order.
    A gap longer than ``max_gap_s`` between two samples (no data) ends an event there:
    what happened in the gap is unknown, not normal."""
    events: list[dict] = []
    cur: dict | None = None
    prev_ts: datetime | None = None
    prev_good: datetime | None = None
    steps: list[float] = []
    for ts, vmin, vmax in samples:
        if prev_ts is not None:
            steps.append(_seconds(prev_ts, ts))
        gap = prev_ts is not None and _seconds(prev_ts, ts) > max_gap_s
        if cur is not None and gap:
            _close(cur, None)
            events.append(cur)
            cur = None
        if gap:
            prev_good = None
        kind = classify(vmin, vmax, nominal)
        if kind == "normal":
            if cur is not None:
                _close(cur, ts)
                events.append(cur)
                cur = None
            prev_good = ts
        else:
            if cur is None:
                cur = {"kind": kind, "start": ts, "last": ts, "prev_good": prev_good,
                       "vmin": vmin, "vmax": vmax}
            else:
                if RANK[kind] > RANK[cur["kind"]]:
                    cur["kind"] = kind
                cur["last"] = ts
                cur["vmin"], cur["vmax"] = min(cur["vmin"], vmin), max(cur["vmax"], vmax)
        prev_ts = ts
    if cur is not None:
        _close(cur, None)
        events.append(cur)
    resolution = _median(steps)
    out = []
    for e in events:
        out.append(_shape(e, nominal, resolution))
    return out


def _close(e: dict, next_good: datetime | None) -> None:
    e["next_good"] = next_good


def _median(xs: list[float]) -> float | None:
    if not xs:
        return None
    s = sorted(xs)
    return s[len(s) // 2]


def _shape(e: dict, nominal: float, resolution: float | None) -> dict:
    start, last, nxt, prev = e["start"], e["last"], e["next_good"], e["prev_good"]
    shaped = {
        "kind": e["kind"], "start": start, "end": nxt, "ongoing": nxt is None,
        "duration_s": _seconds(start, nxt) if nxt else None,
        "min_duration_s": _seconds(start, last),
        "max_duration_s": _seconds(prev, nxt) if prev and nxt else None,
        "resolution_s": resolution, "source": "readings",
        "residual_pct": round(100.0 * e["vmin"] / nominal, 2),
        "peak_pct": round(100.0 * e["vmax"] / nominal, 2),
    }
    if e["kind"] == "interruption":
        known = shaped["duration_s"] if shaped["duration_s"] is not None else None
        if known is not None:
            shaped["class"] = "short" if known <= std.SHORT_INTERRUPTION_MAX_S else "long"
        else:
            shaped["class"] = ("long" if shaped["min_duration_s"] > std.SHORT_INTERRUPTION_MAX_S
                               else "unknown")
    return shaped


def state_events(changes: Sequence[tuple[datetime, str, str]]) -> list[dict]:
    """``changes``: (ts, metric, value name) for switch_state, trip_cause and mode, in
    time order (each a value different from the one before). Trips (opened with a trip
    cause, until closed) and mode changes."""
    by_ts: dict[datetime, dict[str, str]] = {}
    for ts, metric, value in changes:
        by_ts.setdefault(ts, {})[metric] = value
    events: list[dict] = []
    state = {"switch_state": None, "trip_cause": "none", "mode": None}
    trip: dict | None = None
    for ts in sorted(by_ts):
        new = by_ts[ts]
        if "mode" in new and state["mode"] is not None and new["mode"] != state["mode"]:
            events.append({"kind": "mode_change", "start": ts, "end": ts, "from": state["mode"],
                           "to": new["mode"], "source": "breaker"})
        state.update(new)
        if trip is None and state["switch_state"] == "open" and state["trip_cause"] != "none":
            trip = {"kind": "trip", "start": ts, "cause": state["trip_cause"],
                    "mode": state["mode"], "source": "breaker"}
        elif trip is not None and state["switch_state"] == "closed":
            trip.update(end=ts, ongoing=False, duration_s=_seconds(trip["start"], ts))
            events.append(trip)
            trip = None
    if trip is not None:
        trip.update(end=None, ongoing=True, duration_s=None)
        events.append(trip)
    for e in events:
        if e["kind"] == "trip" and e["duration_s"] is not None:
            e["class"] = "short" if e["duration_s"] <= std.SHORT_INTERRUPTION_MAX_S else "long"
    return sorted(events, key=lambda e: e["start"])
