"""Notifications: outbox delivery through the real channel clients to the stand-in,
fallbacks, retries without duplicates, a worker killed mid-send, escalation."""
from datetime import timedelta

import pytest
import requests
from rq import SimpleWorker
from sqlalchemy import select

from backend.alarms import delivery, escalation
from backend.alarms import lifecycle as alarm_service
from backend.extensions import db, redis
from backend.jobs import get_queue
from backend.models import Alarm, Notification, NotificationAttempt, NotifyProfile, SubscribeGrant
from backend.notify import outbox
from tests.alarm_world import T0, breaker, build, feed

TRIPPED = breaker(voltage_a=280.0, switch_state="open", trip_cause="over_voltage")


@pytest.fixture
def w(ctx, notify_standin):
    world = build()
    world["url"] = notify_standin.url
    return world


def messages(w, channel=None):
    params = {"channel": channel} if channel else {}
    return requests.get(w["url"] + "/_standin/messages", params=params, timeout=5).json()


def fault(w, **body):
    assert requests.post(w["url"] + "/_standin/faults", json=body, timeout=5).status_code == 201


def raise_trip(w, at=T0):
    feed(at - timedelta(seconds=2), {w["d4"]: breaker()})
    feed(at, {w["d4"]: TRIPPED})
    return db.session.execute(select(Alarm)).scalar_one()


def pending_ids():
    return db.session.execute(select(Notification.id).where(
        Notification.status == "pending")).scalars().all()


def test_template_message_arrives_once_even_when_the_job_runs_twice(w, app):
    alarm = raise_trip(w)
    [nid] = pending_ids()
    q = get_queue("notify", redis.raw())
    assert q.count >= 1                                   # enqueued at commit
    from workers.jobs.notify import deliver

    q.enqueue(deliver, nid)                               # a retried / duplicated job
    SimpleWorker([q], connection=redis.raw()).work(burst=True)
    got = messages(w, "wechat_template")
    assert len(got) == 1 and got[0]["recipient"] == "oa-s1"
    data = got[0]["payload"]["data"]
    assert all(len(v["value"]) <= 20 for v in data.values())
    assert "first" not in data and "remark" not in data
    assert got[0]["payload"]["miniprogram"]["pagepath"] == f"pages/alarm/detail?id={alarm.id}"
    n = db.session.get(Notification, nid)
    db.session.refresh(n)
    assert (n.status, n.sent_channel, n.attempts) == ("sent", "wechat_template", 1)
    detail = alarm_service.detail(_actor(w), alarm.id)
    kinds = [(t["kind"], t["data"].get("outcome")) for t in detail["timeline"]]
    assert ("notification", "sent") in kinds and kinds[0] == ("raised", None)


def _actor(w):
    from backend.accounts.security import Actor
    from backend.models import User

    return Actor.of(db.session.get(User, w["s1"]))


def test_user_refused_falls_back_to_sms(w):
    raise_trip(w)
    fault(w, channel="wechat_template", errcode=43101, times=1)
    [nid] = pending_ids()
    assert delivery.deliver(nid) == "pending"      # next channel, at once
    assert delivery.deliver(nid) == "sent"
    assert messages(w, "wechat_template") == [] and len(messages(w, "sms")) == 1
    outcomes = [a.outcome for a in db.session.execute(select(NotificationAttempt)
                                                      .order_by(NotificationAttempt.id)).scalars()]
    assert outcomes == ["fallback", "sent"]


def test_daily_quota_backs_off_and_falls_back(w):
    raise_trip(w)
    fault(w, channel="wechat_template", errcode=45009, times=1)
    [nid] = pending_ids()
    delivery.deliver(nid)
    assert delivery.deliver(nid) == "sent"
    assert len(messages(w, "sms")) == 1
    # WeChat is not called again today: the next alarm goes straight to SMS as well
    assert delivery.deliver(nid) == "sent"


def test_stale_token_is_refreshed_and_retried_once(w):
    raise_trip(w)
    fault(w, channel="wechat_template", errcode=40001, times=1)
    [nid] = pending_ids()
    assert delivery.deliver(nid) == "sent"
    assert len(messages(w, "wechat_template")) == 1


def test_transient_error_retries_later_on_the_same_channel(w):
    raise_trip(w)
    fault(w, channel="wechat_template", errcode=-1, times=1)
    [nid] = pending_ids()
    assert delivery.deliver(nid) == "pending"
    n = db.session.get(Notification, nid)
    db.session.refresh(n)
    assert n.channel_index == 0 and n.next_attempt_at > T0
    assert delivery.deliver(nid) == "pending"      # not due yet: nothing sent
    assert messages(w) == []
    n.next_attempt_at = n.created_at
    db.session.commit()
    assert delivery.deliver(nid) == "sent"


def test_subscribe_message_uses_a_grant_then_falls_back(w):
    profile = db.session.get(NotifyProfile, w["s1"])
    profile.channels, profile.mp_openid = ["wxa_subscribe", "sms"], "mp-s1"
    db.session.add(SubscribeGrant(user_id=w["s1"], template_id="SUB-ALARM", remaining=1))
    db.session.commit()
    requests.post(w["url"] + "/_standin/grants", json={"openid": "mp-s1",
                                                       "template_id": "SUB-ALARM", "count": 1})
    raise_trip(w)
    [nid] = pending_ids()
    assert delivery.deliver(nid) == "sent"
    assert db.session.get(SubscribeGrant, (w["s1"], "SUB-ALARM")).remaining == 0
    feed(T0 + timedelta(seconds=4), {w["d2"]: breaker(voltage_c=280.0, trip_cause="over_voltage",
                                                     switch_state="open")})
    [nid2] = pending_ids()
    assert delivery.deliver(nid2) == "pending"     # no grant left: next channel
    assert delivery.deliver(nid2) == "sent"
    assert [m["channel"] for m in messages(w)] == ["wechat_subscribe", "sms"]


def test_worker_killed_mid_send_is_never_repeated(w, monkeypatch):
    raise_trip(w)
    [nid] = pending_ids()

    def die(*args, **kwargs):                             # the process dies after the send
        raise SystemExit("killed")

    monkeypatch.setattr(outbox, "record", die)
    with pytest.raises(SystemExit):
        delivery.deliver(nid)
    monkeypatch.undo()
    db.session.rollback()
    assert delivery.deliver(nid) == "sending"      # a retry does nothing
    assert outbox.sweep() == 0                      # and it is not re-enqueued
    assert outbox.reap_stuck(now=T0 + timedelta(hours=1)) == 1
    n = db.session.get(Notification, nid)
    db.session.refresh(n)
    assert n.status == "unknown"
    assert len(messages(w)) == 1                          # exactly the one send


def test_escalation_to_the_next_tier_until_acknowledged(w):
    alarm = raise_trip(w)
    [nid] = pending_ids()
    delivery.deliver(nid)
    assert escalation.escalate_due(now=T0 + timedelta(minutes=4)) == []
    assert escalation.escalate_due(now=T0 + timedelta(minutes=6)) == [alarm.id]
    tier2 = db.session.execute(select(Notification).where(Notification.tier == 2)).scalars()
    assert [n.user_id for n in tier2] == [w["m1"]]
    assert escalation.escalate_due(now=T0 + timedelta(minutes=7)) == []   # not yet again
    assert escalation.escalate_due(now=T0 + timedelta(minutes=12)) == [alarm.id]
    tier3 = db.session.execute(select(Notification).where(Notification.tier == 3)).scalars()
    assert [n.user_id for n in tier3] == [w["ad"]]
    alarm_service.acknowledge(_actor(w), [alarm.id])
    assert escalation.escalate_due(now=T0 + timedelta(minutes=30)) == []
    for n in pending_ids():
        assert delivery.deliver(n) == "suppressed"  # acknowledged meanwhile


def test_top_tier_is_reminded_until_someone_acknowledges(w):
    alarm = raise_trip(w)
    for minutes in (6, 12, 18, 24):
        assert escalation.escalate_due(now=T0 + timedelta(minutes=minutes)) == [alarm.id]
    rows = db.session.execute(select(Notification.tier, Notification.event)
                              .order_by(Notification.id)).all()
    assert [tuple(r) for r in rows] == [(1, "raised"), (2, "escalated"), (3, "escalated"),
                                        (3, "reminder"), (3, "reminder")]


def test_a_job_lost_with_its_worker_is_enqueued_again_at_the_next_sweep(w):
    """A worker killed after taking the job from the queue, before running it: the row
    stays pending with no job waiting; the next sweep (every 5 s) enqueues it again,
    and never piles a second job behind one that is still waiting (issue 18, item 5)."""
    raise_trip(w)
    [nid] = pending_ids()
    q = get_queue("notify", redis.raw())
    assert outbox.sweep() == 0 and q.count == 1         # waiting: not enqueued twice
    [job_id] = q.job_ids
    redis.raw().lrem(q.key, 0, job_id)                 # taken by a worker that died
    assert q.count == 0
    assert outbox.sweep() == 1 and q.count == 1         # replaced at once
    SimpleWorker([q], connection=redis.raw()).work(burst=True)
    assert [m["recipient"] for m in messages(w, "wechat_template")] == ["oa-s1"]
    assert outbox.sweep() == 0
