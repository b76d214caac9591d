"""The polling watchdog: a system alarm (``polling_stopped``) for every site whose
gateways are in a poll shard that stopped finishing cycles, cleared when polling resumes.

Runs as the ``alarms.watchdog`` job on the general workers (backend/jobs.py), so it works
exactly when the pollers do not. Staleness comes from backend/liveness.py; the alarm goes
through the same rule engine, timeline and notifications as every other alarm.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from backend import liveness
from backend.alarms.evaluate import Change, evaluate
from backend.extensions import db, redis
from backend.models import Gateway


def check(now: datetime | None = None) -> list[Change]:
    """Evaluate ``polling_stopped`` for every site with enabled gateways."""
    settings = current_app.config["GW_SETTINGS"]
    shards = settings.poll_shards
    stale = liveness.stale_shards(redis.current(), settings)
    rows = db.session.execute(select(Gateway.site_id, Gateway.id % shards).distinct()
                              .where(Gateway.enabled.is_(True))).all()
    sites: dict[int, float] = {}
    for site_id, shard in rows:
        sites[site_id] = max(sites.get(site_id, 0.0), 1.0 if shard in stale else 0.0)
    changes = evaluate(set(), (), sites=sites, now=now) if sites else []
    db.session.commit()
    return changes
