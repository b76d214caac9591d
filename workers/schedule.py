"""Every periodic job, declared once, for RQ 3.0's cron scheduler.

Run by ``gridwarden up`` as::

    python -m rq.cli cron --url <REDIS_URL> workers.schedule

``rq cron`` imports this module; each ``cron.register(...)`` call below adds one
job to the scheduler. Interval jobs are enqueued once right when the scheduler
starts and then every ``interval`` seconds; ``cron=`` takes a crontab expression
(local time) instead. Run exactly one ``rq cron`` per Redis: RQ 3.0 does not elect
a leader between several schedulers, so two would enqueue every job twice (which
idempotent jobs tolerate, but it is waste).

House rules for entries: the job takes ids (never objects), is idempotent,
and declares its queue, timeout and TTLs here. Importing this module connects to
nothing.
"""
from __future__ import annotations

from rq import cron

from workers.jobs import system

# Liveness of scheduler + workers, read by ops and /readyz (key gw:heartbeat:worker).
cron.register(
    system.heartbeat,
    queue_name="periodic",
    interval=60,
    job_timeout=30,
    ttl=120,  # still queued after 2 min: drop it, a newer beat is on its way
    result_ttl=300,
    failure_ttl=86400,
    name="system.heartbeat",
)
