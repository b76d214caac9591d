"""Shared pieces of the telemetry services: settings, Redis keys, time and value helpers."""
from __future__ import annotations

import contextlib
import gc
import math
from datetime import datetime, timezone
from operator import itemgetter

import orjson

from sqlalchemy import select

from backend.models import Device
from backend.models.telemetry import METRICS, Q_INVALID, Q_OUT_OF_RANGE, MetricDef
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


class LatestDocs:
    """Parsed latest-values documents, remembered with the exact text they were read or
    written as.

    A poll worker reads back, every cycle, the documents it wrote itself the cycle before;
    parsing 2,000 of them is ~55 ms of every ingest. Parsing is a pure function of the
    text, so a document whose text in Redis equals the remembered one *is* the
    remembered dict: a document changed or deleted by anyone else is simply parsed again,
    never served stale. Remembered dicts must not be mutated (ingest merges into a copy).
    Bounded (about 10 KB per device): forgets everything when full.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._docs: dict[int, tuple[str, dict, str | None]] = {}

    def load(self, client, device_ids: list[int]) -> dict[int, tuple[dict, str | None]]:
        """device id -> (document, its newest ts or None), with one MGET."""
        out = {}
        for device_id, raw in zip(device_ids, client.mget([latest_key(d) for d in device_ids])):
            if not raw:
                out[device_id] = ({}, None)
                continue
            hit = self._docs.get(device_id)
            if hit is None or hit[0] != raw:
                doc = orjson.loads(raw)
                hit = self._remember(device_id, raw, doc)
            out[device_id] = hit[1], hit[2]
        return out

    def remember(self, device_id: int, raw: str, doc: dict) -> None:
        """``doc`` was just stored as ``raw`` (the caller gives up mutating it)."""
        self._remember(device_id, raw, doc)

    def _remember(self, device_id: int, raw: str, doc: dict) -> tuple:
        if len(self._docs) >= self.limit and device_id not in self._docs:
            self._docs.clear()
        entry = self._docs[device_id] = (raw, doc, newest_ts(doc))
        return entry

    def clear(self) -> None:
        self._docs.clear()


_TS = itemgetter("ts")


def newest_ts(doc: dict) -> str | None:
    """The newest ts of a latest-values document (None when empty). Fixed-width ISO
    strings compare like times."""
    try:
        return max(map(_TS, doc.values()), default=None)
    except KeyError:                       # a cell without ts: counts as the oldest
        return max((cell.get("ts", "") for cell in doc.values()), default=None)


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


# --- memory --------------------------------------------------------------------------
@contextlib.contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector for one ingest (``ingest()``).

    An ingest allocates about one object per value (50,000 per cycle of 2,000 breakers),
    which sets off ~100 young-generation collections and, with a poll worker's heap, a
    full collection of 100-250 ms per poll cycle (measured with ``gc.callbacks``, see
    docs/benchmarks.md), and they find nothing: ingest builds no reference cycles, and
    reference counting still frees everything as usual. Paused, the collector runs once
    after. Only re-enabled if it was enabled (another thread may have paused it too).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- device -> site ------------------------------------------------------------------
def sites_of(conn, device_ids) -> dict[int, int]:
    """device id -> site id for the ids that exist: one query per batch (ids are not
    cached across batches: a cache would go stale when a device is deleted)."""
    ids = list(set(device_ids))
    if not ids:
        return {}
    rows = conn.execute(select(Device.id, Device.site_id).where(Device.id.in_(ids))).all()
    return {d: s for d, s in rows}
