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

import functools
import io
import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import orjson
import psycopg2
from sqlalchemy import text

from backend import uplink
from backend.clock import iso, to_utc, utcnow
from backend.extensions import db, redis
from backend.facility.sites import sites_and_nominals
from backend.live import stream
from backend.models.telemetry import (
    METRICS,
    METRICS_BY_ID,
    Q_COUNTER_DECREASE,
    Q_INVALID,
    Q_OUT_OF_RANGE,
)
from backend.settings import setting
from backend.telemetry.latest import LatestDocs, latest_key
from backend.telemetry.memory import collector_paused
from backend.telemetry.partitions import (
    ensure_partitions,
    forget_known_partitions,
    month_of,
    retention_cutoff,
)
from backend.telemetry.values import api_value, normalize

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
_COUNTERS = tuple(name for name, m in METRICS.items() if m.kind == "counter")


_warned: set = set()
STORED_KEY = "gw:stats:readings_stored"   # readings stored since the counter began
# Sorted set: device id -> the oldest counter reading (epoch s) stored since the energy
# rollup last took the set (backend/energy/rollup.py): late and re-sent readings included.
ENERGY_DIRTY_KEY = "gw:energy:dirty"
# The same for power quality's 10-minute rollup (backend/quality/rollup.py): device id ->
# the oldest reading of a quality metric stored since the rollup last took the set.
QUALITY_DIRTY_KEY = "gw:quality:dirty"
QUALITY_METRICS = ("voltage_a", "voltage_b", "voltage_c", "current_a", "current_b",
                   "current_c", "frequency", "active_power", "reactive_power", "power_factor",
                   "voltage_ab", "voltage_bc", "voltage_ca", "voltage_angle_b",
                   "voltage_angle_c", "thd_voltage_a", "thd_voltage_b", "thd_voltage_c")
_QUALITY = tuple(n for n in QUALITY_METRICS if n in METRICS)
_DOCS = LatestDocs()      # this process's latest-values documents, parsed (a memo)


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


def ingest(batch, *, now: datetime | None = None) -> IngestResult:
    """Store a poll batch (commits on its own connection), then update Redis."""
    with collector_paused():     # see there: ~0.1-0.25 s of collections per cycle
        return _ingest(batch, now)


def _ingest(batch, now: datetime | None) -> IngestResult:
    result = IngestResult()
    now = now or utcnow()
    engine = db.engine
    with engine.connect() as conn:
        site_of, nominal = sites_and_nominals(conn, (item[0] for item in batch))
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

    docs, prev = _previous(items)   # docs: device -> (document, its newest ts)
    _fill_counter_baselines(engine, items, prev)   # prev: device -> counter -> (v, ts, q)
    lines, months, updates = _rows(items, docs, prev, result, nominal)
    result.rows = len(lines)
    if lines:
        result.partitions_created = ensure_partitions(engine, months)
        outbox = _uplink_codes(engine, items) if uplink.active() else None
        result.stored = _copy(engine, lines, months, items, outbox)
    if updates or result.stored:
        marks = _energy_marks(items) if result.stored else {}
        qmarks = _energy_marks(items, _QUALITY) if result.stored else {}
        result.events = _publish(updates, docs, site_of, result.stored, marks, qmarks)
    return result


# Per metric name, what the per-value loop needs: (metric, "id\t" COPY fragment, numeric,
# counter, lo, hi). One dict lookup per value instead of several attribute reads.
_PLAN = {name: (m, f"{m.id}\t", m.kind in _NUMERIC, m.kind == "counter", m.lo, m.hi)
         for name, m in METRICS.items()}
# The metrics in volts: their plausibility range is stated for a 230 V system and scales
# with a device's declared nominal (a 10 kV meter's 5.8 kV phases are plausible there).
_VOLTS = tuple(name for name, m in METRICS.items() if m.unit == "V")
_LV_NOMINAL = 230.0


@functools.lru_cache(maxsize=64)
def _plan_for(nominal_v: float) -> dict:      # a few nominals a site: built once each
    k = nominal_v / _LV_NOMINAL
    return {**_PLAN, **{n: (*_PLAN[n][:4], _PLAN[n][4] * k, _PLAN[n][5] * k) for n in _VOLTS}}


def _rows(items, docs, prev, result: IngestResult, nominal: dict[int, float] | None = None):
    """The per-value loop: COPY lines, the months they fall in, and per device the cells
    {metric: {"v", "ts", "q"}} that move its latest-values document forward.

    It runs for every value of a cycle (50,000 for 2,000 breakers), so it avoids work per
    value where it can: a device's values share one ts, so whether they are newer than
    everything in its document is decided once per device (per value only when not);
    only counters, which need the previous number for the decrease check, keep
    per-value history in ``prev``.
    """
    lines, months, updates = [], set(), {}
    top: dict[int, str | None] = {}        # device -> newest ts in its doc and this batch
    plans = {d: _plan_for(v) for d, v in (nominal or {}).items()}
    for device_id, ts, values in items:
        dplan = plans.get(device_id, _PLAN)
        ts_iso, head = iso(ts), f"{ts.isoformat()}\t"
        months.add(month_of(ts))
        (doc, newest), last = docs[device_id], prev[device_id]
        cells = updates.setdefault(device_id, {})
        newest = top.get(device_id, newest)
        fresh = newest is None or ts_iso > newest   # newer than every value of the device
        top[device_id] = ts_iso if fresh else newest
        tail = f"\t{device_id}\t"
        for name, raw in values.items():
            plan = dplan.get(name)
            if plan is None:
                result.rejected += 1
                _warn_once(("metric", name), "ingest: unknown metric %r (device %s)", name,
                           device_id)
                continue
            if raw is None:
                result.missing += 1
                continue
            metric, mid, numeric, counter, lo, hi = plan
            if numeric and type(raw) is float and lo <= raw <= hi:
                value, q = raw, 0          # the common case, without a call (same result)
            else:
                value, q = normalize(metric, raw, lo, hi)
            if counter:
                before = last.get(name)
                if not q and before is not None and not before[2] & _BAD_BASELINE and (
                        (ts_iso > before[1] and value < before[0])
                        or (ts_iso < before[1] and value > before[0])):
                    q |= Q_COUNTER_DECREASE    # reset or replacement (or a late, higher one)
                newer = before is None or ts_iso > before[1]
                if newer:
                    last[name] = (value, ts_iso, q)
            else:
                newer = fresh or _newer(ts_iso, cells.get(name) or doc.get(name))
            lines.append(f"{head}{value!r}{tail}{mid}{q}\n")
            if q:
                result.flagged += 1
            if newer:                          # equal ts: the first one wins, as in SQL
                cells[name] = {"v": value if not q and numeric else api_value(metric, value),
                               "ts": ts_iso, "q": q}
    return lines, months, {d: c for d, c in updates.items() if c}


def _newer(ts_iso: str, cell: dict | None) -> bool:
    """Whether a value at ``ts_iso`` replaces ``cell`` (None: no value yet)."""
    return cell is None or ts_iso > cell.get("ts", "")


def _previous(items) -> tuple[dict[int, tuple], dict[int, dict[str, tuple]]]:
    """The devices' latest-values documents from Redis (one MGET; see ``LatestDocs``) with
    their newest ts, and per device its counters' (number, ts, quality) for the decrease
    check. Other metrics only need their ts, which ``_rows`` reads from the documents."""
    ids = sorted({device_id for device_id, _ts, _v in items})
    prev: dict[int, dict[str, tuple]] = defaultdict(dict)
    if not ids:
        return {}, prev
    docs = _DOCS.load(redis.current(), ids)
    for device_id, (doc, _newest) in docs.items():
        last = prev[device_id]
        for name in _COUNTERS:
            cell = doc.get(name)
            if cell is not None:
                v = cell.get("v")
                num = float(v) if isinstance(v, (int, float)) else math.nan
                last[name] = (num, cell.get("ts", ""), int(cell.get("q", 0)))
    return docs, prev


def _fill_counter_baselines(engine, items, prev) -> None:
    """Counters with no plausible latest in Redis: last plausible stored value from SQL."""
    pairs = set()
    for device_id, _ts, values in items:
        for name in _COUNTERS:
            if name in values:
                before = prev[device_id].get(name)
                if before is None or before[2] & _BAD_BASELINE:
                    pairs.add((device_id, METRICS[name].id))
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


def _uplink_codes(engine, items) -> dict[int, str]:
    """A site box: its devices' codes, the identity the centre knows them by."""
    ids = sorted({item[0] for item in items})
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, code FROM devices WHERE id = ANY(:ids)"),
                                 {"ids": ids}).all())


def _copy(engine, lines: list[str], months, items=(), outbox: dict | None = None) -> int:
    """COPY the rows into ``readings``; returns rows inserted.

    Fast path: COPY straight into ``readings``. COPY is atomic, so if any row is already
    stored (a retried batch) nothing is written and the unique violation sends the batch
    through the staging table and ``INSERT ... ON CONFLICT DO NOTHING`` instead: a retry
    never doubles a reading, and a fresh batch does not pay for the conflict check
    (about 0.2 s of a 0.6 s ingest of 56,000 values, see docs/benchmarks.md).
    A site box (``outbox``: device codes) writes the batch's outbox row in the same commit.
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
            if outbox is not None:
                uplink.readings_row(cur, outbox, items)
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


def _energy_marks(items, names=None) -> dict[str, float]:
    """Per device with counter values (or values of ``names``) in the batch, its oldest
    such ts (epoch s)."""
    names = _COUNTERS if names is None else names
    marks: dict[str, float] = {}
    for device_id, ts, values in items:
        if any(name in values for name in names):
            key, t = str(device_id), ts.timestamp()
            if t < marks.get(key, math.inf):
                marks[key] = t
    return marks


def _publish(updates: dict[int, dict[str, dict]], docs: dict[int, tuple],
             site_of: dict[int, int], stored: int, marks: dict[str, float],
             qmarks: dict[str, float] | None = None) -> int:
    """Latest-values documents (one MSET), one ``reading`` event per site and the count of
    stored rows (the status line's rate), in one pipeline.

    Read-merge-write is safe because one poller owns a gateway (and so a device) at a time.
    The merged documents are remembered (``LatestDocs``) once Redis has them.
    """
    pipe = redis.current().pipeline(transaction=False)
    merged, written = {}, []
    by_site: dict[int, list] = defaultdict(list)
    for device_id, cells in updates.items():
        doc = {**docs[device_id][0], **cells}     # a copy: remembered documents stay as read
        # orjson: ~10x faster than json on 2,000 documents a cycle; compact output, and
        # NaN/inf become null (valid JSON) instead of json's bare NaN.
        raw = merged[latest_key(device_id)] = orjson.dumps(doc)
        written.append((device_id, raw.decode(), doc))   # as MGET will return it
        by_site[site_of[device_id]].append({"device_id": device_id, "values": cells})
    if merged:
        pipe.mset(merged)
    if stored:
        pipe.incrby(STORED_KEY, stored)
    if marks:   # LT: an existing mark only moves back in time
        pipe.zadd(ENERGY_DIRTY_KEY, marks, lt=True)
    if qmarks:
        pipe.zadd(QUALITY_DIRTY_KEY, qmarks, lt=True)
    for site_id, devices in by_site.items():
        stream.publish(site_id, "reading", {"devices": devices}, pipe=pipe)
    pipe.execute()
    for device_id, raw, doc in written:
        _DOCS.remember(device_id, raw, doc)
    return len(by_site)
