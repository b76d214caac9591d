"""Reads: latest values (device, circuit subtree, site) and bucketed history."""
from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import func, select, text

from backend.accounts.security import Actor
from backend.clock import iso, to_utc, utcnow
from backend.errors import invalid_field
from backend.extensions import db, redis
from backend.facility.operations import circuits, devices
from backend.facility.profiles import accepted_actions
from backend.facility.sites import get_site
from backend.models import Device, DeviceStatus, Site
from backend.models.telemetry import METRICS, METRICS_BY_ID
from backend.settings import setting
from backend.telemetry.latest import commanded_key, latest_key
from backend.telemetry.values import api_value, parse_metric_names


# --- latest --------------------------------------------------------------------------
def good_latest_values(device_ids) -> dict[int, dict]:
    """Good (quality 0) latest values per device, as the API returns them: what the alarm
    rules and the linkage rules are evaluated on."""
    ids = sorted(device_ids)
    if not ids:
        return {}
    out = {}
    for device_id, raw in zip(ids, redis.current().mget([latest_key(d) for d in ids])):
        if raw:
            out[device_id] = {k: c.get("v") for k, c in orjson.loads(raw).items()
                              if not c.get("q")}
    return out


def _filter(doc: dict, names: list[str] | None) -> dict:
    return {k: v for k, v in doc.items() if k in names} if names else doc


def device_latest(actor: Actor, device_id: int, metrics: str | None = None) -> dict:
    device = devices.get(actor, device_id)
    status = db.session.get(DeviceStatus, device_id)
    raw, commanded = redis.mget(latest_key(device_id), commanded_key(device_id))
    names = [m.name for m in parse_metric_names(metrics)]
    return {"device_id": device.id, "site_id": device.site_id, "code": device.code,
            "name": device.name, "kind": device.kind, "circuit_id": device.circuit_id,
            "actions": accepted_actions(device),
            "online": status.online if status else None,
            "last_seen": status.last_seen if status else None,
            "values": _filter(json.loads(raw) if raw else {}, names),
            "commanded": json.loads(commanded) if commanded else None}


def downstream_circuit_ids(site_id: int, circuit_id: int) -> list[int]:
    """The circuit, its child circuits, the circuits of boards they feed, recursively."""
    return list(db.session.scalars(text("""
        WITH RECURSIVE sub(id) AS (
            SELECT CAST(:cid AS integer)
            UNION
            SELECT c.id FROM sub
            LEFT JOIN boards b ON b.feeder_circuit_id = sub.id AND b.site_id = :site
            JOIN circuits c ON c.site_id = :site AND (c.parent_id = sub.id
                               OR (c.parent_id IS NULL AND c.board_id = b.id))
        ) SELECT id FROM sub ORDER BY id"""), {"cid": circuit_id, "site": site_id}))


_MGET_CHUNK = 5000      # the API's largest page: one round trip for any page


def latest_docs(device_ids: list[int]) -> list[bytes]:
    """Raw JSON latest-values documents of the devices, in order (b'' when none).

    One MGET on the non-decoding client: hiredis hands back the documents as bytes, which
    are spliced into the answer unparsed. (A Lua script joining them into one string was
    ~10x slower than this once hiredis parsed the reply: docs/decisions.md 2026-12-03.)
    """
    if not device_ids:
        return []
    raw = redis.raw()
    out: list[bytes] = []
    for i in range(0, len(device_ids), _MGET_CHUNK):
        chunk = device_ids[i:i + _MGET_CHUNK]
        out.extend(doc or b"" for doc in raw.mget([latest_key(d) for d in chunk]))
    return out


def _latest_page(where, metrics: str | None, first: int, limit: int) -> tuple[int, bytes]:
    """One SQL query (the page of devices with the total) and one Redis call; each
    device's fields rendered by orjson and the latest-values documents spliced into the
    answer unparsed. Returns (total, JSON array as bytes)."""
    names = [m.name for m in parse_metric_names(metrics)]
    page = (select(Device.id, func.count().over().label("total")).where(where)
            .order_by(Device.id).offset(first).limit(limit).subquery())
    stmt = (select(Device.id, Device.site_id, Device.code, Device.name, Device.kind,
                   Device.circuit_id, DeviceStatus.online, DeviceStatus.last_seen,
                   page.c.total)
            .join(page, page.c.id == Device.id)
            .outerjoin(DeviceStatus, DeviceStatus.device_id == Device.id)
            .order_by(Device.id))
    rows = db.session.connection().execute(stmt).all()   # Core rows: no ORM loading
    if rows:
        total = rows[-1][-1]
    else:
        total = db.session.scalar(select(func.count()).select_from(Device).where(where))
    docs = latest_docs([r[0] for r in rows])
    parts = []
    for (did, site_id, code, name, kind, circuit_id, online, last_seen, _n), doc in zip(
            rows, docs):
        # The device's fields as the start of a JSON object (orjson: a third of the
        # time PostgreSQL's string concatenation took, docs/decisions.md 2026-12-03).
        head = orjson.dumps({"device_id": did, "site_id": site_id, "code": code,
                             "name": name, "kind": kind, "circuit_id": circuit_id,
                             "online": online,
                             "last_seen": iso(last_seen) if last_seen else None})
        if names and doc:
            doc = json.dumps(_filter(json.loads(doc), names), separators=(",", ":")).encode()
        parts.append(b'%s,"values":%s}' % (head[:-1], doc or b"{}"))
    return total, b"[" + b",".join(parts) + b"]"


def site_latest(actor: Actor, site_id: int, metrics, first: int, limit: int):
    get_site(actor, site_id)
    return _latest_page(Device.site_id == site_id, metrics, first, limit)


def circuit_latest(actor: Actor, circuit_id: int, metrics, first: int, limit: int):
    circuit = circuits.get(actor, circuit_id)
    ids = downstream_circuit_ids(circuit.site_id, circuit.id)
    where = (Device.site_id == circuit.site_id) & Device.circuit_id.in_(ids)
    return _latest_page(where, metrics, first, limit)


# --- history -------------------------------------------------------------------------
BUCKETS = {"1m": timedelta(minutes=1), "15m": timedelta(minutes=15),
           "1h": timedelta(hours=1), "1d": timedelta(days=1)}
AUTO_RAW_MAX = timedelta(minutes=15)   # about 450 points at the 2 s fast-poll rate
RAW_MAX = timedelta(days=1)
TARGET_POINTS = 500                    # the auto bucket aims at no more points than this
MAX_BUCKETS = 5000                     # an explicit bucket may give at most this many
RAW_ROW_CAP = 100_000             # raw rows per answer ("truncated" says when hit)
AGGS = {"avg": "avg", "min": "min", "max": "max"}


def choose_bucket(span: timedelta) -> str:
    if span <= AUTO_RAW_MAX:
        return "raw"
    for name, step in BUCKETS.items():
        if span / step <= TARGET_POINTS:
            return name
    return "1d"


def _range(args: dict) -> tuple[datetime, datetime]:
    end = to_utc(args["end"]) if args.get("end") else utcnow()
    start = to_utc(args["start"]) if args.get("start") else end - timedelta(days=1)
    if start >= end:
        invalid_field("end", "must be after start")
    max_days = max(400, setting("telemetry_retention_days"))
    if end - start > timedelta(days=max_days):
        invalid_field("start", f"the range may span at most {max_days} days")
    return start, end


def _origin(site: Site | None) -> tuple[str, datetime]:
    try:
        tz = ZoneInfo(site.timezone) if site and site.timezone else ZoneInfo("UTC")
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    return tz.key, datetime(2000, 1, 1, tzinfo=tz)


def history(actor: Actor, device_id: int, args: dict) -> dict:
    device = devices.get(actor, device_id)
    start, end = _range(args)
    metrics = parse_metric_names(args.get("metrics"))
    if not metrics:   # every metric the device currently reports
        raw = redis.get(latest_key(device_id))
        metrics = [METRICS[n] for n in (json.loads(raw) if raw else {}) if n in METRICS]
    bucket, auto = args.get("bucket"), not args.get("bucket")
    bucket = bucket or choose_bucket(end - start)
    if bucket == "raw" and end - start > RAW_MAX:
        invalid_field("bucket", "raw readings are served for at most 1 day; use 1m or coarser")
    if bucket != "raw" and (end - start) / BUCKETS[bucket] > MAX_BUCKETS:
        invalid_field("bucket", f"too fine for this range (more than {MAX_BUCKETS} points)")
    agg = args.get("agg") or "avg"
    series = {m.name: {"unit": m.unit, "points": []} for m in metrics}
    params, truncated = {"d": device_id, "start": start, "end": end}, False
    if metrics and bucket == "raw":
        params["mids"] = [m.id for m in metrics]
        rows = db.session.execute(text(
            "SELECT metric_id, ts, value, quality FROM readings WHERE device_id = :d "
            "AND metric_id = ANY(:mids) AND ts >= :start AND ts < :end "
            "ORDER BY metric_id, ts LIMIT :cap"), {**params, "cap": RAW_ROW_CAP}).all()
        truncated = len(rows) >= RAW_ROW_CAP
        for mid, ts, value, q in rows:
            m = METRICS_BY_ID[mid]
            series[m.name]["points"].append({"ts": iso(ts), "v": api_value(m, value), "q": q})
    elif metrics:
        tz, origin = _origin(db.session.get(Site, device.site_id))
        bin_sql = ("date_trunc('day', ts, :tz)" if bucket == "1d"
                   else "date_bin(:step, ts, :origin)")
        params.update(tz=tz, origin=origin, step=BUCKETS[bucket])
        discrete = ("state", "flags")
        _bucketed(series, params, bin_sql, [m for m in metrics if m.kind not in discrete],
                  f"{AGGS[agg]}(value)")
        # States and flags are not averaged: each bucket gives its last good value.
        _bucketed(series, params, bin_sql, [m for m in metrics if m.kind in discrete],
                  "(array_agg(value ORDER BY ts DESC))[1]")
    return {"device_id": device.id, "site_id": device.site_id, "start": start, "end": end,
            "bucket": bucket, "auto_bucket": auto, "agg": None if bucket == "raw" else agg,
            "truncated": truncated, "series": series}


def _bucketed(series: dict, params: dict, bin_sql: str, metrics, agg_sql: str) -> None:
    if not metrics:
        return
    rows = db.session.execute(text(
        f"SELECT metric_id, {bin_sql} AS bucket, {agg_sql} AS v, count(*) AS n "
        "FROM readings WHERE device_id = :d AND metric_id = ANY(:mids) "
        "AND ts >= :start AND ts < :end AND quality = 0 "
        "GROUP BY 1, 2 ORDER BY 1, 2"), {**params, "mids": [m.id for m in metrics]}).all()
    for mid, bucket, value, n in rows:
        m = METRICS_BY_ID[mid]
        v = api_value(m, value)
        if isinstance(v, float) and math.isfinite(v):
            v = round(v, 6)
        series[m.name]["points"].append({"ts": iso(bucket), "v": v, "n": n})
