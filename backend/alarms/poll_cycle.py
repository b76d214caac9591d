"""A poll cycle, end to end: poll the shard's due devices, store what was read, record who
answered, evaluate the alarm rules on what was just stored (DESIGN.md: in the poll job,
no queue hop). The poll job (workers/jobs/poll.py) calls ``run``."""
from __future__ import annotations

import logging

from backend.alarms import context as alarm_context
from backend.alarms import evaluate as alarm_eval
from backend.alarms.evaluate import evaluate
from backend.extensions import db
from backend.field.session import SESSION
from backend.telemetry.ingest import ingest
from backend.telemetry.status import record_poll_results

log = logging.getLogger(__name__)


def run(rate: str, shard: int = 0, shards: int = 1, *, job_id: str = "-") -> dict:
    """Poll every due device of the shard's gateways once; ingest; record outcomes;
    evaluate alarms. Returns a summary of the cycle."""
    configured = SESSION.gateways(shard, shards)
    with SESSION.locked(configured) as (held, skipped, lock_seconds):
        gateways = SESSION.due(held, rate)
        cycle = SESSION.cycle(gateways, rate, timeout=lock_seconds)
        ingested = ingest(cycle.readings)
        record_poll_results(cycle.outcomes)
        raised = _evaluate_alarms(cycle, job_id)
    failed = sum(1 for _, ok, _ in cycle.outcomes if not ok)
    summary = {"rate": rate, "shard": shard, "gateways": len(gateways),
               "skipped_locked": skipped, "devices": len(cycle.outcomes), "failed": failed,
               "requests": cycle.requests, "rows": ingested.rows, "alarm_changes": raised,
               "seconds": round(cycle.seconds, 3)}
    # Every 2 s per shard: INFO only when something is wrong, else DEBUG.
    log.log(logging.INFO if failed or skipped else logging.DEBUG,
            "job %s: poll %s shard %d/%d: %d devices (%d failed), %d requests, %d rows "
            "in %.3f s%s", job_id, rate, shard, shards, summary["devices"], failed,
            cycle.requests, ingested.rows, cycle.seconds,
            f"; skipped locked gateways {skipped}" if skipped else "")
    return summary


def _evaluate_alarms(cycle, job_id: str) -> int:
    """A failure here is logged and does not lose the readings, already stored."""
    try:
        changes = evaluate({device_id for device_id, _ts, _v in cycle.readings},
                           cycle.outcomes)
    except Exception:
        db.session.rollback()
        log.exception("job %s: alarm evaluation failed", job_id)
        return 0
    return sum(1 for c in changes if c.transition is not None)


def reset_for_tests() -> None:
    """Forget every per-process cache of the poll path (tests run many fleets)."""
    SESSION.reset()
    alarm_context.forget()
    alarm_eval.forget()
