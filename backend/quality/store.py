"""Reads from ``readings`` for power quality, and the daily results' writes.

The aggregation is telemetry's (backend/telemetry/query.py history): ``date_bin`` on the
site's origin, good readings only (quality = 0), one query for many devices; voltages and
currents are aggregated as the RMS of their RMS samples (sqrt(avg(v²)), IEC 61000-4-30
4.5), other analog metrics as their mean.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import delete, text

from backend.extensions import db
from backend.models import QualityDaily
from backend.models.telemetry import METRICS, METRICS_BY_ID
from backend.quality.standards import INTERVAL_S

# phase angles are averaged, not RMS'd (the RMS of -120° would be +120°)
_RMS = [m.id for m in METRICS.values() if m.name.startswith(("voltage_", "current_"))
        and m.kind == "analog" and "angle" not in m.name]
_ANALOG = ("voltage_a", "voltage_b", "voltage_c", "current_a", "current_b", "current_c",
           "frequency", "active_power", "reactive_power", "power_factor")
# what richer devices add: line-to-line voltages and THD (the SDM630 profile), phase
# angles (used when the registry has them; no profile reports angles: docs/quality.md)
_OPTIONAL = ("voltage_ab", "voltage_bc", "voltage_ca", "voltage_angle_b", "voltage_angle_c",
             "thd_voltage_a", "thd_voltage_b", "thd_voltage_c")
AGG_IDS = [METRICS[n].id for n in (*_ANALOG, *_OPTIONAL) if n in METRICS]
VOLTAGE_IDS = [METRICS[n].id for n in ("voltage_a", "voltage_b", "voltage_c")]
STATE_IDS = [METRICS[n].id for n in ("switch_state", "trip_cause", "mode")]
ORIGIN = datetime.fromisoformat("2000-01-01T00:00:00+00:00")


def aggregates(device_ids: list[int], start: datetime, end: datetime) -> dict[int, list[dict]]:
    """device id -> its 10-minute intervals, in time order: {"ts", "n", metric: value}."""
    if not device_ids:
        return {}
    rows = db.session.execute(text(
        "SELECT device_id, date_bin(:step, ts, :origin) AS b, metric_id, "
        "CASE WHEN metric_id = ANY(:rms) THEN sqrt(avg(value * value)) ELSE avg(value) END, "
        "count(*) FROM readings WHERE device_id = ANY(:ids) AND metric_id = ANY(:mids) "
        "AND ts >= :start AND ts < :end AND quality = 0 GROUP BY 1, 2, 3 ORDER BY 1, 2"),
        {"step": timedelta(seconds=INTERVAL_S), "origin": ORIGIN, "rms": _RMS,
         "ids": device_ids, "mids": AGG_IDS, "start": start, "end": end}).all()
    out: dict[int, list[dict]] = defaultdict(list)
    for device_id, b, mid, v, n in rows:
        series = out[device_id]
        if not series or series[-1]["ts"] != b:
            series.append({"ts": b, "n": 0})
        series[-1][METRICS_BY_ID[mid].name] = v
        series[-1]["n"] = max(series[-1]["n"], n)
    return dict(out)


def voltage_samples(device_ids: list[int], start: datetime, end: datetime
                    ) -> dict[int, list[tuple[datetime, float, float]]]:
    """device id -> (ts, lowest phase, highest phase) of each good voltage sample."""
    if not device_ids:
        return {}
    rows = db.session.execute(text(
        "SELECT device_id, ts, min(value), max(value) FROM readings "
        "WHERE device_id = ANY(:ids) AND metric_id = ANY(:vids) AND ts >= :start "
        "AND ts < :end AND quality = 0 GROUP BY 1, 2 ORDER BY 1, 2"),
        {"ids": device_ids, "vids": VOLTAGE_IDS, "start": start, "end": end}).all()
    out: dict[int, list] = defaultdict(list)
    for device_id, ts, lo, hi in rows:
        out[device_id].append((ts, lo, hi))
    return dict(out)


def state_changes(device_ids: list[int], start: datetime, end: datetime
                  ) -> dict[int, list[tuple[datetime, str, str]]]:
    """device id -> (ts, metric, state name) whenever switch state, trip cause or mode
    differs from the sample before (the first sample of the period counts as a change)."""
    if not device_ids:
        return {}
    rows = db.session.execute(text(
        "SELECT device_id, ts, metric_id, value FROM ("
        " SELECT device_id, ts, metric_id, value, lag(value) OVER ("
        "  PARTITION BY device_id, metric_id ORDER BY ts) AS prev FROM readings"
        " WHERE device_id = ANY(:ids) AND metric_id = ANY(:sids) AND ts >= :start"
        " AND ts < :end AND quality = 0) s "
        "WHERE prev IS DISTINCT FROM value ORDER BY device_id, ts, metric_id"),
        {"ids": device_ids, "sids": STATE_IDS, "start": start, "end": end}).all()
    out: dict[int, list] = defaultdict(list)
    for device_id, ts, mid, value in rows:
        m = METRICS_BY_ID[mid]
        out[device_id].append((ts, m.name, m.names_by_code.get(int(value), "unknown")))
    return dict(out)


def replace_day(site_id: int, day: date, rows: list[dict]) -> int:
    """Replace the site's results of ``day`` with ``rows`` (the caller commits)."""
    db.session.execute(delete(QualityDaily).where(QualityDaily.site_id == site_id,
                                                  QualityDaily.day == day))
    for r in rows:
        db.session.add(QualityDaily(site_id=site_id, day=day, **r))
    db.session.flush()
    return len(rows)
