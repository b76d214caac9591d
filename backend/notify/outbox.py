"""The notification outbox, channel side: delivery jobs for due rows, the record of each
channel attempt, retry and fallback, and attempts a stopped worker left behind.

Exactly-once is not on offer from WeChat or an SMS gateway (no idempotency key), so the
rule is *at most once per channel attempt*: ``start_attempt`` commits the attempt
("sending") before the provider is called. A job that is retried, or runs twice, finds the
row no longer ``pending`` and does nothing; a worker killed mid-send leaves the attempt in
"sending", which ``reap_stuck`` marks "unknown" and never repeats. Outcomes
(backend/notify/base.py): sent; retry (same channel after a backoff, up to
``notify_max_attempts`` times, then the next channel); fallback / failed (the next channel
now); nothing left: failed.

What a row is about (an alarm) and whether it is still worth sending is the alarms
domain's business (backend/alarms/delivery.py); this module knows rows and channels.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update

from backend import jobs, metrics
from backend.clock import utcnow
from backend.extensions import db, redis
from backend.models import Notification, NotificationAttempt
from backend.notify.base import Delivery, Message
from backend.notify.send import return_grant, send, take_grant
from backend.settings import setting

log = logging.getLogger(__name__)
STUCK_AFTER = timedelta(seconds=120)      # > the job timeout: the worker is gone
QUEUED_KEY = "gw:notify:queued:{id}"      # the id of the delivery job waiting for the row
QUEUED_TTL = 3600                         # the delivery job's own queue ttl


def enqueue(notification_ids) -> int:
    """One delivery job per row not already waiting in the queue, so the sweep never piles
    duplicates behind a busy worker. "Waiting" is checked in the queue itself: a job that
    left it without running (its worker was killed after taking it) is replaced at the
    next sweep, within seconds. A duplicate is harmless: the second job finds the row no
    longer pending (``claim``)."""
    if not notification_ids:
        return 0
    client = redis.current()
    queue_key = jobs.get_queue(jobs.JOBS["notify.deliver"].queue, redis.raw()).key
    n = 0
    for nid in notification_ids:
        key = QUEUED_KEY.format(id=nid)
        waiting = client.get(key)
        if waiting and client.lpos(queue_key, waiting) is not None:
            continue
        job = jobs.enqueue("notify.deliver", nid, description=f"deliver notification {nid}")
        client.set(key, job.id, ex=QUEUED_TTL)
        n += 1
    return n


def dequeued(notification_id: int) -> None:
    """The delivery job has started: its marker goes (the queue check would also see it)."""
    redis.current().delete(QUEUED_KEY.format(id=notification_id))


def sweep(now: datetime | None = None, limit: int = 500) -> int:
    """Enqueue deliveries that are due (delayed or retrying); returns how many."""
    now = now or utcnow()
    ids = db.session.execute(select(Notification.id).where(
        Notification.status == "pending", Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at).limit(limit)).scalars().all()
    db.session.rollback()
    return enqueue(ids)


def housekeeping() -> dict:
    """The periodic safety net: attempts a dead worker left "sending" marked unknown, then
    the due rows enqueued. Returns how many of each."""
    stuck = reap_stuck()
    return {"stuck": stuck, "enqueued": sweep()}


def deliver(notification_id: int, why_not: Callable[[Notification], str | None],
            message: Callable[[Notification], Message]) -> str:
    """One channel attempt of a row, whatever it tells (an alarm, a command awaiting
    approval): claimed (locked, pending, due), suppressed when ``why_not`` gives a reason,
    its attempt committed before the provider is called, the outcome recorded (retry or
    fallback). Returns the row's status after."""
    dequeued(notification_id)                 # from now on the sweep may enqueue it again
    now = utcnow()
    n, status = claim(notification_id, now)
    if n is None:
        return status
    why = why_not(n)
    if why or n.channel_index >= len(n.channels):
        n.status, n.last_error = ("suppressed", why) if why else ("failed", "no channel left")
        db.session.commit()
        return n.status
    attempt, grant = start_attempt(n, now)
    text = message(n)
    db.session.commit()                       # the attempt is on record before the send
    try:
        result = send(attempt.channel, n.user_id, text, grant)
    except Exception as exc:                  # a channel bug must not lose the message
        log.exception("notification %s: %s channel raised", n.id, attempt.channel,
                      extra={"notification_id": n.id})
        result = Delivery("retry", f"internal error: {type(exc).__name__}"[:200],
                          code="internal_error")
    return record(n.id, attempt.id, attempt.channel, result, grant)


def claim(notification_id: int, now: datetime) -> tuple[Notification | None, str]:
    """(the row, locked, "pending") if it is pending and due; otherwise (None, its status
    or "skipped" when it is gone), with nothing held."""
    n = db.session.execute(select(Notification).where(Notification.id == notification_id)
                           .with_for_update(skip_locked=True)).scalar()
    if n is None or n.status != "pending" or n.next_attempt_at > now + timedelta(seconds=1):
        db.session.rollback()
        return None, "skipped" if n is None else n.status
    return n, n.status


def start_attempt(n: Notification, now: datetime) -> tuple[NotificationAttempt, str | None]:
    """Put the attempt of the row's current channel on record (the caller commits before
    it sends); a subscribe message takes one of the user's grants."""
    channel = n.channels[n.channel_index]
    attempt = NotificationAttempt(notification_id=n.id, channel=channel, started_at=now)
    db.session.add(attempt)
    n.status, n.attempts = "sending", n.attempts + 1
    grant = take_grant(n.user_id) if channel == "wxa_subscribe" else None
    return attempt, grant


def record(nid: int, attempt_id: int, channel: str, result: Delivery, grant) -> str:
    """The attempt's outcome, and what happens next: sent, retry later, the next channel
    now, or failed. Returns the row's status."""
    now = utcnow()
    n = db.session.get(Notification, nid, with_for_update=True)
    db.session.execute(update(NotificationAttempt).where(NotificationAttempt.id == attempt_id)
                       .values(outcome=result.outcome, code=result.code, finished_at=now,
                               detail=result.detail[:1000],
                               provider_ref=result.provider_ref))
    if grant is not None and result.outcome != "sent":
        return_grant(n.user_id, grant, refused=result.code == "wechat_43101")
    due_now = False
    if result.outcome == "sent":
        n.status, n.sent_at, n.sent_channel, n.last_error = "sent", now, channel, None
    else:
        n.last_error = f"{channel}: {result.detail}"[:1000]
        tries = db.session.execute(select(NotificationAttempt.id).where(
            NotificationAttempt.notification_id == n.id,
            NotificationAttempt.channel == channel)).all()
        if result.outcome == "retry" and len(tries) < setting("notify_max_attempts"):
            wait = result.retry_after or min(300.0, 5.0 * 2 ** (len(tries) - 1))
            n.status, n.next_attempt_at = "pending", now + timedelta(seconds=wait)
        elif n.channel_index + 1 < len(n.channels):
            n.channel_index += 1
            n.status, n.next_attempt_at, due_now = "pending", now, True
        else:
            n.status = "failed"
    db.session.commit()
    metrics.NOTIFY_ATTEMPTS.labels(channel, result.outcome).inc()
    if due_now:
        enqueue([n.id])
    log.info("notification %s via %s: %s (%s)", nid, channel, result.outcome, result.detail,
             extra={"notification_id": nid, "channel": channel,
                    **({"alarm_id": n.alarm_id} if n.alarm_id else {})})
    return n.status


def reap_stuck(now=None) -> int:
    """Attempts left "sending" by a dead worker: marked unknown, never repeated."""
    now = now or utcnow()
    stuck = db.session.execute(select(NotificationAttempt).where(
        NotificationAttempt.outcome == "sending",
        NotificationAttempt.started_at < now - STUCK_AFTER).with_for_update(
        skip_locked=True)).scalars().all()
    for att in stuck:
        att.outcome, att.finished_at = "unknown", now
        att.detail = "worker stopped during the send; not repeated (it may have arrived)"
        db.session.execute(update(Notification).where(
            Notification.id == att.notification_id, Notification.status == "sending")
            .values(status="unknown", last_error=att.detail))
    db.session.commit()
    for att in stuck:
        metrics.NOTIFY_ATTEMPTS.labels(att.channel, "unknown").inc()
    return len(stuck)
