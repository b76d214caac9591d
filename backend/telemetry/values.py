"""Telemetry values: a decoded value to the stored number and quality, and back to what
the API returns; metric names from a query string."""
from __future__ import annotations

import math

from backend.errors import invalid_field
from backend.models.telemetry import METRICS, Q_INVALID, Q_OUT_OF_RANGE, MetricDef
from backend.vocabulary import BOOLEAN_METRICS


def api_value(metric: MetricDef, value: float | None):
    """Stored number -> what the API returns: state names, booleans, flag lists, None
    for NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if metric.kind == "flags":
        mask = int(value)
        names = [n for n, bit in sorted(metric.states.items(), key=lambda kv: kv[1])
                 if mask >> bit & 1]
        known = sum(1 << bit for bit in metric.states.values())
        return names + [f"bit{n}" for n in range(mask.bit_length()) if (mask & ~known) >> n & 1]
    if metric.kind == "state":
        code = int(value)
        if metric.name in BOOLEAN_METRICS:
            return {0: False, 1: True}.get(code, code)
        return metric.names_by_code.get(code, code)
    return value


def _flags(metric: MetricDef, raw) -> tuple[float, int]:
    """A list of flag names (the codec's "bitN" for bits the profile does not name)."""
    if isinstance(raw, (list, tuple, set, frozenset)):
        mask = 0
        for name in raw:
            bit = metric.states.get(name)
            if bit is None and isinstance(name, str) and name[3:].isdigit() \
                    and name.startswith("bit"):
                bit = int(name[3:])
            if bit is None or bit > 52:
                return math.nan, Q_INVALID
            mask |= 1 << bit
        return float(mask), 0
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < 2 ** 53:
        return float(raw), 0
    return math.nan, Q_INVALID


def normalize(metric: MetricDef, raw, lo: float | None = None,
              hi: float | None = None) -> tuple[float, int]:
    """A decoded value -> (stored number, quality); ``lo``/``hi``: this device's
    plausibility range where it differs from the metric's (a 10 kV meter's volts)."""
    if metric.kind == "flags":
        return _flags(metric, raw)
    if metric.kind == "state":
        if isinstance(raw, bool):
            code = int(raw)
        elif isinstance(raw, str):
            code = metric.states.get(raw.strip().lower())
        elif isinstance(raw, (int, float)) and math.isfinite(raw) and float(raw).is_integer():
            code = int(raw)
        else:
            code = None
        if code is None:
            return math.nan, Q_INVALID
        return float(code), (0 if code in metric.states.values() else Q_INVALID)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return math.nan, Q_INVALID
    if not math.isfinite(value):
        return math.nan, Q_INVALID
    if value < (metric.lo if lo is None else lo) or value > (metric.hi if hi is None else hi):
        return value, Q_OUT_OF_RANGE
    return value, 0


def parse_metric_names(raw: str | list[str] | None, field: str = "metrics") -> list[MetricDef]:
    if raw is None:
        return []
    names = raw.split(",") if isinstance(raw, str) else list(raw)
    names = [n.strip() for n in names if n.strip()]
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        invalid_field(field, f"unknown metric(s): {', '.join(unknown)}")
    return [METRICS[n] for n in dict.fromkeys(names)]
