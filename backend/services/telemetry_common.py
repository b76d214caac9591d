"""Shared pieces of the telemetry services: settings, Redis keys, time and value helpers."""
from __future__ import annotations

import math
from datetime import datetime, timezone

from sqlalchemy import select

from backend.models import Device
from backend.models.telemetry import METRICS, MetricDef
from backend.services.app_settings import setting  # noqa: F401  (re-exported)


# --- Redis keys ----------------------------------------------------------------------
def latest_key(device_id: int) -> str:
    """JSON document {metric: {"v", "ts", "q"}} of the device's newest values.

    One string per device rather than a hash: the site-wide latest API reads 2,000 of
    them with one MGET and splices them into the response without parsing (a pipeline of
    HGETALLs costs ~150 ms for 2,000 x 25 fields in redis-py; see bench/bench_ingest.py).
    """
    return f"gw:latest:{device_id}"


def site_channel(site_id: int) -> str:
    """Pub/sub channel of a site's events (readings, device status, alarms, ...)."""
    return f"gw:site:{site_id}:events"


def site_stream(site_id: int) -> str:
    """Capped Redis Stream of the same events; SSE replays from it (Last-Event-ID)."""
    return f"gw:site:{site_id}:stream"


EVENT_LAST_ID = "gw:events:last_id"


# --- time ----------------------------------------------------------------------------
def to_utc(ts) -> datetime:
    """datetime (naive = UTC) or epoch seconds -> aware UTC datetime."""
    if isinstance(ts, (int, float)):
        return datetime.fromtimestamp(ts, timezone.utc)
    if ts.tzinfo is None:
        return ts.replace(tzinfo=timezone.utc)
    return ts.astimezone(timezone.utc)


def iso(ts: datetime) -> str:
    """ISO 8601 in UTC with a Z, fixed width (so strings compare like times)."""
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# --- values --------------------------------------------------------------------------
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
        if metric.name == "water_leak":
            return {0: False, 1: True}.get(code, code)
        return metric.names_by_code.get(code, code)
    return value


def parse_metric_names(raw: str | list[str] | None, field: str = "metrics") -> list[MetricDef]:
    from backend.errors import ValidationFailed

    if raw is None:
        return []
    names = raw.split(",") if isinstance(raw, str) else list(raw)
    names = [n.strip() for n in names if n.strip()]
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        msg = f"unknown metric(s): {', '.join(unknown)}"
        raise ValidationFailed(f"{field}: {msg}", errors={field: [msg]})
    return [METRICS[n] for n in dict.fromkeys(names)]


# --- device -> site ------------------------------------------------------------------
def sites_of(conn, device_ids) -> dict[int, int]:
    """device id -> site id for the ids that exist: one query per batch (ids are not
    cached across batches: a cache would go stale when a device is deleted)."""
    ids = list(set(device_ids))
    if not ids:
        return {}
    rows = conn.execute(select(Device.id, Device.site_id).where(Device.id.in_(ids))).all()
    return {d: s for d, s in rows}
