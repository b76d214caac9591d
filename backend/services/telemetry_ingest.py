"""``ingest(batch)``: poller output -> PostgreSQL (COPY), Redis latest values, live events.

A batch is a list of ``(device_id, ts, {metric: value})``. Per value:
- unknown device or metric, or ``ts`` outside [now - retention, now + max future] is
  *rejected* (counted and logged once, not stored: there is no meaningful place); ``None``
  (the codec could not decode it: NaN, sentinel, unknown code) is counted as *missing*;
- everything else is stored with a quality bitmask (backend.models.telemetry): outside
  the metric's plausibility range, not a number / unknown state (stored as NaN or the
  raw code), or an energy counter lower than the last stored plausible value (reset or
  meter replacement). Aggregates use quality = 0 only.
Rows go straight into ``readings`` with COPY; a batch with a row already stored (a retry)
goes through a session-local staging table and ``INSERT ... ON CONFLICT DO NOTHING``
instead: a retried batch never doubles a reading. Then, in one Redis pipeline: the
latest-values documents (only moved forward in time) and one ``reading`` event per site.
"""
from __future__ import annotations

import io
import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import orjson
import psycopg2
from sqlalchemy import text

from backend.extensions import db, redis
from backend.models.telemetry import (
    METRICS,
    METRICS_BY_ID,
    Q_COUNTER_DECREASE,
    Q_INVALID,
    Q_OUT_OF_RANGE,
    MetricDef,
)
from backend.services import stream
from backend.services.telemetry_common import (
    api_value,
    iso,
    latest_key,
    setting,
    sites_of,
    to_utc,
    utcnow,
)
from backend.services.telemetry_partitions import (
    ensure_partitions,
    forget_known_partitions,
    month_of,
    retention_cutoff,
)

log = logging.getLogger(__name__)

_STAGE_DDL = ("CREATE TEMP TABLE IF NOT EXISTS readings_stage (ts timestamptz, "
              "value double precision, device_id integer, metric_id smallint, "
              "quality smallint) ON COMMIT DELETE ROWS")
_COPY = "COPY readings_stage (ts, value, device_id, metric_id, quality) FROM STDIN"
_COPY_DIRECT = "COPY readings (ts, value, device_id, metric_id, quality) FROM STDIN"
_MOVE = ("INSERT INTO readings (ts, value, device_id, metric_id, quality) "
         "SELECT ts, value, device_id, metric_id, quality FROM readings_stage "
         "ON CONFLICT DO NOTHING")
_NO_PARTITION = "23514"   # check_violation: "no partition of relation ... found for row"
_BAD_BASELINE = Q_OUT_OF_RANGE | Q_INVALID
_NUMERIC = frozenset(("analog", "counter"))   # stored and returned as the number itself
_COUNTERS = frozenset(name for name, m in METRICS.items() if m.kind == "counter")


_warned: set = set()


def _warn_once(key, msg, *args) -> None:
    """A misconfigured device repeats every poll: log each problem once per process."""
    if key not in _warned and len(_warned) < 10_000:
        _warned.add(key)
        log.warning(msg, *args)


@dataclass
class IngestResult:
    rows: int = 0            # rows offered to PostgreSQL (good and flagged)
    stored: int = 0          # rows actually inserted (rows - duplicates of earlier ingests)
    flagged: int = 0         # rows stored with a non-zero quality
    rejected: int = 0        # values not stored: unknown device or metric, time window
    missing: int = 0         # values given as None (the codec could not decode): not stored
    partitions_created: list[str] = field(default_factory=list)
    events: int = 0          # events published (one per site)


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


def normalize(metric: MetricDef, raw) -> tuple[float, int]:
    """A decoded value -> (stored number, quality)."""
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
    if value < metric.lo or value > metric.hi:
        return value, Q_OUT_OF_RANGE
    return value, 0


def ingest(batch, *, now: datetime | None = None) -> IngestResult:
    """Store a poll batch (commits on its own connection), then update Redis."""
    result = IngestResult()
    now = now or utcnow()
    engine = db.engine
    with engine.connect() as conn:
        site_of = sites_of(conn, (item[0] for item in batch))
    oldest = retention_cutoff(now)
    newest = now + timedelta(seconds=setting("telemetry_max_future_seconds"))

    items = []
    for device_id, ts, values in batch:
        ts = to_utc(ts)
        if device_id not in site_of or not (oldest <= ts <= newest):
            result.rejected += len(values)
            why = "unknown device" if device_id not in site_of else "time outside the window"
            _warn_once((why, device_id), "ingest: rejected values of device %s at %s: %s",
                       device_id, ts, why)
            continue
        items.append((device_id, ts, values))
    items.sort(key=lambda it: (it[0], it[1]))

    docs, prev = _previous(items)                # prev: device -> metric -> (v, ts, q)
    _fill_counter_baselines(engine, items, prev)
    lines, months = [], set()
    updates: dict[int, dict[str, dict]] = defaultdict(dict)
    for device_id, ts, values in items:
        ts_iso, ts_sql, last = iso(ts), ts.isoformat(), prev[device_id]
        months.add(month_of(ts))
        for name, raw in values.items():
            metric = METRICS.get(name)
            if metric is None:
                result.rejected += 1
                _warn_once(("metric", name), "ingest: unknown metric %r (device %s)", name,
                           device_id)
                continue
            if raw is None:
                result.missing += 1
                continue
            if type(raw) is float and metric.kind in _NUMERIC and metric.lo <= raw <= metric.hi:
                value, q = raw, 0          # the common case, without a call (same result)
            else:
                value, q = normalize(metric, raw)
            before = last.get(name)
            if metric.kind == "counter" and not q and before is not None \
                    and not before[2] & _BAD_BASELINE and (
                        (ts_iso > before[1] and value < before[0])
                        or (ts_iso < before[1] and value > before[0])):
                q |= Q_COUNTER_DECREASE    # reset or replacement (or a late, higher one)
            lines.append(f"{ts_sql}\t{value!r}\t{device_id}\t{metric.id}\t{q}\n")
            result.flagged += bool(q)
            if before is None or ts_iso > before[1]:   # equal: first one wins, as in SQL
                last[name] = (value, ts_iso, q)
                updates[device_id][name] = {
                    "v": value if not q and metric.kind in _NUMERIC else api_value(metric, value),
                    "ts": ts_iso, "q": q}
    result.rows = len(lines)
    if lines:
        result.partitions_created = ensure_partitions(engine, months)
        result.stored = _copy(engine, lines, months)
    if updates:
        result.events = _publish(updates, docs, site_of)
    return result


def _previous(items) -> tuple[dict[int, dict], dict[int, dict[str, tuple]]]:
    """The devices' latest-values documents from Redis (one MGET) and, per device and
    metric, (number, ts, quality) of the newest value. Only counters need the number
    and quality (the decrease check); other metrics get (None, ts, 0): this runs for
    every value of a 2,000-device cycle."""
    ids = sorted({device_id for device_id, _ts, _v in items})
    docs: dict[int, dict] = {}
    prev: dict[int, dict[str, tuple]] = defaultdict(dict)
    if not ids:
        return docs, prev
    for device_id, raw in zip(ids, redis.current().mget([latest_key(d) for d in ids])):
        doc = docs[device_id] = orjson.loads(raw) if raw else {}
        last = prev[device_id]
        for name, cell in doc.items():
            if name in _COUNTERS:
                v = cell.get("v")
                num = float(v) if isinstance(v, (int, float)) else math.nan
                last[name] = (num, cell.get("ts", ""), int(cell.get("q", 0)))
            else:
                last[name] = (None, cell.get("ts", ""), 0)
    return docs, prev


def _fill_counter_baselines(engine, items, prev) -> None:
    """Counters with no plausible latest in Redis: last plausible stored value from SQL."""
    pairs = set()
    for device_id, _ts, values in items:
        for name in values:
            metric = METRICS.get(name)
            before = prev[device_id].get(name)
            if metric is not None and metric.kind == "counter" and (
                    before is None or before[2] & _BAD_BASELINE):
                pairs.add((device_id, metric.id))
    if not pairs:
        return
    ds, ms = zip(*sorted(pairs))
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT p.d, p.m, r.value, r.ts, r.quality FROM unnest(CAST(:ds AS int[]), "
            "CAST(:ms AS int[])) AS p(d, m) CROSS JOIN LATERAL (SELECT value, ts, quality "
            "FROM readings WHERE device_id = p.d AND metric_id = p.m AND quality & :bad = 0 "
            "ORDER BY ts DESC LIMIT 1) r"), {"ds": list(ds), "ms": list(ms),
                                             "bad": _BAD_BASELINE}).all()
    for d, m, value, ts, q in rows:
        prev[d][METRICS_BY_ID[m].name] = (value, iso(ts), q)


def _copy(engine, lines: list[str], months) -> int:
    """COPY the rows into ``readings``; returns rows inserted.

    Fast path: COPY straight into ``readings``. COPY is atomic, so if any row is already
    stored (a retried batch) nothing is written and the unique violation sends the batch
    through the staging table and ``INSERT ... ON CONFLICT DO NOTHING`` instead: a retry
    never doubles a reading, and a fresh batch does not pay for the conflict check
    (about 0.2 s of a 0.6 s ingest of 56,000 values, see docs/benchmarks.md).
    """
    data = "".join(lines)
    for attempt in (1, 2):
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            try:
                cur.copy_expert(_COPY_DIRECT, io.StringIO(data))
                inserted = len(lines)
            except psycopg2.errors.UniqueViolation:
                raw.rollback()
                cur = raw.cursor()
                if not raw.info.get("gw_readings_stage"):   # once per pooled connection
                    cur.execute(_STAGE_DDL)
                cur.copy_expert(_COPY, io.StringIO(data))
                cur.execute(_MOVE)
                inserted = cur.rowcount
                raw.info["gw_readings_stage"] = True
            raw.commit()
            return inserted
        except psycopg2.Error as exc:
            raw.rollback()
            raw.info.pop("gw_readings_stage", None)   # the DDL may have been rolled back
            if attempt == 1 and exc.pgcode == _NO_PARTITION:
                # Someone dropped a partition this process believed in: recreate and retry.
                forget_known_partitions()
                ensure_partitions(engine, months)
                continue
            raise
        finally:
            raw.close()
    raise AssertionError("unreachable")


def _publish(updates: dict[int, dict[str, dict]], docs: dict[int, dict],
             site_of: dict[int, int]) -> int:
    """Latest-values documents (one MSET) and one ``reading`` event per site, pipelined.

    Read-merge-write is safe because one poller owns a gateway (and so a device) at a time.
    """
    pipe = redis.current().pipeline(transaction=False)
    merged = {}
    by_site: dict[int, list] = defaultdict(list)
    for device_id, cells in updates.items():
        doc = docs.get(device_id) or {}
        doc.update(cells)
        # orjson: ~10x faster than json on 2,000 documents a cycle; compact output, and
        # NaN/inf become null (valid JSON) instead of json's bare NaN.
        merged[latest_key(device_id)] = orjson.dumps(doc)
        by_site[site_of[device_id]].append({"device_id": device_id, "values": cells})
    pipe.mset(merged)
    for site_id, devices in by_site.items():
        stream.publish(site_id, "reading", {"devices": devices}, pipe=pipe)
    pipe.execute()
    return len(by_site)
