"""Poll jobs: one RQ job polls one shard of gateways at one rate (fast or normal).

Declared in workers/schedule.py (RQ cron). Runs on the ``poll`` queue in a
``SimpleWorker`` (no fork per job) so that this module's asyncio loop thread, and the
Modbus connections it holds, live across jobs: connections stay open between cycles.

A Redis lock per gateway (SET NX PX) keeps one poller per gateway at a time: a cycle
that overruns its interval makes the next job skip that gateway, never poll it twice
at once, even with several poll workers on several machines.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid

from rq import get_current_job

from workers.jobs.telemetry import app_context

log = logging.getLogger(__name__)

CONFIG_TTL_SECONDS = 15     # device list re-read at most this often
LOCK_KEY = "gw:lock:poll:{gateway_id}"
_RELEASE = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
            "return redis.call('del', KEYS[1]) else return 0 end")

_loop: asyncio.AbstractEventLoop | None = None
_engine = None
_config: dict = {"at": 0.0, "key": None, "gateways": []}
_last_polled: dict = {}     # (device_id, rate) -> monotonic time, for per-device intervals


def _event_loop() -> asyncio.AbstractEventLoop:
    """One loop per worker process, in a daemon thread; it owns every connection."""
    global _loop
    if _loop is None:
        _loop = asyncio.new_event_loop()
        threading.Thread(target=_loop.run_forever, name="modbus-loop", daemon=True).start()
    return _loop


def _poll_engine():
    global _engine
    if _engine is None:
        from backend.field.poller import PollEngine
        from backend.services.app_settings import setting

        _engine = PollEngine(retries=setting("poll_retries"),
                             dead_after=setting("poll_dead_after"))
    return _engine


def _gateways(shard: int, shards: int):
    from backend.services.poll_config import load_poll_gateways

    key = (shard, shards)
    now = time.monotonic()
    if _config["key"] != key or now - _config["at"] > CONFIG_TTL_SECONDS:
        _config.update(at=now, key=key, gateways=load_poll_gateways(shard, shards))
    return _config["gateways"]


def _due(gateways, rate: str):
    """Drop devices whose own interval (``attributes.poll_<rate>_s``) has not elapsed."""
    from backend.field.poller import PollGateway

    now = time.monotonic()
    out = []
    for gw, intervals in gateways:
        devices = tuple(d for d in gw.devices
                        if now - _last_polled.get((d.id, rate), -1e9)
                        >= intervals.get(d.id, {}).get(rate, 0) - 0.25)
        for d in devices:
            _last_polled[(d.id, rate)] = now
        if devices:
            out.append(PollGateway(gw.id, gw.address, devices))
    return out


def poll_shard(rate: str, shard: int = 0, shards: int = 1) -> dict:
    """Poll every due device of the shard's gateways once; ingest; record outcomes."""
    from backend.extensions import redis
    from backend.services.telemetry_ingest import ingest
    from backend.services.telemetry_status import record_poll_results

    job = get_current_job()
    job_id = job.id if job else "-"
    with app_context():
        configured = _gateways(shard, shards)
        _poll_engine().forget({gw.id for gw, _ in configured})
        token = uuid.uuid4().hex
        lock_ms = int(1000 * max(30.0, 3 * max((gw.address.timeout_s for gw, _ in configured),
                                                default=1.0)))
        locked, skipped = [], []
        for gw, intervals in configured:
            key = LOCK_KEY.format(gateway_id=gw.id)
            if redis.set(key, token, nx=True, px=lock_ms):
                locked.append((gw, intervals))
            else:
                skipped.append(gw.id)
        try:
            gateways = _due(locked, rate)
            future = asyncio.run_coroutine_threadsafe(_poll_engine().cycle(gateways, rate),
                                                      _event_loop())
            cycle = future.result(timeout=lock_ms / 1000)
            ingested = ingest(cycle.readings)
            record_poll_results(cycle.outcomes)
            raised = _evaluate_alarms(cycle, job_id)
        finally:
            release = redis.register_script(_RELEASE)
            for gw, _ in locked:
                release(keys=[LOCK_KEY.format(gateway_id=gw.id)], args=[token])
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
    """Alarm rules on what was just stored (DESIGN.md: in the poll job, no queue hop).
    A failure here is logged and does not lose the readings, already stored."""
    from backend.extensions import db
    from backend.services.alarm_eval import evaluate

    try:
        changes = evaluate({device_id for device_id, _ts, _v in cycle.readings},
                           cycle.outcomes)
    except Exception:
        db.session.rollback()
        log.exception("job %s: alarm evaluation failed", job_id)
        return 0
    return sum(1 for c in changes if c.transition is not None)


def reset_for_tests() -> None:
    """Forget cached configuration and per-device timing (tests run many fleets)."""
    _config.update(at=0.0, key=None, gateways=[])
    _last_polled.clear()
    from backend.services import alarm_context, alarm_eval

    alarm_context.forget()
    alarm_eval.forget()
    if _engine is not None and _loop is not None:
        _loop.call_soon_threadsafe(_engine.close)
