"""A poll cycle, end to end: poll the shard's due devices, store what was read, record who
answered, evaluate the alarm rules and then the linkage rules on what was just stored
(DESIGN.md: in the poll job, no queue hop), batch by batch while the polls go on: the
readings of devices read so far (every 0.25 s) and the outcomes of each gateway that
finished (backend/field/session.py).
The poll job (workers/jobs/poll.py) calls ``run``."""
from __future__ import annotations

import logging
import time

from backend import liveness, metrics
from backend.alarms import apply as alarm_apply
from backend.alarms import context as alarm_context
from backend.alarms import evaluate as alarm_eval
from backend.alarms.evaluate import evaluate
from backend.automation import linkage_evaluate
from backend.clock import utcnow
from backend.extensions import db, redis
from backend.field.session import SESSION
from backend.settings import setting
from backend.telemetry.ingest import ingest
from backend.telemetry.status import record_poll_results

log = logging.getLogger(__name__)


def run(rate: str, shard: int = 0, shards: int = 1, *, job_id: str = "-") -> dict:
    """Start the due gateways of the shard; as each finishes (within one fast interval):
    ingest, record outcomes, evaluate alarms. Returns a summary of the job."""
    started_at = time.perf_counter()
    alarm_apply.announce_due(utcnow())
    configured = SESSION.gateways(shard, shards)
    totals = dict.fromkeys(("devices", "failed", "requests", "rows", "alarm_changes",
                            "linkage_events"), 0)
    _store(SESSION.finished(), totals, job_id)      # earlier jobs' polls, finished since
    started = SESSION.start(configured, rate)
    for batch in SESSION.collect(started, wait=setting("poll_fast_seconds")):
        _store(batch, totals, job_id)
    seconds = time.perf_counter() - started_at
    metrics.POLL_CYCLE_SECONDS.labels(rate, str(shard)).observe(seconds)
    if started.gateways or started.busy or not started.skipped:
        # Polling happened (or the shard has nothing to poll); a job whose every gateway
        # was locked by another poller proves nothing about this shard.
        liveness.poll_done(redis.current(), shard, rate)
    pending = SESSION.in_flight()
    summary = {"rate": rate, "shard": shard, "gateways": len(started.gateways),
               "skipped_locked": started.skipped, "busy": started.busy, "pending": pending,
               **totals, "seconds": round(seconds, 3)}
    # Every 2 s per shard: INFO only when something is wrong, else DEBUG.
    log.log(logging.INFO if totals["failed"] or started.skipped else logging.DEBUG,
            "job %s: poll %s shard %d/%d: %d devices (%d failed), %d requests, %d rows "
            "in %.3f s%s%s", job_id, rate, shard, shards, totals["devices"], totals["failed"],
            totals["requests"], totals["rows"], seconds,
            f"; skipped locked gateways {started.skipped}" if started.skipped else "",
            f"; still polling gateways {pending}" if pending else "")
    return summary


def _store(batch: list, totals: dict, job_id: str) -> None:
    """Finished gateway polls: ingest, record outcomes, evaluate alarms (one pass for the
    batch); adds to the job's totals."""
    if not batch:
        return
    readings = [r for part in batch for r in part.readings]
    outcomes = [o for part in batch for o in part.outcomes]
    rows = ingest(readings).rows
    totals["rows"] += rows
    record_poll_results(outcomes)
    _count(batch, rows)
    totals["alarm_changes"] += _evaluate_alarms(readings, outcomes, job_id)
    totals["linkage_events"] += _evaluate_linkage(readings, job_id)
    totals["devices"] += len(outcomes)
    totals["failed"] += sum(1 for _, ok, _ in outcomes if not ok)
    totals["requests"] += sum(part.requests for part in batch)


def _count(batch: list, rows: int) -> None:
    metrics.READINGS.inc(rows)
    metrics.DEVICES_POLLED.inc(sum(len(part.outcomes) for part in batch))
    for part in batch:
        failed = sum(1 for _, ok, _ in part.outcomes if not ok)
        if failed:
            metrics.FAILED_READS.labels(str(part.gateway_id)).inc(failed)


def _evaluate_alarms(readings: list, outcomes: list, job_id: str) -> int:
    """A failure here is logged and does not lose the readings, already stored."""
    try:
        changes = evaluate({device_id for device_id, _ts, _v in readings}, outcomes)
    except Exception:
        db.session.rollback()
        log.exception("job %s: alarm evaluation failed", job_id)
        return 0
    return sum(1 for c in changes if c.transition is not None)


def _evaluate_linkage(readings: list, job_id: str) -> int:
    """Linkage rules on what was just stored, after the alarms (a rule's pop-up carries
    the alarm this poll raised). A failure is logged and loses nothing: the readings and
    alarms are committed, and the rule state is not, so the next poll steps it again."""
    try:
        return len(linkage_evaluate.evaluate({device_id for device_id, _ts, _v in readings}))
    except Exception:
        db.session.rollback()
        log.exception("job %s: linkage evaluation failed", job_id)
        return 0


def reset_for_tests() -> None:
    """Forget every per-process cache of the poll path (tests run many fleets)."""
    SESSION.reset()
    alarm_context.forget()
    alarm_eval.forget()
    linkage_evaluate.forget()
