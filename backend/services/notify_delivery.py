"""Deliver one outbox row: pick its current channel, send, record, retry or fall back.

Exactly-once is not on offer from WeChat or an SMS gateway (no idempotency key), so the
rule is *at most once per channel attempt*: the attempt row is committed ("sending")
before the provider is called. A job that is retried, or runs twice, finds the row no
longer ``pending`` and does nothing; a worker killed mid-send leaves the attempt in
"sending", which ``reap_stuck`` marks "unknown" and never repeats (escalation still
reaches the next tier if nobody acknowledges). Outcomes (backend/notify/base.py):
sent; retry (same channel after a backoff, up to ``notify_max_attempts`` times, then the
next channel); fallback / failed (the next channel now); nothing left: failed.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, select, update

from backend.alarms.catalogue import ALL_RULES
from backend.extensions import db, redis
from backend.models import (Alarm, Notification, NotificationAttempt, NotifyProfile, Site,
                            SubscribeGrant, User, WebPushSubscription)
from backend.notify.base import LEVEL_LABELS, Delivery, Message
from backend.services import alarm_context
from backend.services.telemetry_common import setting, utcnow

log = logging.getLogger(__name__)
STUCK_AFTER = timedelta(seconds=120)      # > the job timeout: the worker is gone
TRIP_ZH = {"over_voltage": "过压", "under_voltage": "欠压", "phase_loss": "缺相",
           "overload": "过载", "short_circuit": "短路", "over_power": "功率超限",
           "over_temperature": "超温", "residual_current": "漏电", "test": "试验",
           "other": "其他"}


def message_for(alarm: Alarm) -> Message:
    rule = ALL_RULES[alarm.rule]
    site = db.session.get(Site, alarm.site_id)
    ctx = alarm_context.devices([alarm.device_id]).get(alarm.device_id) \
        if alarm.device_id else None
    location = ctx.location if ctx else f"网关 {alarm.gateway_id}"
    if alarm.trip_cause:
        value = f"跳闸:{TRIP_ZH.get(alarm.trip_cause, alarm.trip_cause)}"
        if alarm.value is not None and rule.unit:
            value += f" {alarm.value:.1f}{rule.unit}"
    elif alarm.value is not None and rule.unit:
        value = f"{alarm.value:.1f}{rule.unit}"
    else:
        value = rule.zh
    return Message(title=f"{rule.zh}{LEVEL_LABELS[alarm.level]}", level=alarm.level,
                   site=site.name if site else "", location=location, value=value,
                   occurred_at=alarm.raised_at, alarm_id=alarm.id, state=alarm.state,
                   url_path=f"pages/alarm/detail?id={alarm.id}",
                   web_url=f"{setting('public_url')}/alarms/{alarm.id}")


def _why_not(n: Notification, alarm: Alarm | None) -> str | None:
    if alarm is None:
        return "alarm deleted"
    if alarm.parent_id is not None:
        return f"grouped under alarm {alarm.parent_id}"
    if alarm.acknowledged_at is not None or alarm.state == "closed":
        return "acknowledged before delivery"
    if alarm.silenced:
        return "in a maintenance window"
    return None


def deliver(notification_id: int) -> str:
    """Deliver (one channel attempt of) a notification; returns its status after."""
    from backend.services.alarm_notify import dequeued

    dequeued(notification_id)                 # from now on the sweep may enqueue it again
    now = utcnow()
    n = db.session.execute(select(Notification).where(Notification.id == notification_id)
                           .with_for_update(skip_locked=True)).scalar()
    if n is None or n.status != "pending" or n.next_attempt_at > now + timedelta(seconds=1):
        db.session.rollback()
        return "skipped" if n is None else n.status
    alarm = db.session.get(Alarm, n.alarm_id)
    why = _why_not(n, alarm)
    if why or n.channel_index >= len(n.channels):
        n.status, n.last_error = ("suppressed", why) if why else ("failed", "no channel left")
        db.session.commit()
        return n.status
    channel = n.channels[n.channel_index]
    attempt = NotificationAttempt(notification_id=n.id, channel=channel, started_at=now)
    db.session.add(attempt)
    n.status, n.attempts = "sending", n.attempts + 1
    grant = _take_grant(n.user_id) if channel == "wxa_subscribe" else None
    message = message_for(alarm)
    db.session.commit()                       # the attempt is on record before the send

    try:
        result = _send(channel, n.user_id, message, grant)
    except Exception as exc:                  # a channel bug must not lose the message
        log.exception("notification %s: %s channel raised", n.id, channel)
        result = Delivery("retry", f"internal error: {type(exc).__name__}"[:200],
                          code="internal_error")
    return _record(n.id, attempt.id, channel, result, grant)


def _record(nid: int, attempt_id: int, channel: str, result: Delivery, grant) -> str:
    now = utcnow()
    n = db.session.get(Notification, nid, with_for_update=True)
    db.session.execute(update(NotificationAttempt).where(NotificationAttempt.id == attempt_id)
                       .values(outcome=result.outcome, code=result.code, finished_at=now,
                               detail=result.detail[:1000],
                               provider_ref=result.provider_ref))
    if grant is not None and result.outcome != "sent":
        _return_grant(n.user_id, grant, refused=result.code == "wechat_43101")
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
    if due_now:
        from backend.services.alarm_notify import enqueue

        enqueue([n.id])
    log.info("notification %s via %s: %s (%s)", nid, channel, result.outcome, result.detail)
    return n.status


def _send(channel: str, user_id: int, message: Message, grant) -> Delivery:
    from backend.notify import sms, webpush, wechat

    profile = db.session.get(NotifyProfile, user_id)
    if channel == "wechat_template":
        client = wechat.template_channel(redis.current())
        if client is None or not (profile and profile.oa_openid):
            return Delivery("failed", "WeChat template channel not configured or no openid",
                            code="not_configured")
        return client.send(profile.oa_openid, message)
    if channel == "wxa_subscribe":
        client = wechat.subscribe_channel(redis.current())
        if client is None or not (profile and profile.mp_openid):
            return Delivery("failed", "subscribe channel not configured or no openid",
                            code="not_configured")
        if grant is None:
            return Delivery("fallback", "no subscribe grant left for this template",
                            code="no_grant")
        return client.send(profile.mp_openid, message)
    if channel == "sms":
        user = db.session.get(User, user_id)
        provider = sms.sms_provider()
        if provider is None or not (user and user.phone):
            return Delivery("failed", "SMS not configured or no phone", code="not_configured")
        return provider.send(user.phone, sms.alarm_params(message))
    if channel == "webpush":
        return _webpush(user_id, message, webpush.webpush_channel())
    return Delivery("failed", f"unknown channel {channel}", code="unknown_channel")


def _webpush(user_id: int, message: Message, client) -> Delivery:
    subs = db.session.execute(select(WebPushSubscription).where(
        WebPushSubscription.user_id == user_id)).scalars().all()
    if client is None or not subs:
        return Delivery("failed", "Web Push not configured or no subscription",
                        code="not_configured")
    results = []
    for sub in subs:
        r = client.send({"endpoint": sub.endpoint,
                         "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}, message)
        if r.code in ("http_404", "http_410"):
            db.session.execute(delete(WebPushSubscription).where(
                WebPushSubscription.id == sub.id))
        results.append(r)
    db.session.commit()
    for outcome in ("sent", "retry"):
        for r in results:
            if r.outcome == outcome:
                return r
    return results[0]


def _take_grant(user_id: int) -> str | None:
    template = setting("wxa_subscribe_template")
    taken = db.session.execute(update(SubscribeGrant).where(
        SubscribeGrant.user_id == user_id, SubscribeGrant.template_id == template,
        SubscribeGrant.remaining > 0).values(remaining=SubscribeGrant.remaining - 1,
                                             updated_at=utcnow())
        .returning(SubscribeGrant.template_id)).scalar()
    return taken


def _return_grant(user_id: int, template: str, *, refused: bool) -> None:
    """Not sent: give the grant back, unless WeChat says the user has none (43101)."""
    db.session.execute(update(SubscribeGrant).where(
        SubscribeGrant.user_id == user_id, SubscribeGrant.template_id == template)
        .values(remaining=0 if refused else SubscribeGrant.remaining + 1,
                updated_at=utcnow()))


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
    return len(stuck)
