"""The job registry: the RQ queues GridWarden declares and every job it runs, declared once.

Services enqueue a job by its name (``enqueue("notify.deliver", 42)``): RQ takes the
function as a dotted path, so nothing in ``backend`` imports ``workers``. The cron
scheduler (workers/schedule.py) registers every periodic job listed here; the runtime
(backend/runtime/up.py) starts workers on the queues listed here.

Queues, in priority order. A worker listens on all of them in this order, and RQ's default
dequeue strategy always takes the first non-empty queue, so earlier queues win:

- ``control``:  switching commands a person is waiting for (write + read-back).
- ``alarms``:   alarm follow-up work (escalation, acknowledgement side effects).
- ``notify``:   outbox deliveries: WeChat, SMS, Web Push.
- ``poll``:     gateway polling (one job per shard of gateways and rate; ingest + alarm
                evaluation). Served by dedicated ``SimpleWorker`` processes (no fork per
                job), so the Modbus connections of backend/field/session.py stay open.
- ``default``:  everything else (reports, exports, one-off maintenance).
- ``periodic``: jobs enqueued by the cron scheduler.

Scale-out is more ``rq worker`` processes (on more machines) against the same Redis,
optionally listening on a subset of these names.

House rules for entries: the job takes ids (never objects), is idempotent, and declares
its queue, timeout and TTLs here. Importing this module connects to nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

import redis as redis_lib
from rq import Queue
from rq.job import Job

from backend.extensions import redis
from backend.liveness import HEARTBEAT_EVERY

QUEUES: tuple[str, ...] = ("control", "alarms", "notify", "poll", "default", "periodic")
# What the general (forking) workers listen on; ``poll`` has its own workers.
GENERAL_QUEUES: tuple[str, ...] = tuple(q for q in QUEUES if q != "poll")
POLL_QUEUE = "poll"


@dataclass(frozen=True)
class JobSpec:
    name: str               # what services and the scheduler call it: "notify.deliver"
    func: str               # dotted path of the (thin) job function in workers/jobs/
    queue: str
    timeout: int            # seconds a run may take
    ttl: int | None         # seconds it may wait in the queue before it is dropped
    result_ttl: int
    failure_ttl: int
    every: int | None = None   # periodic: seconds between runs (None: enqueued on demand)

    def __post_init__(self) -> None:
        if self.queue not in QUEUES:
            raise ValueError(f"job {self.name}: unknown queue {self.queue!r}")


DAY = 86400
JOBS: dict[str, JobSpec] = {spec.name: spec for spec in (
    # Liveness of scheduler + workers, read by ops and /readyz (key gw:heartbeat:worker).
    # Still queued after 2 min: dropped, a newer beat is on its way.
    JobSpec("system.heartbeat", "workers.jobs.system.heartbeat", "periodic",
            timeout=30, ttl=120, result_ttl=300, failure_ttl=DAY, every=HEARTBEAT_EVERY),
    # Polling stopped (a shard's fast poll not finished within its stale time): a system
    # alarm per affected site, cleared when polling resumes. Not on the poll queue, so it
    # runs when the pollers do not.
    JobSpec("alarms.watchdog", "workers.jobs.system.watchdog", "alarms", timeout=30,
            ttl=10, result_ttl=60, failure_ttl=DAY, every=10),
    # Monthly partitions of `readings`: this month and the next two always exist (ingest
    # also creates a missing one on demand).
    JobSpec("telemetry.create_partitions", "workers.jobs.telemetry.create_partitions",
            "periodic", timeout=300, ttl=3600, result_ttl=DAY, failure_ttl=7 * DAY,
            every=3600),
    # Raw readings retention (telemetry_retention_days, default 400): drop whole months.
    JobSpec("telemetry.drop_expired_partitions",
            "workers.jobs.telemetry.drop_expired_partitions", "periodic", timeout=600,
            ttl=3600, result_ttl=DAY, failure_ttl=7 * DAY, every=DAY),
    # One outbox row, one channel attempt: enqueued when an alarm changes, and by the sweep.
    JobSpec("notify.deliver", "workers.jobs.notify.deliver", "notify", timeout=60, ttl=3600,
            result_ttl=600, failure_ttl=7 * DAY),
    # Due outbox rows (delayed for grouping, retry backoff, lost enqueues) and attempts
    # left "sending" by a stopped worker: the safety net, so a short interval.
    JobSpec("notify.sweep", "workers.jobs.notify.sweep", "notify", timeout=60, ttl=5,
            result_ttl=60, failure_ttl=DAY, every=5),
    # Control safety net (backend/control/reconcile.py): expiry, lost pushes, commands
    # whose executor stopped after the write (settled from the device's state).
    JobSpec("control.reconcile", "workers.jobs.control.reconcile", "control", timeout=30,
            ttl=5, result_ttl=60, failure_ttl=DAY, every=5),
    # Schedules (backend/automation/schedule_runner.py): each occurrence since the last
    # check, exactly once; found later than schedule_grace_seconds: missed, reported.
    # Enqueued once when the scheduler starts, so the first pass after a stop reports the
    # runs missed meanwhile. On ``control``: the commands it makes are due now.
    JobSpec("automation.schedules", "workers.jobs.automation.run_schedules", "control",
            timeout=120, ttl=15, result_ttl=300, failure_ttl=DAY, every=15),
    # Energy rollup (backend/energy/rollup.py): devices with new, late or re-sent counter
    # readings (marked by ingest) re-rolled from their mark; idempotent, one lock.
    JobSpec("energy.rollup", "workers.jobs.energy.rollup", "periodic", timeout=600,
            ttl=60, result_ttl=600, failure_ttl=DAY, every=60),
    # A tariff version created, changed or deleted (backend/energy/periods.py): the days it
    # covers re-rolled per tariff period, enqueued after the tariff's commit; under the
    # rollup's lock. Idempotent. Never dropped from the queue (cost would stay stale).
    JobSpec("energy.tariff_reroll", "workers.jobs.energy.tariff_reroll", "default",
            timeout=3600, ttl=None, result_ttl=DAY, failure_ttl=7 * DAY),
    # A device moved to another site or a site's time zone changed
    # (backend/energy/rollup.py): the devices' local days, months and period rows summed
    # again from their slots, enqueued after the facility write's commit; under the
    # rollup's lock. Idempotent. Never dropped (the days would stay cut at the old zone).
    JobSpec("energy.facility_reroll", "workers.jobs.energy.facility_reroll", "default",
            timeout=3600, ttl=None, result_ttl=DAY, failure_ttl=7 * DAY),
    # Monthly energy reports (backend/energy/reports.py): each site's report of the month
    # before, XLSX and CSV, generated when not yet kept: on the 1st within the hour after
    # the site's midnight, and after any outage. Idempotent.
    JobSpec("energy.monthly_reports", "workers.jobs.energy.monthly_reports", "periodic",
            timeout=1800, ttl=3600, result_ttl=DAY, failure_ttl=7 * DAY, every=3600),
    # Escalation to the next tier of recipients (alarm_escalation_minutes, default 5).
    JobSpec("alarms.escalate", "workers.jobs.notify.escalate", "alarms", timeout=60, ttl=30,
            result_ttl=300, failure_ttl=DAY, every=30),
    # Power quality's daily results (backend/quality/operations.py): every site's
    # yesterday in its time zone, rewritten whole, so hourly runs after midnight agree.
    JobSpec("quality.daily", "workers.jobs.quality.daily", "periodic", timeout=1800,
            ttl=3600, result_ttl=DAY, failure_ttl=7 * DAY, every=3600),
    # Power quality's 10-minute rollup (backend/quality/rollup.py): devices with new, late
    # or re-sent quality readings (marked by ingest) re-rolled from their mark; idempotent.
    JobSpec("quality.rollup", "workers.jobs.quality.rollup", "periodic", timeout=600,
            ttl=60, result_ttl=600, failure_ttl=DAY, every=60),
    # Inspection plans due today or overdue (backend/inspections/reminders.py): the site's
    # managers told once per due date (a row per plan and date); idempotent.
    JobSpec("inspections.remind", "workers.jobs.inspections.remind", "periodic", timeout=300,
            ttl=600, result_ttl=DAY, failure_ttl=7 * DAY, every=900),
)}

POLL_FUNC = "workers.jobs.poll.poll_shard"


def poll_jobs(settings) -> list[tuple[JobSpec, tuple]]:
    """The poll jobs for these settings: one per shard of gateways and per rate, each with
    its args. Fast: switch state, mode, leakage, temperature, trip cause; normal: electrical
    quantities and energy. ttl = the interval: a job still queued when the next one is due
    is dropped rather than run late (the per-gateway lock also stops overlapping cycles)."""
    out = []
    for shard in range(settings.poll_shards):
        for rate, interval in (("fast", settings.poll_fast_seconds),
                               ("normal", settings.poll_normal_seconds)):
            spec = JobSpec(f"poll.{rate}.{shard}", POLL_FUNC, POLL_QUEUE,
                           timeout=max(30, 5 * interval), ttl=interval, result_ttl=60,
                           failure_ttl=DAY, every=interval)
            out.append((spec, (rate, shard, settings.poll_shards)))
    return out


def periodic(settings) -> list[tuple[JobSpec, tuple]]:
    """Every periodic job with its args: what workers/schedule.py registers."""
    return [(spec, ()) for spec in JOBS.values() if spec.every] + poll_jobs(settings)


def connection(redis_url: str) -> redis_lib.Redis:
    """A Redis connection suitable for RQ (bytes responses: RQ does its own decoding)."""
    return redis_lib.Redis.from_url(redis_url)


def get_queue(name: str, connection: redis_lib.Redis) -> Queue:
    """The declared queue ``name``; unknown names are a programming error."""
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}; declared queues: {', '.join(QUEUES)}")
    return Queue(name, connection=connection)


def enqueue(name: str, *args, connection: redis_lib.Redis | None = None,
            description: str | None = None) -> Job:
    """Enqueue the declared job ``name`` with ``args`` (ids), with its queue, timeout and
    TTLs; on the app's Redis unless ``connection`` is given."""
    spec = JOBS[name]
    return get_queue(spec.queue, connection or redis.raw()).enqueue(
        spec.func, *args, job_timeout=spec.timeout, ttl=spec.ttl, result_ttl=spec.result_ttl,
        failure_ttl=spec.failure_ttl, description=description or name)
