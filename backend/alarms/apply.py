"""Persist what the rule engine decided: rule state, alarm records, their timeline,
topology grouping, maintenance silencing and the notification outbox, in one
transaction; then publish the changed alarms on the live stream and hand the outbox
rows to the notify queue.

Grouping (docs/alarms.md): a loss-of-supply alarm (``groupable`` rules: under-voltage,
phase loss, communication loss) gets as parent the open alarm of the nearest upstream
device that reports a trip (or that is itself such a consequence: its root is used),
or for communication loss the open ``gateway_offline`` alarm of its gateway. Roots are
applied before consequences (upstream first), and a new root adopts the orphan
consequences downstream raised shortly before it (a poll may see the child's loss of
supply before the parent's trip). Grouped alarms are recorded and notify nobody; their
root notifies once. The notification of a groupable alarm waits
``alarm_group_delay_seconds`` so that a root found meanwhile can still adopt it.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from backend.alarms import catalogue, outbox
from backend.alarms import context as alarm_context
from backend.alarms.maintenance import active_windows
from backend.alarms.timeline import add_event
from backend.extensions import db, redis
from backend.models import Alarm, AlarmRuleState, Notification
from backend.models.alarms import OPEN_STATES
from backend.settings import setting

events = logging.getLogger("gridwarden.events")   # one line per raise/clear
ADOPT_WINDOW = timedelta(seconds=120)
ANNOUNCE_KEY = "gw:alarms:announce"     # deferred raise lines: alarm id -> when due


def _order(change) -> tuple:
    t = change.transition
    is_root = change.rule == "gateway_offline" or (change.trip_cause is not None and not
                                                   catalogue.ALL_RULES[change.rule].groupable)
    depth = change.device.depth if change.device else -1
    return (0 if t is None else 1, 0 if is_root else 1, depth)


def apply(changes, now: datetime) -> list[int]:
    """Write every change in one transaction; returns the ids of changed alarms."""
    session = db.session
    touched, due, announced, deferred = [], [], [], []
    windows = active_windows({c.site_id for c in changes}, now)
    for c in sorted(changes, key=_order):
        _save_state(c, now)
        t = c.transition
        if t is None:
            continue
        if t.kind == "raise":
            alarm = _raise(c, now, windows)
            c.alarm_id = alarm.id
            rule = catalogue.ALL_RULES[c.rule]
            if alarm.parent_id is None:
                # A loss of supply may still be grouped under a trip another gateway's
                # poll reports a moment later: its line waits as its messages do.
                (deferred if rule.groupable else announced).append(
                    ("raise", alarm.id, c))
            if not alarm.silenced and alarm.parent_id is None:
                delay = setting("alarm_group_delay_seconds") if rule.groupable else 0
                due += outbox.queue(alarm, "flapping" if t.flapping else "raised",
                                    now, delay=delay)
            if _is_root(alarm):
                _adopt(alarm, c, now)
        elif c.alarm_id is not None:
            alarm = session.get(Alarm, c.alarm_id, with_for_update=True)
            if t.kind == "escalate":
                add_event(alarm.id, "escalated", now, level=t.level, value=c.value,
                          threshold=c.threshold, trip_cause=c.trip_cause)
                alarm.level, alarm.escalated_at = t.level, now
                alarm.value, alarm.threshold = c.value, c.threshold
                alarm.trip_cause = c.trip_cause or alarm.trip_cause
                if not alarm.silenced and alarm.parent_id is None and alarm.state == "active":
                    due += outbox.queue(alarm, "to_alarm", now)
            elif t.kind == "trip":
                add_event(alarm.id, "tripped", now, trip_cause=c.trip_cause, value=c.value)
                alarm.trip_cause = c.trip_cause
                alarm.message += f"; breaker tripped: {c.trip_cause}"
            else:
                add_event(alarm.id, "cleared", now, value=c.value)
                if alarm.parent_id is None:
                    announced.append(("clear", alarm.id, c))
                alarm.state, alarm.cleared_at = "cleared", now
        else:
            continue
        if c.value is not None and alarm.peak_value is not None:
            worse = c.value > alarm.peak_value if catalogue.ALL_RULES[c.rule].direction == \
                "above" else c.value < alarm.peak_value
            alarm.peak_value = c.value if worse else alarm.peak_value
        touched.append(alarm.id)
    session.commit()
    _announce(announced)
    if deferred:
        at = now.timestamp() + setting("alarm_group_delay_seconds")
        redis.zadd(ANNOUNCE_KEY, {str(alarm_id): at for _, alarm_id, _ in deferred})
    outbox.after_commit(touched, due)
    return touched


def announce_due(now: datetime) -> int:
    """The lines of loss-of-supply alarms whose grouping delay has passed and that are
    still roots (the poll job calls this every cycle). Returns how many were logged."""
    pipe = redis.pipeline()
    pipe.zrangebyscore(ANNOUNCE_KEY, "-inf", now.timestamp())
    pipe.zremrangebyscore(ANNOUNCE_KEY, "-inf", now.timestamp())
    ids = [int(i) for i in pipe.execute()[0]]
    if not ids:
        return 0
    rows = db.session.execute(select(Alarm.id, Alarm.message, Alarm.device_id).where(
        Alarm.id.in_(ids), Alarm.parent_id.is_(None), Alarm.state.in_(OPEN_STATES))
        .order_by(Alarm.id)).all()
    db.session.rollback()
    for alarm_id, message, device_id in rows:
        events.info("alarm %s raised: %s", alarm_id, message,
                    extra=_ids(alarm_id, device_id=device_id))
    return len(rows)


def _announce(announced) -> None:
    """One line per root alarm raised or cleared on the event log (the terminal of
    ``up``); grouped children are seen under their root in the clients."""
    for kind, alarm_id, c in announced:
        ids = _ids(alarm_id, device_id=c.device.id if c.device else None,
                   gateway_id=c.gateway_id)
        if kind == "raise":
            events.info("alarm %s raised: %s", alarm_id, _message(c, catalogue.ALL_RULES[c.rule]),
                        extra=ids)
        else:
            events.info("alarm %s cleared: %s on %s", alarm_id, c.rule, _where(c), extra=ids)


def _ids(alarm_id, **more) -> dict:
    """The ids a line is about, as fields of its JSON form (GW_LOG_FORMAT=json)."""
    return {"alarm_id": alarm_id, **{k: v for k, v in more.items() if v is not None}}


def _save_state(c, now: datetime) -> None:
    s = c.state
    if s.at_rest:
        if c.state_id is not None:
            db.session.execute(delete(AlarmRuleState).where(AlarmRuleState.id == c.state_id))
        return
    values = dict(pending={k: v.isoformat() for k, v in s.pending.items()},
                  clearing_since=s.clearing_since, flips=[t.isoformat() for t in s.flips],
                  updated_at=now)
    if c.state_id is not None:
        db.session.execute(update(AlarmRuleState).where(AlarmRuleState.id == c.state_id)
                           .values(**values))
    else:
        row = AlarmRuleState(subject=c.subject, rule=c.rule,
                             device_id=c.device.id if c.device else None,
                             gateway_id=c.gateway_id if c.device is None else None, **values)
        db.session.add(row)
        db.session.flush()
        c.state_id = row.id


def _where(c) -> str:
    """The device's place, the gateway by its name, or the poller (site-level alarms)."""
    if c.device:
        return c.device.location
    if c.gateway_id is None:
        return "the platform's poller"
    name = alarm_context.site(c.site_id).gateway_names.get(c.gateway_id)
    return name or f"gateway {c.gateway_id}"


def _message(c, rule) -> str:
    parts = [f"{rule.en} ({c.transition.level}) at {_where(c)}"]
    if c.value is not None and rule.unit and rule.key not in ("water_leak", "high_water", "phase_loss"):
        parts.append(f"{c.value:.4g} {rule.unit} (limit {c.threshold:.4g} {rule.unit})"
                     if c.threshold is not None else f"{c.value:.4g} {rule.unit}")
    if c.trip_cause:
        parts.append(f"breaker tripped: {c.trip_cause}")
    return "; ".join(parts)


def _raise(c, now: datetime, windows) -> Alarm:
    rule = catalogue.ALL_RULES[c.rule]
    d = c.device
    alarm = Alarm(site_id=c.site_id, device_id=d.id if d else None,
                  gateway_id=c.gateway_id if d is None else d.gateway_id,
                  circuit_id=d.circuit_id if d else None, area_id=d.area_id if d else None,
                  board_id=d.board_id if d else None, rule=c.rule, level=c.transition.level,
                  state="active", metric=rule.metric, value=c.value, peak_value=c.value,
                  threshold=c.threshold, unit=rule.unit, trip_cause=c.trip_cause,
                  message=_message(c, rule), flapping=c.transition.flapping, raised_at=now)
    window = _covering(d, windows) if d else None
    alarm.silenced = window is not None
    if rule.groupable:
        alarm.parent_id = _find_root(c)
    db.session.add(alarm)
    db.session.flush()
    add_event(alarm.id, "raised", now, level=alarm.level, value=c.value, threshold=c.threshold,
           trip_cause=c.trip_cause)
    if alarm.flapping:
        add_event(alarm.id, "flapping", now)
    if window is not None:
        add_event(alarm.id, "silenced", now, maintenance_window_id=window)
    if alarm.parent_id is not None:
        add_event(alarm.id, "grouped", now, root_id=alarm.parent_id)
    return alarm


def _is_root(alarm: Alarm) -> bool:
    return alarm.rule == "gateway_offline" or alarm.trip_cause is not None


def _open_alarms_on(device_ids) -> list:
    if not device_ids:
        return []
    return list(db.session.execute(select(Alarm.id, Alarm.device_id, Alarm.parent_id,
                                          Alarm.trip_cause, Alarm.rule)
                                   .where(Alarm.device_id.in_(list(device_ids)),
                                          Alarm.state.in_(OPEN_STATES))))


def _find_root(c) -> int | None:
    d = c.device
    if c.rule == "comm_loss":
        return db.session.execute(select(Alarm.id).where(
            Alarm.gateway_id == d.gateway_id, Alarm.device_id.is_(None),
            Alarm.rule == "gateway_offline", Alarm.state.in_(OPEN_STATES))).scalar()
    site = alarm_context.site(d.site_id)
    for circuit_id in d.upstream:                      # nearest first
        upstream = _open_alarms_on(site.by_circuit.get(circuit_id, []))
        for a in upstream:
            if a.trip_cause is not None or catalogue.ALL_RULES[a.rule].groupable:
                return a.parent_id or a.id
    return None


def _adopt(root: Alarm, c, now: datetime) -> None:
    """Group the orphan loss-of-supply alarms downstream of a new root under it."""
    site = alarm_context.site(root.site_id)
    if root.device_id is None:
        members = site.gateway_devices.get(root.gateway_id, [])
        rules = ("comm_loss",)
    else:
        circuit = c.device.circuit_id
        members = [d for d, ctx in site.devices.items() if circuit in ctx.upstream]
        rules = tuple(k for k, r in catalogue.RULES.items() if r.groupable and k != "comm_loss")
    if not members:
        return
    orphans = db.session.execute(select(Alarm).where(
        Alarm.device_id.in_(members), Alarm.rule.in_(rules), Alarm.parent_id.is_(None),
        Alarm.state.in_(OPEN_STATES), Alarm.raised_at >= now - ADOPT_WINDOW,
        Alarm.id != root.id)).scalars().all()
    for child in orphans:
        child.parent_id = root.id
        add_event(child.id, "grouped", now, root_id=root.id)
        db.session.execute(update(Notification).where(
            Notification.alarm_id == child.id, Notification.status == "pending")
            .values(status="suppressed", last_error=f"grouped under alarm {root.id}"))
    if orphans:
        # An orphan may already be the root of its own downstream consequences (seen
        # first, e.g. from a gateway whose poll finished earlier): they move too, so a
        # group always has one level and the trip as its root.
        moved = db.session.execute(update(Alarm).where(
            Alarm.parent_id.in_([child.id for child in orphans]))
            .values(parent_id=root.id).returning(Alarm.id)
            .execution_options(synchronize_session="fetch")).scalars().all()
        for alarm_id in moved:
            add_event(alarm_id, "grouped", now, root_id=root.id)



def _covering(d, windows) -> int | None:
    for w in windows:
        if w.site_id != d.site_id:
            continue
        if (w.circuit_id is not None and (w.circuit_id == d.circuit_id
                                          or w.circuit_id in d.upstream)) or \
                (w.board_id is not None and w.board_id in d.boards):
            return w.id
    return None
