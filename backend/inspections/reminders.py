"""A plan fell due: the site's managers are told, once per due date.

The periodic job ``inspections.remind`` (backend/jobs.py) looks at enabled plans whose
``next_due`` is today or earlier in their site's time zone. For each (plan, due date) it
inserts one ``inspection_reminders`` row (unique: a second pass, or a second scheduler,
inserts nothing) and, in the same transaction, one outbox row per active manager of the
site, delivered like schedules' missed runs (backend/automation/missed.py): the outbox's
retries, channel fallback and sweep (backend/notify/outbox.py). A plan recorded and due
again later gets a new reminder for its new due date.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from backend.clock import utcnow
from backend.extensions import db
from backend.inspections.operations import local_today
from backend.models import (
    InspectionPlan,
    InspectionReminder,
    Notification,
    Role,
    Site,
    User,
    user_sites,
)
from backend.notify import outbox
from backend.notify.base import Message
from backend.notify.plan import channel_plan
from backend.settings import setting

log = logging.getLogger(__name__)
KIND_LABELS = {"inspection": "巡检", "generator_maintenance": "发电机维保",
               "generator_load_test": "发电机带载试验", "switchover_test": "双电源切换试验"}


def managers(site_id: int) -> list[int]:
    return list(db.session.scalars(
        select(User.id).join(user_sites, user_sites.c.user_id == User.id)
        .where(user_sites.c.site_id == site_id, User.is_active.is_(True),
               User.role == Role.manager).order_by(User.id)))


def remind_due(now: datetime | None = None) -> list[int]:
    """Reminders for plans due now; commits; returns the new outbox row ids (enqueued)."""
    now = now or utcnow()
    candidates = db.session.scalars(select(InspectionPlan).where(
        InspectionPlan.enabled.is_(True),
        InspectionPlan.next_due <= (now + timedelta(days=1)).date())
        .order_by(InspectionPlan.id)).all()
    due_ids = []
    for plan in candidates:
        if plan.next_due > local_today(plan.site_id, now):
            continue
        reminder_id = db.session.execute(insert(InspectionReminder).values(
            plan_id=plan.id, site_id=plan.site_id, due_on=plan.next_due, created_at=now)
            .on_conflict_do_nothing(constraint="uq_inspection_reminders_due")
            .returning(InspectionReminder.id)).scalar()
        if reminder_id is None:
            continue                                   # told already for this due date
        told = 0
        for user_id in managers(plan.site_id):
            channels, why = channel_plan(user_id)
            new_id = db.session.execute(insert(Notification).values(
                inspection_reminder_id=reminder_id, user_id=user_id, event="inspection_due",
                tier=1, dedupe_key=f"inspection:{plan.id}:{plan.next_due}:{user_id}",
                channels=channels, channel_index=0,
                status="pending" if channels else "failed", last_error=why,
                next_attempt_at=now, created_at=now)
                .on_conflict_do_nothing(constraint="uq_notifications_dedupe_key")
                .returning(Notification.id)).scalar()
            if new_id is not None and channels:
                due_ids.append(new_id)
                told += 1
        if not told:
            log.warning("inspection plan %s is due on %s and no manager can be told",
                        plan.id, plan.next_due)
    db.session.commit()
    outbox.enqueue(due_ids)
    return due_ids


def message_for(n: Notification) -> Message:
    reminder = db.session.get(InspectionReminder, n.inspection_reminder_id)
    plan = db.session.get(InspectionPlan, reminder.plan_id)
    site = db.session.get(Site, reminder.site_id)
    today = local_today(reminder.site_id)
    late = (today - reminder.due_on).days
    state = f"已逾期 {late} 天" if late > 0 else "今日到期"
    return Message(title=f"{KIND_LABELS.get(plan.kind, '巡检')}到期", level="warning",
                   site=site.name if site else "", location=plan.name,
                   value=f"{reminder.due_on:%Y-%m-%d} {state}",
                   occurred_at=datetime.combine(reminder.due_on, datetime.min.time()),
                   alarm_id=reminder.id, state=state, kind="inspection",
                   web_url=f"{setting('public_url')}/inspections?plan={plan.id}")


def deliver(notification_id: int) -> str:
    """One channel attempt of a manager's row (the notify.deliver job for reminders)."""
    return outbox.deliver(notification_id, lambda n: None, message_for)
