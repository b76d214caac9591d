"""Who is told about an alarm, and when: recipients by tier, channel plans, the outbox
rows, and escalation.

``queue`` writes one ``notifications`` row per recipient in the caller's transaction,
keyed by a dedupe key (alarm, user, event), so running it twice for the same event
adds nothing. ``after_commit`` publishes the changed alarms on the live stream and
enqueues a delivery job per due row; ``sweep`` (periodic) picks up delayed rows and
retries, so a lost enqueue only delays a message.

Recipients: the site's ``alarm_recipients`` of that tier whose area is empty or the
alarm's area and whose ``min_level`` the alarm reaches; a site with none uses its users
by role (tier 1 staff, 2 managers, 3 admins). Escalation: an ``alarm``-level alarm
still *active* (nobody acknowledged) ``alarm_escalation_minutes`` after its last
notification goes to the next tier that has people, and at the top tier is repeated
to it, every interval, until someone acknowledges it. Warnings notify tier 1 once.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from backend.extensions import db, redis
from backend.models import (Alarm, AlarmRecipient, Notification, NotifyProfile, User,
                            WebPushSubscription, user_sites)
from backend.models.accounts import Role
from backend.models.alarms import LEVEL_RANK
from backend.models.notify import CHANNELS
from backend.services import stream
from backend.services.telemetry_common import setting, utcnow

log = logging.getLogger(__name__)
ROLE_TIERS = {Role.staff: 1, Role.manager: 2, Role.admin: 3}


def recipients(alarm: Alarm, tier: int) -> list[int]:
    rows = db.session.execute(select(AlarmRecipient.user_id, AlarmRecipient.area_id,
                                     AlarmRecipient.tier, AlarmRecipient.min_level)
                              .join(User, User.id == AlarmRecipient.user_id)
                              .where(AlarmRecipient.site_id == alarm.site_id,
                                     User.is_active)).all()
    if rows:
        return sorted({r.user_id for r in rows if r.tier == tier
                       and (r.area_id is None or r.area_id == alarm.area_id)
                       and LEVEL_RANK[alarm.level] >= LEVEL_RANK[r.min_level]})
    role = next((r for r, t in ROLE_TIERS.items() if t == tier), None)
    if role is None:
        return []
    return sorted(db.session.execute(
        select(User.id).join(user_sites, user_sites.c.user_id == User.id)
        .where(user_sites.c.site_id == alarm.site_id, User.is_active,
               User.role == role)).scalars())


def max_tier(alarm: Alarm) -> int:
    tiers = db.session.execute(select(AlarmRecipient.tier).where(
        AlarmRecipient.site_id == alarm.site_id)).scalars().all()
    return max(tiers) if tiers else max(ROLE_TIERS.values())


def channel_plan(user_id: int) -> tuple[list[str], str | None]:
    """The user's channels in order, kept only where we have an address and the
    channel is configured; (plan, reason if empty)."""
    user = db.session.get(User, user_id)
    profile = db.session.get(NotifyProfile, user_id)
    order = list(profile.channels) if profile and profile.channels else list(CHANNELS)
    usable = {
        "wechat_template": bool(profile and profile.oa_openid and setting("wechat_appid")
                                and setting("wechat_template_alarm")),
        "wxa_subscribe": bool(profile and profile.mp_openid and setting("wxa_appid")
                              and setting("wxa_subscribe_template")),
        "webpush": db.session.execute(select(WebPushSubscription.id).where(
            WebPushSubscription.user_id == user_id).limit(1)).first() is not None,
        "sms": bool(user and user.phone and setting("sms_provider") != "none"
                    and setting("sms_template_id")),
    }
    plan = [c for c in order if usable.get(c)]
    return plan, None if plan else "no reachable channel (no openid, subscription or phone)"


def first_tier(alarm: Alarm) -> int:
    """The lowest tier with someone in it (a site may have no staff, only managers)."""
    top = max_tier(alarm)
    return next((t for t in range(1, top + 1) if recipients(alarm, t)), 1)


def queue(alarm: Alarm, event: str, now: datetime, *, tier: int | None = None,
          delay: float = 0, key_suffix: str = "") -> list[int]:
    """Outbox rows for ``event`` of ``alarm`` to the tier's recipients (caller commits);
    no tier: the first one with people. Returns the ids of rows due now (delayed rows
    are left to ``sweep``)."""
    due = []
    tier = first_tier(alarm) if tier is None else tier
    users = recipients(alarm, tier)
    at = now + timedelta(seconds=delay)
    for user_id in users:
        plan, why = channel_plan(user_id)
        key = f"{alarm.id}:{user_id}:{event}:{tier}{key_suffix}"
        values = dict(alarm_id=alarm.id, user_id=user_id, event=event, tier=tier,
                      dedupe_key=key, channels=plan, channel_index=0,
                      status="pending" if plan else "failed", last_error=why,
                      next_attempt_at=at, created_at=now)
        new_id = db.session.execute(insert(Notification).values(**values)
                                    .on_conflict_do_nothing(
                                        constraint="uq_notifications_dedupe_key")
                                    .returning(Notification.id)).scalar()
        if new_id is not None and plan and not delay:
            due.append(new_id)
    if users:
        alarm.notified_tier = max(alarm.notified_tier or 0, tier)
        alarm.last_notified_at = now
    else:
        log.warning("alarm %s (%s): nobody to notify at tier %s", alarm.id, alarm.rule, tier)
    return due


def after_commit(alarm_ids, notification_ids) -> None:
    """Live-stream the changed alarms; enqueue the due deliveries."""
    from backend.services.alarms import summary

    if alarm_ids:
        for alarm in db.session.execute(select(Alarm).where(
                Alarm.id.in_(list(alarm_ids)))).scalars():
            stream.publish(alarm.site_id, "alarm", summary(alarm))
    enqueue(notification_ids)


QUEUED_KEY = "gw:notify:queued:{id}"
QUEUED_TTL = 120        # a queued delivery not started by then is enqueued again


def enqueue(notification_ids) -> int:
    """One delivery job per row not already waiting in the queue (a marker key, removed
    when the job starts), so the sweep never piles duplicates behind a busy worker."""
    if not notification_ids:
        return 0
    from workers.jobs.notify import deliver
    from workers.queues import get_queue

    q = get_queue("notify", redis.raw())
    client = redis.current()
    n = 0
    for nid in notification_ids:
        if not client.set(QUEUED_KEY.format(id=nid), 1, nx=True, ex=QUEUED_TTL):
            continue
        q.enqueue(deliver, nid, job_timeout=60, result_ttl=600, failure_ttl=7 * 86400,
                  ttl=3600, description=f"deliver notification {nid}")
        n += 1
    return n


def dequeued(notification_id: int) -> None:
    redis.current().delete(QUEUED_KEY.format(id=notification_id))


def escalate_due(now: datetime | None = None) -> list[int]:
    """Notify the next tier for every unacknowledged alarm whose last notification is
    older than the escalation delay; returns the alarm ids escalated. Idempotent: the
    row lock and the dedupe key (which carries the previous notification time) make a
    concurrent or repeated run add nothing."""
    from backend.services.alarm_apply import add_event   # alarm_apply imports this module

    now = now or utcnow()
    cutoff = now - timedelta(minutes=setting("alarm_escalation_minutes"))
    alarms = db.session.execute(select(Alarm).where(
        Alarm.state == "active", Alarm.level == "alarm", Alarm.parent_id.is_(None),
        Alarm.silenced.is_(False), Alarm.last_notified_at.is_not(None),
        Alarm.last_notified_at <= cutoff).with_for_update(skip_locked=True)).scalars().all()
    due, done = [], []
    for alarm in alarms:
        top = max_tier(alarm)
        tier = alarm.notified_tier + 1
        while tier <= top and not recipients(alarm, tier):
            tier += 1
        if tier > top:
            tier = top                       # nobody higher: remind the top tier again
        suffix = f":{alarm.last_notified_at.isoformat()}"
        event = "escalated" if tier > alarm.notified_tier else "reminder"
        add_event(alarm.id, "escalation", now, tier=tier, event=event)
        due += queue(alarm, event, now, tier=tier, key_suffix=suffix)
        alarm.last_notified_at = now          # also when nobody was found: retry later
        done.append(alarm.id)
    db.session.commit()
    after_commit(done, due)
    return done


def sweep(now: datetime | None = None, limit: int = 500) -> int:
    """Enqueue deliveries that are due (delayed or retrying); returns how many."""
    now = now or utcnow()
    ids = db.session.execute(select(Notification.id).where(
        Notification.status == "pending", Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at).limit(limit)).scalars().all()
    db.session.rollback()
    return enqueue(ids)
