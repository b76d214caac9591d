"""The one time helper: aware UTC datetimes and their fixed-width ISO text."""
from __future__ import annotations

from datetime import datetime, timezone


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
