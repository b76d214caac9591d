"""Monthly partitions of ``readings``: create ahead / on demand, drop past retention.

Partitions are named ``readings_pYYYYMM`` and cover [first of month, first of next month)
in UTC. Creation is serialized by an advisory lock, so concurrent ingests and the job
never race, and attaches the new table (no lock that blocks ingest or queries). A drop
needs a brief exclusive lock on ``readings``: it runs with a lock timeout, so it fails
(and the daily job retries) rather than stall ingest behind a long query.
"""
from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import text

from backend.clock import utcnow
from backend.settings import setting

log = logging.getLogger(__name__)

PARTITION_RE = re.compile(r"^readings_p(\d{4})(\d{2})$")
_LOCK_KEY = 0x67775F7061727473   # "gw_parts": serializes partition DDL
# Partitions known to exist, per database URL (a process may talk to several in tests).
_known: dict[str, set[str]] = {}


def month_of(ts: datetime | date) -> date:
    return date(ts.year, ts.month, 1)


def add_months(month: date, n: int) -> date:
    y, m = divmod(month.year * 12 + month.month - 1 + n, 12)
    return date(y, m + 1, 1)


def partition_name(month: date) -> str:
    return f"readings_p{month.year:04d}{month.month:02d}"


def _bound(month: date) -> str:
    return f"{month.isoformat()} 00:00:00+00"


def existing_partitions(conn) -> dict[str, date]:
    rows = conn.execute(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'readings'::regclass")).scalars()
    out = {}
    for name in rows:
        m = PARTITION_RE.match(name)
        if m:
            out[name] = date(int(m.group(1)), int(m.group(2)), 1)
    return out


def _cache(engine) -> set[str]:
    return _known.setdefault(engine.url.render_as_string(hide_password=True), set())


def forget_known_partitions() -> None:
    _known.clear()


def ensure_partitions(engine, months) -> list[str]:
    """Create the partitions of ``months`` that do not exist yet; return created names.

    Runs in its own short transaction (DDL never sits inside an ingest transaction).
    """
    months = {month_of(m) for m in months}
    known = _cache(engine)
    wanted = {partition_name(m): m for m in months if partition_name(m) not in known}
    if not wanted:
        return []
    created = []
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        exists = existing_partitions(conn)
        for name, month in sorted(wanted.items()):
            if name not in exists:
                # CREATE + ATTACH rather than CREATE ... PARTITION OF: ATTACH takes only a
                # SHARE UPDATE EXCLUSIVE lock on readings, so ingest and queries go on.
                conn.execute(text(f"CREATE TABLE {name} (LIKE readings INCLUDING DEFAULTS)"))
                conn.execute(text(
                    f"ALTER TABLE readings ATTACH PARTITION {name} FOR VALUES FROM "
                    f"('{_bound(month)}') TO ('{_bound(add_months(month, 1))}')"))
                created.append(name)
        known.update(set(exists) | set(wanted))
    if created:
        log.info("created readings partitions %s", ", ".join(created))
    return created


def create_ahead(engine, *, now: datetime | None = None, ahead: int | None = None) -> list[str]:
    """The current month's partition and ``ahead`` more (setting telemetry_partitions_ahead)."""
    ahead = setting("telemetry_partitions_ahead") if ahead is None else ahead
    first = month_of(now or utcnow())
    return ensure_partitions(engine, [add_months(first, i) for i in range(ahead + 1)])


def retention_cutoff(now: datetime | None = None, days: int | None = None) -> datetime:
    days = setting("telemetry_retention_days") if days is None else days
    return (now or utcnow()) - timedelta(days=days)


def drop_expired(engine, *, now: datetime | None = None, retention_days: int | None = None,
                 lock_timeout_ms: int = 5000) -> list[str]:
    """Drop every partition whose whole month ends at or before the retention cutoff."""
    cutoff = retention_cutoff(now, retention_days)
    dropped = []
    with engine.begin() as conn:
        conn.execute(text(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}"))
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        for name, month in sorted(existing_partitions(conn).items(), key=lambda kv: kv[1]):
            end = datetime.combine(add_months(month, 1), datetime.min.time(), timezone.utc)
            if end <= cutoff:
                conn.execute(text(f"DROP TABLE {name}"))
                dropped.append(name)
        _cache(engine).difference_update(dropped)
    if dropped:
        log.info("dropped readings partitions past retention: %s", ", ".join(dropped))
    return dropped
