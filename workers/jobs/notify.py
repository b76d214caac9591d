"""Notification jobs: deliver one outbox row; sweep for due and stuck rows; escalate.

``deliver`` takes the row id and is idempotent (backend/alarms/delivery.py): enqueued
right after the alarm change commits, and again by ``sweep`` for rows that are due
(delayed for grouping, retrying, or whose job was lost).
"""
from __future__ import annotations

import logging

from rq import get_current_job
from sqlalchemy import select

from backend.alarms import delivery, escalation
from backend.automation import missed
from backend.control import approvals
from backend.extensions import db
from backend.inspections import reminders
from backend.models import Notification
from backend.notify import outbox
from backend.runtime.context import app_context

log = logging.getLogger(__name__)


def deliver(notification_id: int) -> str:
    """An alarm's row (backend/alarms/delivery.py), an approver's (a command awaiting
    approval: backend/control/approvals.py) or a manager's (a schedule's missed run:
    backend/automation/missed.py; an inspection plan fell due:
    backend/inspections/reminders.py)."""
    with app_context():
        about_command, about_run, about_plan = db.session.execute(
            select(Notification.command_id, Notification.schedule_run_id,
                   Notification.inspection_reminder_id)
            .where(Notification.id == notification_id)).one_or_none() or (None, None, None)
        if about_command is not None:
            status = approvals.deliver(notification_id)
        elif about_run is not None:
            status = missed.deliver(notification_id)
        elif about_plan is not None:
            status = reminders.deliver(notification_id)
        else:
            status = delivery.deliver(notification_id)
    job = get_current_job()
    log.debug("job %s: notification %s -> %s", job.id if job else "-", notification_id, status)
    return status


def sweep() -> dict:
    """Mark attempts a dead worker left "sending" as unknown; enqueue due rows."""
    with app_context():
        done = outbox.housekeeping()
    if done["stuck"]:
        log.warning("notify sweep: %d attempts left by a stopped worker marked unknown",
                    done["stuck"])
    return done


def escalate() -> list[int]:
    """Next tier for unacknowledged alarms past the escalation delay."""
    with app_context():
        escalated = escalation.escalate_due()
    if escalated:
        log.info("escalated alarms %s", escalated)
    return escalated
