"""Approvers are told: a command on a protected circuit that waits for a second person
gets one outbox row (``notifications.command_id``) per user who may approve it (control
rights on that circuit, not the requester), delivered through the alarm channels
(WeChat template, subscribe message, Web Push, SMS, per user's fallback order) by the same
outbox machinery as alarms: rows first, one attempt per channel committed before the
provider call, retries, fallback, the sweep (backend/notify/outbox.py). A row still due
once the command was decided is suppressed rather than sent."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from backend.accounts.security import Actor
from backend.clock import utcnow
from backend.control.rights import can_control
from backend.extensions import db
from backend.models import Circuit, Command, Device, Notification, Site, User, user_sites
from backend.notify import outbox
from backend.notify.base import Message
from backend.notify.plan import channel_plan
from backend.settings import setting

log = logging.getLogger(__name__)

ACTION_ZH = {"open": "分闸", "close": "合闸", "reset": "复位", "on": "开启", "off": "关闭",
             "dim": "调光", "settings": "修改参数"}


def approvers(cmd: Command) -> list[int]:
    device = db.session.get(Device, cmd.device_id)
    users = db.session.scalars(select(User).join(user_sites, user_sites.c.user_id == User.id)
                               .where(user_sites.c.site_id == cmd.site_id,
                                      User.is_active.is_(True))).all()
    return [u.id for u in users if u.id != cmd.requested_by
            and can_control(Actor.of(u), device)]


def queue_approvers(cmd: Command) -> list[int]:
    """Outbox rows for the approvers (caller commits); the ids due now."""
    now, due = utcnow(), []
    for user_id in approvers(cmd):
        plan, why = channel_plan(user_id)
        new_id = db.session.execute(insert(Notification).values(
            command_id=cmd.id, user_id=user_id, event="approval", tier=1,
            dedupe_key=f"cmd:{cmd.id}:{user_id}:approval", channels=plan, channel_index=0,
            status="pending" if plan else "failed", last_error=why, next_attempt_at=now,
            created_at=now).on_conflict_do_nothing(constraint="uq_notifications_dedupe_key")
            .returning(Notification.id)).scalar()
        if new_id is not None and plan:
            due.append(new_id)
    if not due:
        log.warning("command %s awaits approval and nobody can be told", cmd.id)
    return due


def message_for(cmd: Command) -> Message:
    device = db.session.get(Device, cmd.device_id)
    circuit = db.session.get(Circuit, cmd.circuit_id) if cmd.circuit_id else None
    site = db.session.get(Site, cmd.site_id)
    where = " ".join(x for x in ((circuit.name if circuit else ""), device.name) if x)
    return Message(title=f"待审批：{ACTION_ZH.get(cmd.action, cmd.action)}", level="alarm",
                   site=site.name if site else "", location=where,
                   value=f"{cmd.requested_by_name}：{cmd.reason}", occurred_at=cmd.requested_at,
                   alarm_id=cmd.id, state="awaiting_approval", kind="command",
                   url_path=f"pages/command/detail?id={cmd.id}",
                   web_url=f"{setting('public_url')}/commands/{cmd.id}")


def deliver(notification_id: int) -> str:
    """One channel attempt of an approver's row (the notify.deliver job for commands);
    suppressed once the command was decided."""
    def command(n: Notification) -> Command | None:
        return db.session.get(Command, n.command_id)

    def why_not(n: Notification) -> str | None:
        cmd = command(n)
        return None if cmd is not None and cmd.state == "awaiting_approval" \
            else "decided before delivery"

    return outbox.deliver(notification_id, why_not, lambda n: message_for(command(n)))
