"""Telemetry maintenance jobs: monthly partitions of ``readings``.

Both are idempotent (run them as often as you like) and take only plain values.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager

from flask import current_app, has_app_context
from rq import get_current_job

log = logging.getLogger(__name__)
_app = None


@contextmanager
def app_context():
    """The current Flask app, or one built once per worker process from the environment
    (``gridwarden up`` hands DATABASE_URL / REDIS_URL to the workers)."""
    global _app
    if has_app_context():
        yield current_app
        return
    if _app is None:
        from backend import create_app

        _app = create_app()
    with _app.app_context():
        yield _app


def preload_app() -> None:
    """Build the worker's app now (a forking worker does it before its first fork)."""
    global _app
    if _app is None:
        from backend import create_app

        _app = create_app()


def _job_id() -> str | None:
    job = get_current_job()
    return job.id if job else None


def create_partitions(months_ahead: int | None = None) -> list[str]:
    """Create this month's partition and the next ``months_ahead`` (default: setting
    ``telemetry_partitions_ahead``, 2); returns the names created."""
    from backend.extensions import db
    from backend.services.telemetry import create_ahead

    with app_context():
        created = create_ahead(db.engine, ahead=months_ahead)
    log.info("job %s: readings partitions created: %s", _job_id(), created or "none needed")
    return created


def drop_expired_partitions(retention_days: int | None = None) -> list[str]:
    """Drop the months of raw readings older than the retention (default: setting
    ``telemetry_retention_days``, 400 days); returns the names dropped."""
    from backend.extensions import db
    from backend.services.telemetry import drop_expired

    with app_context():
        dropped = drop_expired(db.engine, retention_days=retention_days)
    log.info("job %s: readings partitions dropped: %s", _job_id(), dropped or "none expired")
    return dropped
