"""System jobs: liveness signals for ops and ``/readyz``; the polling watchdog."""
from __future__ import annotations

import json
import logging
import socket
from datetime import datetime, timezone

from rq import get_current_job

from backend.alarms import watchdog as polling_watchdog
from backend.liveness import HEARTBEAT_KEY, HEARTBEAT_TTL_SECONDS
from backend.runtime.context import app_context

log = logging.getLogger(__name__)


def heartbeat() -> dict:
    """Record that the cron scheduler enqueued and a worker ran a job just now.

    Writes ``gw:heartbeat:worker`` as JSON ``{"at", "host", "job_id"}`` with a TTL,
    so the key existing means both the scheduler and at least one worker are alive.
    Idempotent: each run overwrites the key. Uses the connection of the running job.
    """
    job = get_current_job()
    if job is None:
        raise RuntimeError("heartbeat must run inside an RQ job")
    beat = {
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "job_id": job.id,
    }
    job.connection.set(HEARTBEAT_KEY, json.dumps(beat), ex=HEARTBEAT_TTL_SECONDS)
    log.info("job %s: heartbeat written by %s", job.id, beat["host"])
    return beat


def watchdog() -> int:
    """Raise or clear the ``polling_stopped`` system alarm per site; how many changed."""
    with app_context():
        return sum(1 for c in polling_watchdog.check() if c.transition is not None)
