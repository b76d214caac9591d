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

# --- telemetry: monthly partitions of `readings` (workers/jobs/telemetry.py) ---------------
from workers.jobs import telemetry  # noqa: E402  (kept next to its entries)

# This month and the next two always exist (ingest also creates a missing one on demand).
cron.register(
    telemetry.create_partitions,
    queue_name="periodic",
    interval=3600,
    job_timeout=300,
    ttl=3600,
    result_ttl=86400,
    failure_ttl=7 * 86400,
    name="telemetry.create_partitions",
)
# Raw readings retention (telemetry_retention_days, default 400): drop whole expired months.
cron.register(
    telemetry.drop_expired_partitions,
    queue_name="periodic",
    interval=86400,
    job_timeout=600,
    ttl=3600,
    result_ttl=86400,
    failure_ttl=7 * 86400,
    name="telemetry.drop_expired_partitions",
)

# --- polling (workers/jobs/poll.py): one job per shard of gateways and per rate ---------
# Fast: switch state, mode, leakage, temperature, trip cause. Normal: electrical
# quantities and energy. ttl = the interval: a job still queued when the next one is due
# is dropped rather than run late (the per-gateway lock also stops overlapping cycles).
from backend.config import Settings  # noqa: E402
from workers.jobs import poll  # noqa: E402

_settings = Settings.from_env()
for _shard in range(_settings.poll_shards):
    for _rate, _interval in (("fast", _settings.poll_fast_seconds),
                             ("normal", _settings.poll_normal_seconds)):
        cron.register(
            poll.poll_shard,
            queue_name="poll",
            args=(_rate, _shard, _settings.poll_shards),
            interval=_interval,
            job_timeout=max(30, 5 * _interval),
            ttl=_interval,
            result_ttl=60,
            failure_ttl=86400,
            name=f"poll.{_rate}.{_shard}",
        )

# --- alarms and notifications (workers/jobs/notify.py) ------------------------------------
from workers.jobs import notify  # noqa: E402

# Due outbox rows (delayed for grouping, retry backoff, lost enqueues) and attempts left
# "sending" by a stopped worker. Deliveries themselves are enqueued at once when an
# alarm changes; this is the safety net, so a short interval.
cron.register(
    notify.sweep,
    queue_name="notify",
    interval=5,
    job_timeout=60,
    ttl=5,
    result_ttl=60,
    failure_ttl=86400,
    name="notify.sweep",
)
# Escalation to the next tier of recipients (alarm_escalation_minutes, default 5).
cron.register(
    notify.escalate,
    queue_name="alarms",
    interval=30,
    job_timeout=60,
    ttl=30,
    result_ttl=300,
    failure_ttl=86400,
    name="alarms.escalate",
)
