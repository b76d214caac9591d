"""The alarm lifecycle as people see it: list and filter, detail with the timeline,
acknowledge (one or many), comment, assign, close.

States: active -> acknowledged -> cleared -> closed. The engine moves an alarm to
*cleared* when its condition is gone (from active or acknowledged); people acknowledge
an active one (which stops escalation) and close a cleared one. An alarm whose cause
is still present cannot be closed: it would be raised again at the next poll, so the
answer is a maintenance window or a rule change. Every action is a timeline event, an
audit entry and a live-stream event.
"""
from __future__ import annotations

import logging

from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.alarms.timeline import add_event
from backend.clock import iso, utcnow
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.extensions import db
from backend.live import stream
from backend.models import (
    Alarm,
    AlarmEvent,
    Notification,
    NotificationAttempt,
    Role,
    User,
    user_sites,
)

log = logging.getLogger(__name__)

FILTERS = ("site_id", "area_id", "circuit_id", "device_id", "board_id", "gateway_id",
           "rule", "parent_id", "assignee_id")


def summary(a: Alarm) -> dict:
    """The alarm as the live stream and lists carry it."""
    return {"id": a.id, "site_id": a.site_id, "device_id": a.device_id,
            "gateway_id": a.gateway_id, "circuit_id": a.circuit_id, "area_id": a.area_id,
            "board_id": a.board_id, "rule": a.rule, "level": a.level, "state": a.state,
            "value": a.value, "threshold": a.threshold, "unit": a.unit,
            "trip_cause": a.trip_cause, "message": a.message, "parent_id": a.parent_id,
            "flapping": a.flapping, "silenced": a.silenced,
            "raised_at": iso(a.raised_at), "acknowledged_at": a.acknowledged_at
            and iso(a.acknowledged_at), "cleared_at": a.cleared_at and iso(a.cleared_at),
            "closed_at": a.closed_at and iso(a.closed_at), "assignee_id": a.assignee_id}


def select_alarms(actor: Actor, args: dict):
    stmt = select(Alarm)
    if not actor.is_superadmin:
        stmt = stmt.where(Alarm.site_id.in_(actor.site_ids))
    for name in FILTERS:
        if args.get(name) is not None:
            stmt = stmt.where(getattr(Alarm, name) == args[name])
    if args.get("level"):
        stmt = stmt.where(Alarm.level.in_(args["level"]))
    if args.get("state"):
        stmt = stmt.where(Alarm.state.in_(args["state"]))
    if args.get("root_only"):
        stmt = stmt.where(Alarm.parent_id.is_(None))
    if args.get("since"):
        stmt = stmt.where(Alarm.raised_at >= args["since"])
    if args.get("until"):
        stmt = stmt.where(Alarm.raised_at < args["until"])
    return stmt.order_by(Alarm.raised_at.desc(), Alarm.id.desc())


def get(actor: Actor, alarm_id: int, *, lock: bool = False) -> Alarm:
    alarm = db.session.get(Alarm, alarm_id, with_for_update=lock or None)
    if alarm is None or not actor.can_see_site(alarm.site_id):
        raise NotFound(f"alarm {alarm_id} not found", error="alarm_not_found")
    return alarm


def detail(actor: Actor, alarm_id: int) -> dict:
    """The alarm, its timeline (events and every notification attempt, in time order),
    its grouped children and its notifications."""
    alarm = get(actor, alarm_id)
    out = {c.key: getattr(alarm, c.key) for c in Alarm.__table__.columns
           if c.key not in ("created_at", "updated_at", "last_notified_at")}
    names = {}
    timeline = []
    for e in db.session.execute(select(AlarmEvent).where(AlarmEvent.alarm_id == alarm.id)
                                .order_by(AlarmEvent.at, AlarmEvent.id)).scalars():
        timeline.append({"at": e.at, "kind": e.kind, "user_id": e.user_id,
                         "data": e.data or {}})
        if e.user_id:
            names[e.user_id] = None
    notes = db.session.execute(select(Notification).where(Notification.alarm_id == alarm.id)
                               .order_by(Notification.id)).scalars().all()
    attempts = db.session.execute(
        select(NotificationAttempt, Notification.user_id, Notification.event)
        .join(Notification, Notification.id == NotificationAttempt.notification_id)
        .where(Notification.alarm_id == alarm.id)).all()
    for att, user_id, event in attempts:
        names[user_id] = None
        timeline.append({"at": att.started_at, "kind": "notification",
                         "user_id": user_id,
                         "data": {"event": event, "channel": att.channel,
                                  "outcome": att.outcome, "code": att.code,
                                  "detail": att.detail}})
    timeline.sort(key=lambda t: t["at"])
    names.update({n.user_id: None for n in notes if n.user_id})
    if names:
        for uid, uname, dname in db.session.execute(select(
                User.id, User.username, User.display_name).where(User.id.in_(list(names)))):
            names[uid] = dname or uname
    for t in timeline:
        t["user"] = names.get(t["user_id"])
    out["timeline"] = timeline
    out["children"] = list(db.session.execute(
        select(Alarm).where(Alarm.parent_id == alarm.id).order_by(Alarm.id)).scalars())
    out["notifications"] = [{"id": n.id, "user_id": n.user_id, "user": names.get(n.user_id),
                             "event": n.event, "tier": n.tier, "status": n.status,
                             "channels": n.channels, "sent_channel": n.sent_channel,
                             "attempts": n.attempts, "sent_at": n.sent_at,
                             "last_error": n.last_error} for n in notes]
    return out


def _changed(actor: Actor, alarm: Alarm, action: str, before: dict) -> None:
    audit.record(actor, action, "alarm", alarm.id, site_id=alarm.site_id, before=before,
                 after=audit.snapshot(alarm))


def acknowledge(actor: Actor, alarm_ids: list[int], comment: str | None = None) -> list[Alarm]:
    """Acknowledge active alarms (and their grouped children): stops escalation.
    Already acknowledged, cleared or closed ones are left as they are (idempotent)."""
    now = utcnow()
    done = []
    for alarm_id in sorted(set(alarm_ids)):
        alarm = get(actor, alarm_id, lock=True)
        family = [alarm] + db.session.execute(select(Alarm).where(
            Alarm.parent_id == alarm.id, Alarm.state == "active")
            .with_for_update()).scalars().all()
        for a in family:
            if a.acknowledged_at is not None or a.state not in ("active", "cleared"):
                continue
            before = audit.snapshot(a)
            a.acknowledged_at, a.acknowledged_by = now, actor.user_id
            if a.state == "active":
                a.state = "acknowledged"
            add_event(a.id, "acknowledged", now, actor.user_id, comment=comment or None,
                   via=None if a is alarm else alarm.id)
            _changed(actor, a, "acknowledge", before)
            done.append(a)
    db.session.commit()
    _publish(done)
    return done


def comment(actor: Actor, alarm_id: int, text: str) -> dict:
    alarm = get(actor, alarm_id)
    now = utcnow()
    add_event(alarm.id, "comment", now, actor.user_id, text=text)
    audit.record(actor, "comment", "alarm", alarm.id, site_id=alarm.site_id,
                 after={"comment": text})
    db.session.commit()
    return {"at": now, "kind": "comment", "user_id": actor.user_id, "data": {"text": text}}


def assign(actor: Actor, alarm_id: int, user_id: int | None) -> Alarm:
    if user_id != actor.user_id:
        actor.require_role(Role.manager)      # staff may take an alarm, not hand one out
    alarm = get(actor, alarm_id, lock=True)
    if user_id is not None and not _has_site(user_id, alarm.site_id):
        raise ValidationFailed(f"user {user_id} cannot be assigned: no access to the site",
                               errors={"user_id": ["not a user of this alarm's site"]})
    before = audit.snapshot(alarm)
    alarm.assignee_id = user_id
    add_event(alarm.id, "assigned", utcnow(), actor.user_id, assignee_id=user_id)
    _changed(actor, alarm, "assign", before)
    db.session.commit()
    _publish([alarm])
    return alarm


def close(actor: Actor, alarm_id: int, text: str | None = None) -> Alarm:
    alarm = get(actor, alarm_id, lock=True)
    if alarm.state == "closed":
        return alarm
    if alarm.state != "cleared":
        raise Conflict(f"alarm {alarm_id} is {alarm.state}: only a cleared alarm can be "
                       "closed (its cause is still present)", error="alarm_not_cleared")
    before = audit.snapshot(alarm)
    now = utcnow()
    alarm.state, alarm.closed_at, alarm.closed_by = "closed", now, actor.user_id
    add_event(alarm.id, "closed", now, actor.user_id, comment=text or None)
    _changed(actor, alarm, "close", before)
    db.session.commit()
    _publish([alarm])
    return alarm


def assignees(actor: Actor, alarm_id: int) -> list[User]:
    """Active users who can see the alarm's site: whom a manager may assign it to."""
    actor.require_role(Role.manager)
    alarm = get(actor, alarm_id)
    granted = select(user_sites.c.user_id).where(user_sites.c.site_id == alarm.site_id)
    return list(db.session.execute(select(User).where(
        User.is_active, User.id.in_(granted)).order_by(User.username)).scalars())


def _has_site(user_id: int, site_id: int) -> bool:
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return False
    return user.is_superadmin or db.session.execute(select(user_sites.c.user_id).where(
        user_sites.c.user_id == user_id, user_sites.c.site_id == site_id)).first() is not None


def _publish(alarms) -> None:
    for a in alarms:
        stream.publish(a.site_id, "alarm", summary(a))


def publish_after_commit(alarms) -> None:
    """The live events ``_publish`` sends, for a change committed by the caller (a
    service whose view commits): each alarm's summary as it is now, sent once the
    transaction commits, dropped if it rolls back (a savepoint's rollback keeps them:
    nothing here is added inside one)."""
    session = db.session()
    if not session.info.get("gw_alarms_listening"):
        # Permanent listeners, once per session object (as backend/control/queue.py).
        sa_event.listen(session, "after_commit", _after_commit)
        sa_event.listen(session, "after_rollback", _after_rollback)
        session.info["gw_alarms_listening"] = True
    pending = session.info.setdefault("gw_alarms_publish", {})
    for a in alarms:
        pending[a.id] = summary(a)


def _after_rollback(session) -> None:
    if not session.in_nested_transaction():
        session.info.pop("gw_alarms_publish", None)


def _after_commit(session) -> None:
    if session.in_nested_transaction():
        return
    pending = session.info.pop("gw_alarms_publish", None)
    try:
        for doc in (pending or {}).values():
            stream.publish(doc["site_id"], "alarm", doc)
    except Exception:  # noqa: BLE001 - committed: open clients see it at their next load
        log.exception("alarms: could not publish after commit")


def counts(actor: Actor, site_id: int | None = None) -> dict:
    """Open alarms by level and state (the cockpit's badge)."""
    stmt = select(Alarm.level, Alarm.state, func.count()).where(
        Alarm.state.in_(("active", "acknowledged")), Alarm.parent_id.is_(None))
    if not actor.is_superadmin:
        stmt = stmt.where(Alarm.site_id.in_(actor.site_ids))
    if site_id is not None:
        stmt = stmt.where(Alarm.site_id == site_id)
    out = {"warning": {"active": 0, "acknowledged": 0}, "alarm": {"active": 0,
                                                                   "acknowledged": 0}}
    for level, state, n in db.session.execute(stmt.group_by(Alarm.level, Alarm.state)):
        out[level][state] = n
    return out

