"""Liveness of the parts that work without a request: each poll shard, the cron scheduler
and the general workers. Each leaves a timestamp in Redis as it works; ``report`` reads
them for ``/readyz``, the status line and the polling watchdog (backend/alarms/watchdog.py).

- A poll job records the end of its cycle per shard and rate (``poll_done``).
- RQ's cron scheduler keeps its own heartbeat in its registry (every loop, at least every
  fast-poll interval while polling is scheduled).
- The ``system.heartbeat`` job (every 60 s, on the general workers) writes
  ``HEARTBEAT_KEY``: the scheduler enqueued it and a general worker ran it.

A part is *stale* when its timestamp is older than a few of its intervals; a process
whose own heartbeat is that old is *hung* and gets killed and restarted by the supervisor
(backend/runtime/heartbeats.py). Importing this module connects to nothing.
"""
from __future__ import annotations

import json
import time
from datetime import datetime

from rq.cron import CronScheduler

POLL_DONE_KEY = "gw:poll:done:{shard}:{rate}"
HEARTBEAT_KEY = "gw:heartbeat:worker"
HEARTBEAT_EVERY = 60
HEARTBEAT_TTL_SECONDS = 3 * HEARTBEAT_EVERY     # three missed beats: the key is gone
SCHEDULER_STALE_SECONDS = 30.0
DAY = 86400


def poll_done(client, shard: int, rate: str, at: float | None = None) -> None:
    """A poll job of ``shard`` at ``rate`` finished its cycle (``client``: the app's Redis)."""
    client.set(POLL_DONE_KEY.format(shard=shard, rate=rate), f"{at or time.time():.3f}",
               ex=DAY)


def poll_stale_after(interval: float) -> float:
    """Seconds without a finished poll job after which a shard's polling counts as stopped:
    three intervals, and never less than the interval plus 10 s (restarts take seconds)."""
    return max(3.0 * interval, interval + 10.0)


def beat_every(settings) -> int:
    """Seconds between the heartbeats of our RQ processes: the fast-poll interval. The cron
    scheduler beats every loop, at least that often while polling is scheduled; ``up``
    makes the workers and pollers beat as often (RQ's ``--worker-ttl`` and
    ``--job-monitoring-interval``) instead of every 405 s while idle."""
    return max(1, int(settings.poll_fast_seconds))


def hung_after(settings) -> float:
    """Seconds without a heartbeat after which the supervisor counts a poller, a worker or
    the cron scheduler as hung and kills it: as long as a poll shard may go without a
    cycle before its polling counts as stopped (12 s at the default 2 s fast poll)."""
    return poll_stale_after(beat_every(settings))


def poll_rates(settings) -> dict[str, float]:
    return {"fast": float(settings.poll_fast_seconds),
            "normal": float(settings.poll_normal_seconds)}


def poll_ages(client, settings, now: float | None = None) -> dict[tuple[int, str], float | None]:
    """Seconds since each shard's last finished poll job per rate (None: never)."""
    now = now or time.time()
    keys = [(shard, rate) for shard in range(settings.poll_shards) for rate in poll_rates(settings)]
    raw = client.mget([POLL_DONE_KEY.format(shard=s, rate=r) for s, r in keys]) if keys else []
    return {k: (max(0.0, now - float(v)) if v else None) for k, v in zip(keys, raw)}


def stale_shards(client, settings, now: float | None = None) -> set[int]:
    """Shards whose fast polling stopped (never ran, or not within its stale time)."""
    limit = poll_stale_after(settings.poll_fast_seconds)
    return {shard for (shard, rate), age in poll_ages(client, settings, now).items()
            if rate == "fast" and (age is None or age > limit)}


def report(client, raw_client, settings) -> dict:
    """Every part with its age in seconds and ``ok``; ``ok`` on top when all are."""
    now = time.time()
    rates = poll_rates(settings)
    poll = {f"{shard}/{rate}": _part(age, poll_stale_after(rates[rate]))
            for (shard, rate), age in poll_ages(client, settings, now).items()}
    beats = [s.last_heartbeat for s in CronScheduler.all(raw_client)]
    newest = max((b.timestamp() for b in beats if b is not None), default=None)
    scheduler = _part(None if newest is None else now - newest, SCHEDULER_STALE_SECONDS)
    beat = client.get(HEARTBEAT_KEY)
    at = datetime.fromisoformat(json.loads(beat)["at"]).timestamp() if beat else None
    workers = _part(None if at is None else now - at, HEARTBEAT_TTL_SECONDS)
    parts = {"poll": poll, "scheduler": scheduler, "workers": workers}
    ok = all(p["ok"] for p in poll.values()) and scheduler["ok"] and workers["ok"]
    return {"ok": ok, **parts}


def _part(age: float | None, stale_after: float) -> dict:
    return {"age_s": None if age is None else round(age, 1),
            "stale_after_s": stale_after, "ok": age is not None and age <= stale_after}
