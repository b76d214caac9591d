"""Every periodic job, for RQ 3.0's cron scheduler: the ones backend/jobs.py declares.

Run by ``gridwarden up`` as::

    python -m rq.cli cron --url <REDIS_URL> workers.schedule

``rq cron`` imports this module; each ``cron.register(...)`` call adds one job to the
scheduler. Interval jobs are enqueued once right when the scheduler starts and then every
``interval`` seconds. Run exactly one ``rq cron`` per Redis: RQ 3.0 does not elect a
leader between several schedulers, so two would enqueue every job twice (which idempotent
jobs tolerate, but it is waste). Importing this module connects to nothing.
"""
from __future__ import annotations

from rq import cron
from rq.utils import import_attribute

from backend import jobs
from backend.config import Settings

for _spec, _args in jobs.periodic(Settings.from_env()):
    cron.register(
        import_attribute(_spec.func),
        queue_name=_spec.queue,
        args=_args or None,
        interval=_spec.every,
        job_timeout=_spec.timeout,
        ttl=_spec.ttl,
        result_ttl=_spec.result_ttl,
        failure_ttl=_spec.failure_ttl,
        name=_spec.name,
    )
