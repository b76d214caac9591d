"""What ``gridwarden up`` starts (backend/runtime/up.py ``app_children``), checked without
starting it."""
from __future__ import annotations

import re
from pathlib import Path

from backend.config import Settings
from backend.runtime import up

ROOT = Path(__file__).resolve().parents[1]
DELAYED = re.compile(r"\.(enqueue_in|enqueue_at|schedule)\(|\bRetry\(")


def _children(**overrides):
    settings = Settings.from_env().with_overrides(redis_url="redis://127.0.0.1:1/0",
                                                  **overrides)
    return up.app_children(settings, {}, "127.0.0.1:1")


def test_no_worker_runs_rqs_delayed_job_scheduler():
    """Its forked child outlived a Redis hang as a zombie (issue 18, item 5), and nothing
    needs it: delays and retries are rows in PostgreSQL, enqueued by the outbox sweep."""
    rq = [c for c in _children() if "rq.cli" in c.argv]
    assert rq and not [c.name for c in rq if "--with-scheduler" in c.argv]
    users = [str(p.relative_to(ROOT)) for d in ("backend", "workers")
             for p in (ROOT / d).rglob("*.py") if DELAYED.search(p.read_text("utf-8"))]
    assert users == [], f"delayed RQ jobs need a scheduler, and none runs: {users}"


def test_rq_children_beat_every_fast_poll_and_count_as_hung_after_a_few():
    """The hang limit comes from the fast-poll interval (liveness.hung_after), and RQ is
    told to beat that often while idle (--worker-ttl) and busy (--job-monitoring-interval)."""
    from backend import liveness
    from backend.runtime.heartbeats import Heartbeats

    beats = Heartbeats("redis://127.0.0.1:1/0")
    settings = Settings.from_env().with_overrides(redis_url="redis://127.0.0.1:1/0",
                                                  poll_fast_seconds=3)
    children = {c.name: c for c in up.app_children(settings, {}, "127.0.0.1:1", beats)}
    assert liveness.hung_after(settings) == 13.0 and liveness.beat_every(settings) == 3
    for name in ("worker-1", "poller-1", "scheduler"):
        assert children[name].hung_after == 13.0 and children[name].beat is not None, name
    for name in ("worker-1", "poller-1"):
        argv = children[name].argv
        assert argv[argv.index("--worker-ttl") + 1] == "18"      # RQ dequeues ttl - 15 s
        assert argv[argv.index("--job-monitoring-interval") + 1] == "3"
    assert children["api"].beat is None
