"""Poll jobs: one RQ job polls one shard of gateways at one rate (fast or normal).

Declared in backend/jobs.py, scheduled by workers/schedule.py (RQ cron). Runs on the
``poll`` queue in a ``SimpleWorker`` (no fork per job) so that the field session
(backend/field/session.py: its asyncio loop thread and the Modbus connections it holds)
lives across jobs. The cycle itself: backend/runtime/poll_cycle.py.
"""
from __future__ import annotations

from rq import get_current_job

from backend.runtime import poll_cycle
from backend.runtime.context import app_context


def poll_shard(rate: str, shard: int = 0, shards: int = 1) -> dict:
    """Poll every due device of the shard's gateways once; ingest; evaluate alarms."""
    job = get_current_job()
    with app_context():
        return poll_cycle.run(rate, shard, shards, job_id=job.id if job else "-")


def reset_for_tests() -> None:
    """Forget cached configuration and per-device timing (tests run many fleets)."""
    poll_cycle.reset_for_tests()
