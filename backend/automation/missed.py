"""A schedule's run was missed (found after the grace: the platform or the scheduler was
down): the site's managers are told and the live stream says so.

In the scheduler's transaction, one outbox row per manager of the site
(``notifications.schedule_run_id``: the newest missed occurrence of the pass), delivered
by the same outbox as alarms and approvals: one attempt per channel committed before the
provider call, retries, fallback, the sweep (backend/notify/outbox.py). After the commit,
a ``schedule_missed`` event on the site's stream and the delivery jobs.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from backend.automation.occurrences import zone
from backend.clock import utcnow
from backend.extensions import db
from backend.live import stream
from backend.models import Notification, Role, Schedule, ScheduleRun, Site, User, user_sites
from backend.notify import outbox
from backend.notify.base import Message
from backend.notify.plan import channel_plan
from backend.settings import setting

log = logging.getLogger(__name__)


def managers(site_id: int) -> list[int]:
    return list(db.session.scalars(
        select(User.id).join(user_sites, user_sites.c.user_id == User.id)
        .where(user_sites.c.site_id == site_id, User.is_active.is_(True),
               User.role == Role.manager).order_by(User.id)))


def report(s: Schedule, rows: list[ScheduleRun], total: int, tz) -> tuple[int, dict, list]:
    """Outbox rows for the managers (caller commits); (site id, the event, due row ids)
    for ``after_commit``. ``total``: every missed occurrence of the pass (rows may hold
    only the newest)."""
    latest = rows[-1]
    now, due = utcnow(), []
    for user_id in managers(s.site_id):
        plan, why = channel_plan(user_id)
        new_id = db.session.execute(insert(Notification).values(
            schedule_run_id=latest.id, user_id=user_id, event="schedule_missed", tier=1,
            dedupe_key=f"schedule_run:{latest.id}:{user_id}:missed", channels=plan,
            channel_index=0, status="pending" if plan else "failed", last_error=why,
            next_attempt_at=now, created_at=now)
            .on_conflict_do_nothing(constraint="uq_notifications_dedupe_key")
            .returning(Notification.id)).scalar()
        if new_id is not None and plan:
            due.append(new_id)
    if not due:
        log.warning("schedule %s missed %d runs and no manager can be told", s.id, total)
    event = {"schedule_id": s.id, "name": s.name, "count": total, "run_late": s.run_late,
             "schedule_run_id": latest.id,
             "missed": [{"id": r.id, "occurrence": r.occurrence.isoformat(),
                         "local": r.occurrence.astimezone(tz).isoformat(),
                         "status": r.status} for r in rows]}
    return s.site_id, event, due


def after_commit(site_id: int, event: dict, notification_ids: list[int]) -> None:
    try:
        stream.publish(site_id, "schedule_missed", event)
    except Exception:  # noqa: BLE001 - committed: the history and the outbox have it
        log.exception("schedule %s: could not publish schedule_missed", event["schedule_id"])
    outbox.enqueue(notification_ids)


def message_for(n: Notification) -> Message:
    run = db.session.get(ScheduleRun, n.schedule_run_id)
    schedule = db.session.get(Schedule, run.schedule_id)
    site = db.session.get(Site, run.site_id)
    local = run.occurrence.astimezone(zone(site.timezone if site else None))
    late = run.status == "ran_late"
    return Message(title="定时任务未按时执行", level="warning", site=site.name if site else "",
                   location=schedule.name if schedule else "",
                   value=f"{local:%m-%d %H:%M} {'已补执行' if late else '未执行'}",
                   occurred_at=run.occurrence, alarm_id=run.id,
                   state="已补执行" if late else "未执行", kind="schedule",
                   web_url=f"{setting('public_url')}/schedules?missed={run.schedule_id}")


def deliver(notification_id: int) -> str:
    """One channel attempt of a manager's row (the notify.deliver job for missed runs)."""
    return outbox.deliver(notification_id, lambda n: None, message_for)
