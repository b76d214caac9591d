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
