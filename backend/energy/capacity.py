"""Capacity check (确保线路负载不能超过开关的最大负载): per breaker with a rated current
In, its load current over a period from the telemetry readings, in two SQL queries
whatever the number of breakers: the load at each reading time is the highest phase
current (A, B, C), then per breaker its peak, p95 (``percentile_cont``) and sample
count, and where the peak was (when, which phase).

- ``over_threshold``: peak > ``threshold_pct`` (default ``energy_capacity_pct``, 80 %) of In;
- ``rating``: ``too_small`` when even the p95 load exceeds that share (the load, not a
  spike, is too big for the breaker), ``too_large`` when the peak stays below
  ``energy_oversized_pct`` (25 %) of In (far too large to protect its cable), ``ok``,
  or ``no_data`` (fewer than ``MIN_SAMPLES`` readings).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from backend.accounts.security import Actor
from backend.clock import utcnow
from backend.errors import invalid_field
from backend.extensions import db
from backend.facility.sites import get_site
from backend.models import Circuit, Device
from backend.models.telemetry import METRICS
from backend.settings import setting

PHASES = {METRICS[f"current_{p}"].id: p.upper() for p in "abc"}
MAX_RANGE = timedelta(days=93)
MIN_SAMPLES = 10


def _loads(ids: list[int], start, end) -> dict[int, tuple]:
    p = {"ids": ids, "m": list(PHASES), "s": start, "e": end}
    where = ("device_id = ANY(:ids) AND metric_id = ANY(:m) AND ts >= :s AND ts < :e "
             "AND quality = 0")
    stats = {r[0]: r[1:] for r in db.session.execute(text(
        f"WITH t AS (SELECT device_id, ts, max(value) v FROM readings WHERE {where} "
        "GROUP BY device_id, ts) SELECT device_id, max(v), "
        "percentile_cont(0.95) WITHIN GROUP (ORDER BY v), count(*) FROM t GROUP BY 1"),
        p).all()}
    peaks = {r[0]: r[1:] for r in db.session.execute(text(
        f"SELECT DISTINCT ON (device_id) device_id, ts, metric_id FROM readings "
        f"WHERE {where} ORDER BY device_id, value DESC, ts"), p).all()}
    return {d: (*stats[d], *peaks[d]) for d in stats}


def check(actor: Actor, args: dict) -> dict:
    site = get_site(actor, args["site_id"])
    end = args.get("end") or utcnow()
    start = args.get("start") or end - timedelta(days=7)
    if end <= start:
        invalid_field("end", "must be after start")
    if end - start > MAX_RANGE:
        invalid_field("end", f"at most {MAX_RANGE.days} days", error="range_too_long")
    pct = args.get("threshold_pct") or float(setting("energy_capacity_pct"))
    small = float(setting("energy_oversized_pct"))
    rows = db.session.execute(
        select(Device.id, Device.code, Device.name, Device.rated_current, Device.circuit_id,
               Circuit.code, Circuit.name)
        .outerjoin(Circuit, Circuit.id == Device.circuit_id)
        .where(Device.site_id == site.id, Device.rated_current > 0)
        .order_by(Device.id)).all()
    loads = _loads([r[0] for r in rows], start, end) if rows else {}
    items = []
    for d_id, code, name, rated, c_id, c_code, c_name in rows:
        peak, p95, n, at, metric = loads.get(d_id, (None, None, 0, None, None))
        item = {"device_id": d_id, "code": code, "name": name, "circuit_id": c_id,
                "circuit_code": c_code, "circuit_name": c_name, "rated_current_a": rated,
                "samples": n, "peak_a": peak, "peak_at": at,
                "peak_phase": PHASES.get(metric), "p95_a": p95,
                "peak_pct": peak / rated * 100 if peak is not None else None,
                "p95_pct": p95 / rated * 100 if p95 is not None else None}
        item["over_threshold"] = peak is not None and item["peak_pct"] > pct
        if n < MIN_SAMPLES:
            item["rating"] = "no_data"
        elif item["p95_pct"] > pct:
            item["rating"] = "too_small"
        elif item["peak_pct"] < small:
            item["rating"] = "too_large"
        else:
            item["rating"] = "ok"
        items.append(item)
    if args.get("flagged"):
        items = [i for i in items if i["over_threshold"] or i["rating"] in ("too_small",
                                                                            "too_large")]
    items.sort(key=lambda i: (-(i["peak_pct"] or -1), i["device_id"]))
    summary = {"breakers": len(rows), "over_threshold": sum(i["over_threshold"] for i in items)}
    for rating in ("too_small", "too_large", "no_data"):
        summary[rating] = sum(i["rating"] == rating for i in items)
    return {"site_id": site.id, "start": start, "end": end, "threshold_pct": pct,
            "oversized_pct": small, "summary": summary, "items": items}
