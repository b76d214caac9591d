"""A monitoring point's indices from its 10-minute aggregates, and a site's from its
points'. Pure.

An aggregate is one 10-minute interval: ``{"ts": start, metric: value}``, voltages and
currents as the RMS of the interval's RMS samples, other analog metrics as their mean
(store.py builds them from ``readings``). Intervals with a phase below the interruption
threshold are *flagged* (IEC 61000-4-30 4.7): left out of every index, and counted; what
happened in them is an event (events.py).

Every index says ``approximate`` and its ``method``; the overall verdict ``compliant`` is
judged on the 95 % value (indices.p95), the interval compliance ``compliance_pct`` is the
share of intervals within the limit (GB/T 12325's 合格率).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from backend.quality import indices as ix
from backend.quality import standards as std

PHASES = ("a", "b", "c")
INDEX_KEYS = ("voltage_deviation", "voltage_unbalance", "current_unbalance", "frequency",
              "power_factor", "thd_voltage")


@dataclass(frozen=True)
class PointSpec:
    """What judging a point needs: how many phases it measures, its declared phase
    voltage, its breaker's rating (current unbalance's load floor), the power-factor
    target and its voltage level in kV (harmonic limits)."""
    phases: int = 3
    nominal_v: float = 220.0
    rated_current: float | None = None
    pf_target: float = 0.9
    level_kv: float = 0.38


def _num(row: dict, key: str) -> float | None:
    v = row.get(key)
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None


def _phase_values(row: dict, prefix: str, phases: int) -> list[float]:
    names = PHASES if phases == 3 else PHASES[:1]
    vals = [_num(row, f"{prefix}_{p}") for p in names]
    return [v for v in vals if v is not None] if all(v is not None for v in vals) else []


def _round(v: float | None, nd: int = 4) -> float | None:
    return None if v is None else round(v, nd)


def _stats(values: list[float], flags: list[bool], low: bool = False) -> dict:
    """What an index's result is built from: the count, the compliant count, the 95 %
    value (the lower-side one with ``low``), the extremes. rollup.point_stats computes
    the same in SQL."""
    return {"n": len(values), "ok": sum(1 for f in flags if f),
            "p95": ix.p95_low(values) if low else ix.p95(values),
            "max": max(values) if values else None, "min": min(values) if values else None}


def _result(key: str, unit: str, standard: str | None, limits: dict, values: list[float],
            flags: list[bool], compliant: bool | None, *, method: str,
            approximate: bool = False, note: str = "", low: bool = False) -> dict:
    return _result_of(key, unit, standard, limits, _stats(values, flags, low), compliant,
                      method=method, approximate=approximate, note=note)


def _result_of(key: str, unit: str, standard: str | None, limits: dict, st: dict,
               compliant: bool | None, *, method: str, approximate: bool = False,
               note: str = "") -> dict:
    n = st["n"]
    return {
        "key": key, "unit": unit, "standard": standard, "limits": limits,
        "available": bool(n), "intervals": n,
        "compliant_intervals": st["ok"],
        "compliance_pct": _round(100.0 * st["ok"] / n, 2) if n else None,
        "p95": _round(st["p95"]), "max": _round(st["max"]), "min": _round(st["min"]),
        "compliant": compliant if n else None,
        "approximate": approximate, "method": method, "note": note,
    }


def flagged(row: dict, spec: PointSpec) -> bool:
    vs = _phase_values(row, "voltage", spec.phases)
    return bool(vs) and min(vs) < std.INTERRUPTION_PCT / 100 * spec.nominal_v


def voltage_deviation(rows: Sequence[dict], spec: PointSpec) -> dict:
    lim = std.deviation_limit(spec.phases)
    highs, lows, flags = [], [], []
    for row in rows:
        vs = _phase_values(row, "voltage", spec.phases)
        if not vs:
            continue
        devs = [ix.deviation_pct(v, spec.nominal_v) for v in vs]
        highs.append(max(devs))
        lows.append(min(devs))
        flags.append(lim.lower_pct <= min(devs) and max(devs) <= lim.upper_pct)
    st = _stats(highs, flags)
    st.update(p95_low=ix.p95_low(lows), min=min(lows) if lows else None)
    return voltage_deviation_of(st, spec)


def voltage_deviation_of(st: dict, spec: PointSpec) -> dict:
    """``st``: the highest phase's deviations (n, ok, p95, max), the lowest phase's
    (p95_low, min)."""
    lim = std.deviation_limit(spec.phases)
    res = _result_of("voltage_deviation", "%", lim.clause,
                     {"upper_pct": lim.upper_pct, "lower_pct": lim.lower_pct,
                      "nominal_v": spec.nominal_v, "supply": lim.supply},
                     st, None, method="10-min RMS of each phase vs the nominal")
    # the 95 % value of the highest phase's deviation (upper side) and of the lowest
    # phase's (lower side): 95 % of the intervals lie between them
    res["p95_low"] = _round(st["p95_low"])
    if st["n"]:
        res["compliant"] = (res["p95"] <= lim.upper_pct and res["p95_low"] >= lim.lower_pct)
    return res


def _unbalance_of(row: dict, spec: PointSpec) -> tuple[float | None, str]:
    lines = [_num(row, k) for k in ("voltage_ab", "voltage_bc", "voltage_ca")]
    if all(v is not None for v in lines):
        return ix.unbalance_from_line_voltages(*lines), "line_to_line"
    vs = _phase_values(row, "voltage", 3)
    if not vs:
        return None, ""
    angles = [_num(row, k) for k in ("voltage_angle_b", "voltage_angle_c")]
    if all(a is not None for a in angles):
        va = complex(vs[0], 0)
        vb = vs[1] * complex(math.cos(math.radians(angles[0])), math.sin(math.radians(angles[0])))
        vc = vs[2] * complex(math.cos(math.radians(angles[1])), math.sin(math.radians(angles[1])))
        return ix.unbalance_from_phasors(va, vb, vc), "phasors"
    return ix.unbalance_from_magnitudes(*vs), "magnitudes"


METHODS = {
    "line_to_line": "exact: negative-sequence ratio from the line-to-line magnitudes "
                    "(GB/T 15543-2008 annex A)",
    "phasors": "exact: symmetrical components from the phase voltage phasors",
    "magnitudes": "APPROXIMATE: negative-sequence ratio from the three phase magnitudes, "
                  "phases assumed 120° apart (angles not measured)",
}


def voltage_unbalance(rows: Sequence[dict], spec: PointSpec) -> dict:
    values, flags, methods = [], [], set()
    if spec.phases == 3:
        for row in rows:
            u2, method = _unbalance_of(row, spec)
            if u2 is None:
                continue
            values.append(u2)
            methods.add(method)
            flags.append(u2 <= std.UNBALANCE_NORMAL_PCT)
    return voltage_unbalance_of(_stats(values, flags), spec, methods)


def voltage_unbalance_of(st: dict, spec: PointSpec, methods: set[str]) -> dict:
    limits = {"normal_pct": std.UNBALANCE_NORMAL_PCT, "short_time_pct": std.UNBALANCE_SHORT_PCT}
    if spec.phases != 3:
        return _result("voltage_unbalance", "%", std.UNBALANCE_CLAUSE, limits, [], [], None,
                       method="", note="single-phase point: no unbalance")
    approximate = "magnitudes" in methods or not methods
    method = "magnitudes" if "magnitudes" in methods else (sorted(methods) or ["magnitudes"])[0]
    res = _result_of("voltage_unbalance", "%", std.UNBALANCE_CLAUSE, limits, st, None,
                     method=METHODS[method], approximate=approximate)
    if st["n"]:
        res["compliant"] = (res["p95"] <= std.UNBALANCE_NORMAL_PCT
                            and res["max"] <= std.UNBALANCE_SHORT_PCT)
    return res


def current_floor(spec: PointSpec) -> float:
    return (std.CURRENT_MIN_LOAD * spec.rated_current if spec.rated_current
            else std.CURRENT_MIN_A)


def current_unbalance(rows: Sequence[dict], spec: PointSpec) -> dict:
    values, flags = [], []
    floor = current_floor(spec)
    if spec.phases == 3:
        for row in rows:
            cs = _phase_values(row, "current", 3)
            if not cs or max(cs) < floor:
                continue
            u = ix.current_unbalance(*cs)
            values.append(u)
            flags.append(u <= std.CURRENT_UNBALANCE_PCT)
    return current_unbalance_of(_stats(values, flags), spec)


def current_unbalance_of(st: dict, spec: PointSpec) -> dict:
    limits = {"max_pct": std.CURRENT_UNBALANCE_PCT}
    if spec.phases != 3:
        return _result("current_unbalance", "%", None, limits, [], [], None, method="",
                       note="single-phase point: no unbalance")
    floor = current_floor(spec)
    res = _result_of("current_unbalance", "%", None, limits, st, None,
                     method="(max - min) / max of the 10-min phase currents, while loaded "
                            f"(max phase >= {floor:g} A)",
                     note="no GB/T limit at a feeder; the alarm rule's 25 % warning")
    if st["n"]:
        res["compliant"] = res["p95"] <= std.CURRENT_UNBALANCE_PCT
    return res


def frequency(rows: Sequence[dict], spec: PointSpec) -> dict:
    values, flags = [], []
    for row in rows:
        f = _num(row, "frequency")
        if f is None:
            continue
        d = abs(f - std.NOMINAL_HZ)
        values.append(d)
        flags.append(d <= std.FREQUENCY_LIMIT_HZ)
    return frequency_of(_stats(values, flags), spec)


def frequency_of(st: dict, spec: PointSpec) -> dict:
    res = _result_of("frequency", "Hz", std.FREQUENCY_CLAUSE,
                     {"max_deviation_hz": std.FREQUENCY_LIMIT_HZ}, st, None,
                     method="|10-min mean frequency - 50 Hz| (IEC 61000-4-30 measures 10-s "
                            "values; the poll rate allows the interval mean)",
                     approximate=True)
    if st["n"]:
        res["compliant"] = res["p95"] <= std.FREQUENCY_LIMIT_HZ and \
            res["max"] <= std.FREQUENCY_LIMIT_HZ
    return res


def power_factor(rows: Sequence[dict], spec: PointSpec) -> dict:
    values, flags = [], []
    for row in rows:
        p = _num(row, "active_power")
        if p is not None and abs(p) < std.PF_MIN_KW:
            continue
        pf = ix.power_factor(p, _num(row, "reactive_power"), _num(row, "power_factor"))
        if pf is None:
            continue
        values.append(pf)
        flags.append(pf >= spec.pf_target - 1e-9)
    return power_factor_of(_stats(values, flags, low=True), spec)


def power_factor_of(st: dict, spec: PointSpec) -> dict:
    res = _result_of("power_factor", "", None, {"target": spec.pf_target}, st, None,
                     method="P / sqrt(P² + Q²) of the 10-min mean powers",
                     note="a target (setting quality_power_factor_target), not a GB/T limit")
    if st["n"]:
        res["compliant"] = res["p95"] >= spec.pf_target - 1e-9
    return res


def harmonic_limit(level_kv: float) -> tuple[float, float, float]:
    levels = sorted(std.HARMONIC_LIMITS)
    return std.HARMONIC_LIMITS[min(levels, key=lambda k: abs(k - level_kv))]


def thd_voltage(rows: Sequence[dict], spec: PointSpec) -> dict:
    thd_max, _odd, _even = harmonic_limit(spec.level_kv)
    values, flags = [], []
    for row in rows:
        ts = _phase_values(row, "thd_voltage", spec.phases)
        if not ts:
            continue
        values.append(max(ts))
        flags.append(max(ts) <= thd_max)
    return thd_voltage_of(_stats(values, flags), spec)


def thd_voltage_of(st: dict, spec: PointSpec) -> dict:
    thd_max, _odd, _even = harmonic_limit(spec.level_kv)
    res = _result_of("thd_voltage", "%", std.HARMONIC_CLAUSE,
                     {"max_pct": thd_max, "level_kv": spec.level_kv}, st, None,
                     method="10-min mean of the device's reported voltage THD, highest phase",
                     note="" if st["n"] else "the device reports no harmonics")
    if st["n"]:
        res["compliant"] = res["p95"] <= thd_max
    return res


def point_indices(rows: Sequence[dict], spec: PointSpec) -> dict:
    """Every index of one point; ``flagged_intervals``: left out (interruptions)."""
    good = [r for r in rows if not flagged(r, spec)]
    out = {f.__name__: f(good, spec) for f in (voltage_deviation, voltage_unbalance,
                                                current_unbalance, frequency, power_factor,
                                                thd_voltage)}
    return {"intervals": len(rows), "flagged_intervals": len(rows) - len(good),
            "indices": out, "voltage_load_r": _round(voltage_load_r(good, spec), 4)}


_METHOD_FLAGS = {"vu_m": "magnitudes", "vu_l": "line_to_line", "vu_p": "phasors"}


def point_indices_from_stats(st: dict | None, spec: PointSpec) -> dict:
    """``point_indices`` from the statistics rollup.point_stats computes in SQL (one
    row of it; None: no intervals): the same result for the same intervals."""
    st = st or {}

    def of(prefix: str) -> dict:
        return {k: st.get(f"{prefix}_{k}") for k in ("p95", "max", "min")} | {
            "n": st.get(f"{prefix}_n") or 0, "ok": st.get(f"{prefix}_ok") or 0}
    vd = of("vd") | {"p95_low": st.get("vd_p95_low")}
    methods = {m for k, m in _METHOD_FLAGS.items() if st.get(k)}
    out = {"voltage_deviation": voltage_deviation_of(vd, spec),
           "voltage_unbalance": voltage_unbalance_of(of("vu"), spec, methods),
           "current_unbalance": current_unbalance_of(of("cu"), spec),
           "frequency": frequency_of(of("fr"), spec),
           "power_factor": power_factor_of(of("pf"), spec),
           "thd_voltage": thd_voltage_of(of("th"), spec)}
    r = st.get("r") if (st.get("r_n") or 0) >= 3 else None
    n = st.get("n_all") or 0
    return {"intervals": n, "flagged_intervals": st.get("n_flagged") or 0,
            "indices": out, "voltage_load_r": _round(r, 4)}


def voltage_load_r(rows: Sequence[dict], spec: PointSpec) -> float | None:
    """Correlation of the interval's mean phase voltage with its total phase current:
    strongly negative when the voltage rises as the load falls (diagnosis.py)."""
    vs, cs = [], []
    for row in rows:
        v = _phase_values(row, "voltage", spec.phases)
        c = _phase_values(row, "current", spec.phases)
        if v and c:
            vs.append(sum(v) / len(v))
            cs.append(sum(c))
    return ix.correlation(vs, cs)


def pooled(point_results: Sequence[dict]) -> dict:
    """A site's indices from its points': pooled interval compliance, the worst point's
    95 % value, how many points fail."""
    out = {}
    for key in INDEX_KEYS:
        rs = [p["indices"][key] for p in point_results if p["indices"][key]["available"]]
        total = sum(r["intervals"] for r in rs)
        ok = sum(r["compliant_intervals"] for r in rs)
        worst = None
        if rs:
            low = key == "power_factor"
            worst = (min if low else max)(r["p95"] for r in rs)
        out[key] = {"key": key, "points": len(rs), "intervals": total,
                    "compliance_pct": round(100.0 * ok / total, 2) if total else None,
                    "worst_p95": worst,
                    "failing_points": sum(1 for r in rs if r["compliant"] is False),
                    "approximate": any(r["approximate"] for r in rs)}
        # the standard and limit the points were judged against (limits only when every
        # point has the same: single- and three-phase points differ in voltage deviation)
        judged = rs or [p["indices"][key] for p in point_results]
        if judged:
            limits = [r["limits"] for r in judged]
            out[key].update(standard=judged[0]["standard"], unit=judged[0]["unit"],
                            limits=limits[0] if all(x == limits[0] for x in limits) else None)
    return out
