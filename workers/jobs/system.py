"""System jobs: liveness signals for ops and ``/readyz``."""
from __future__ import annotations

import json
import logging
import socket
from datetime import datetime, timezone

from rq import get_current_job

log = logging.getLogger(__name__)

HEARTBEAT_KEY = "gw:heartbeat:worker"
# Three missed beats (the job runs every 60 s) and the key disappears.
HEARTBEAT_TTL_SECONDS = 180


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
