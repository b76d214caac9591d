"""Telemetry maintenance jobs: monthly partitions of ``readings``.

Both are idempotent (run them as often as you like) and take only plain values.
"""
from __future__ import annotations

import logging

from rq import get_current_job

from backend.extensions import db
from backend.runtime.context import app_context
from backend.telemetry.partitions import create_ahead, drop_expired

log = logging.getLogger(__name__)


def _job_id() -> str | None:
    job = get_current_job()
    return job.id if job else None


def create_partitions(months_ahead: int | None = None) -> list[str]:
    """Create this month's partition and the next ``months_ahead`` (default: setting
    ``telemetry_partitions_ahead``, 2); returns the names created."""
    with app_context():
        created = create_ahead(db.engine, ahead=months_ahead)
    log.info("job %s: readings partitions created: %s", _job_id(), created or "none needed")
    return created


def drop_expired_partitions(retention_days: int | None = None) -> list[str]:
    """Drop the months of raw readings older than the retention (default: setting
    ``telemetry_retention_days``, 400 days); returns the names dropped."""
    with app_context():
        dropped = drop_expired(db.engine, retention_days=retention_days)
    log.info("job %s: readings partitions dropped: %s", _job_id(), dropped or "none expired")
    return dropped
