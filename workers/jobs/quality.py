"""Power quality's jobs: the 10-minute rollup and the daily results; idempotent, take
only plain values."""
from __future__ import annotations

import logging
from datetime import date

from backend.extensions import db
from backend.quality import rollup as quality_rollup
from backend.quality.operations import compute_day, compute_yesterday
from backend.runtime.context import app_context

log = logging.getLogger(__name__)


def daily(site_id: int | None = None, day: str | None = None) -> dict:
    """Every site's yesterday (default), or one site's ``day`` (ISO date); returns
    {site id: rows written}."""
    with app_context():
        if site_id is None:
            done = compute_yesterday()
        else:
            done = {site_id: compute_day(site_id, date.fromisoformat(day))}
            db.session.commit()
    log.info("quality.daily: %s", done)
    return done


def rollup() -> dict:
    """Every marked device's intervals re-rolled from its mark (backend/quality/rollup.py)."""
    with app_context():
        return quality_rollup.run()
