"""The heartbeats of the RQ processes ``gridwarden up`` runs, by pid, for the supervisor's
hang check (backend/runtime/supervisor.py: a child silent for ``liveness.hung_after``
seconds is killed and restarted).

- Workers and pollers: RQ's own worker heartbeat (``Worker.all``: each worker's pid and
  ``last_heartbeat``), every ``liveness.beat_every`` seconds: ``up`` passes RQ the
  matching ``--worker-ttl`` (idle: one blocking dequeue per beat) and
  ``--job-monitoring-interval`` (busy: the forking worker beats while its job runs).
- The cron scheduler: its registry entry (``CronScheduler.all``), refreshed every loop.

Per-process rather than the poll shards' ages: any poller takes any shard's job, and a
shard also goes stale when the scheduler stops enqueueing, which is not the pollers'
fault. One read of Redis serves every child for ``every`` seconds, and a failed read is
remembered as long, so a hung Redis (1 s socket timeout) slows the supervisor's loop at
most once per ``every``.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

import redis
from rq.cron import CronScheduler
from rq.worker import Worker

RQ_TTL_MARGIN = 15   # RQ blocks in dequeue for worker_ttl - 15 s between heartbeats


def rq_worker_ttl(beat_every: int) -> int:
    """RQ's ``--worker-ttl`` for a heartbeat every ``beat_every`` seconds while idle."""
    return RQ_TTL_MARGIN + beat_every


class Heartbeats:
    def __init__(self, url: str, every: float = 1.0, timeout: float = 1.0) -> None:
        self.url, self.every, self.timeout = url, every, timeout
        self._client = None
        self._read_at = float("-inf")
        self._workers: dict[int, float] = {}
        self._schedulers: dict[int, float] = {}
        self._error: Exception | None = None

    def worker(self, pid: int) -> float | None:
        """Seconds since the RQ worker with ``pid`` last beat (None: not registered)."""
        return self._age(self._workers, pid)

    def scheduler(self, pid: int) -> float | None:
        """Seconds since the cron scheduler with ``pid`` last beat (None: not registered)."""
        return self._age(self._schedulers, pid)

    def _age(self, beats: dict[int, float], pid: int) -> float | None:
        self._read()
        at = beats.get(pid)
        return None if at is None else max(0.0, time.time() - at)

    def _read(self) -> None:
        now = time.monotonic()
        if now - self._read_at < self.every:
            if self._error is not None:
                raise self._error
            return
        self._read_at = now
        try:
            if self._client is None:
                self._client = redis.Redis.from_url(
                    self.url, socket_timeout=self.timeout, socket_connect_timeout=self.timeout)
            self._workers = {w.pid: _ts(w.last_heartbeat) for w in Worker.all(self._client)
                             if w.pid and w.last_heartbeat is not None}
            self._schedulers = {s.pid: _ts(s.last_heartbeat)
                                for s in CronScheduler.all(self._client, cleanup=False)
                                if s.pid and s.last_heartbeat is not None}
            self._error = None
        except redis.RedisError as exc:
            self._error = exc
            raise


def _ts(at: datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).timestamp()
