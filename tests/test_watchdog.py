"""Liveness: /readyz reports each poll shard, the scheduler and the workers; the watchdog
raises a system alarm when polling stops and clears it when polling resumes (issue 18,
item 5: nothing reported a dead poller)."""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from backend import liveness
from backend.alarms import watchdog
from backend.extensions import db, redis
from backend.models import Alarm, Notification
from backend.runtime.status import StatusReporter
from tests.alarm_world import T0, build


def _alarms():
    return db.session.execute(select(Alarm.rule, Alarm.state, Alarm.site_id, Alarm.device_id,
                                     Alarm.gateway_id)
                              .where(Alarm.rule == "polling_stopped")).all()


def test_polling_stopped_raises_a_site_alarm_and_clears_when_it_resumes(ctx, settings):
    w = build()
    # Never polled: pending for the rule's hold (the platform may just be starting) ...
    assert [c.transition for c in watchdog.check(now=T0)] == [None]
    assert _alarms() == []
    # ... then raised, once per site with gateways (site B has none).
    [change] = watchdog.check(now=T0 + timedelta(seconds=20))
    assert change.transition.kind == "raise"
    assert _alarms() == [("polling_stopped", "active", w["site"], None, None)]
    assert db.session.scalars(select(Notification.user_id)).all(), "nobody was told"
    assert watchdog.check(now=T0 + timedelta(seconds=30)) == []       # still stopped: quiet
    # A finished fast poll of shard 0: polling runs again, the alarm clears.
    liveness.poll_done(redis.current(), 0, "fast")
    [change] = watchdog.check(now=T0 + timedelta(seconds=40))
    assert change.transition.kind == "clear"
    assert _alarms()[0].state == "cleared"
    # Stale again: an old cycle counts as stopped.
    liveness.poll_done(redis.current(), 0, "fast",
                       at=time.time() - liveness.poll_stale_after(settings.poll_fast_seconds) - 1)
    assert liveness.stale_shards(redis.current(), settings) == {0}


def test_readyz_reports_every_part(client, ctx, settings):
    body = client.get("/readyz").json
    assert body["checks"] == {"postgresql": "ok", "redis": "ok"}
    # Nothing has run in this test process: every part is stale, the API still serves.
    assert body["status"] == "degraded"
    assert set(body["parts"]) == {"poll", "scheduler", "workers"}
    assert body["parts"]["poll"]["0/fast"] == {
        "age_s": None, "stale_after_s": liveness.poll_stale_after(settings.poll_fast_seconds),
        "ok": False}
    liveness.poll_done(redis.current(), 0, "fast")
    liveness.poll_done(redis.current(), 0, "normal")
    body = client.get("/readyz").json
    assert body["parts"]["poll"]["0/fast"]["ok"] is True
    assert body["parts"]["poll"]["0/normal"]["ok"] is True
    assert body["parts"]["workers"]["ok"] is False and body["parts"]["scheduler"]["ok"] is False


def test_the_status_line_names_a_stale_part(ctx, settings):
    reporter = StatusReporter(settings)
    try:
        assert "stale: poll 0/fast" in reporter.line()
        liveness.poll_done(redis.current(), 0, "fast")
        assert "poll 0/fast" not in reporter.line()
    finally:
        reporter.engine.dispose()
