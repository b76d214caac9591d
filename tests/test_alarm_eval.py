"""Alarm evaluation on stored values: records, grouping, comm loss, silencing, restarts."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.alarms import apply as alarm_apply
from backend.alarms import context as alarm_context
from backend.alarms import evaluate as alarm_eval
from backend.extensions import db
from backend.models import Alarm, AlarmEvent, AlarmRuleState, MaintenanceWindow, Notification
from tests.alarm_world import ENV_NORMAL, T0, breaker, build, feed


@pytest.fixture
def w(ctx, notify_standin):
    return build()


def alarms(**where):
    stmt = select(Alarm).order_by(Alarm.id)
    for k, v in where.items():
        stmt = stmt.where(getattr(Alarm, k) == v)
    return db.session.execute(stmt).scalars().all()


def events(alarm_id):
    return [e.kind for e in db.session.execute(select(AlarmEvent).where(
        AlarmEvent.alarm_id == alarm_id).order_by(AlarmEvent.id)).scalars()]


def notes(alarm_id=None):
    stmt = select(Notification).order_by(Notification.id)
    if alarm_id is not None:
        stmt = stmt.where(Notification.alarm_id == alarm_id)
    return db.session.execute(stmt).scalars().all()


def test_over_voltage_trip_is_one_alarm_with_its_cause(w):
    feed(T0, {w["d4"]: breaker()})
    assert alarms() == []
    tripped = breaker(voltage_a=280.0, switch_state="open", trip_cause="over_voltage",
                      current_a=0.0, current_b=0.0, current_c=0.0)
    feed(T0 + timedelta(seconds=2), {w["d4"]: tripped})
    feed(T0 + timedelta(seconds=4), {w["d4"]: tripped})           # again: nothing new
    [a] = alarms()
    assert (a.rule, a.level, a.state, a.trip_cause, a.value) == (
        "over_voltage", "alarm", "active", "over_voltage", 280.0)
    assert a.device_id == w["d4"] and a.circuit_id == w["c4"] and a.board_id == w["aa1"]
    assert "breaker tripped: over_voltage" in a.message
    assert events(a.id) == ["raised"]
    [n] = notes(a.id)                                              # tier 1: the staff
    assert (n.user_id, n.event, n.tier, n.status) == (w["s1"], "raised", 1, "pending")


def test_warning_escalates_on_the_same_record_and_clears_with_hysteresis(w):
    feed(T0, {w["d4"]: breaker(voltage_b=260.0)})
    [a] = alarms()
    assert (a.rule, a.level) == ("over_voltage", "warning")
    feed(T0 + timedelta(seconds=10), {w["d4"]: breaker(voltage_b=276.0)})
    feed(T0 + timedelta(seconds=20), {w["d4"]: breaker(voltage_b=248.0)})   # above 245
    [a] = alarms()
    db.session.refresh(a)
    assert (a.level, a.state, a.peak_value) == ("alarm", "active", 276.0)
    feed(T0 + timedelta(seconds=30), {w["d4"]: breaker()})
    db.session.refresh(a)
    assert a.state == "cleared" and a.cleared_at is not None
    assert events(a.id) == ["raised", "escalated", "cleared"]
    assert [n.event for n in notes(a.id)] == ["raised", "to_alarm"]
    assert db.session.execute(select(AlarmRuleState)).scalars().all() != []   # flip history


def test_upstream_trip_groups_downstream_loss_of_supply(w, caplog):
    caplog.set_level("INFO", logger="gridwarden.events")
    feed(T0, {d: breaker() for d in (w["d1"], w["d2"], w["d3"])})
    dead = breaker(voltage_a=0.0, voltage_b=0.0, voltage_c=0.0, current_a=0.0,
                   current_b=0.0, current_c=0.0, switch_state="open",
                   trip_cause="under_voltage")
    # the child's loss of supply is seen one poll before the parent's trip
    feed(T0 + timedelta(seconds=2), {w["d3"]: dead})
    [child] = alarms()
    assert child.rule == "under_voltage" and child.parent_id is None
    [pending] = notes(child.id)
    assert pending.next_attempt_at > T0 + timedelta(seconds=2)     # waits for a root
    feed(T0 + timedelta(seconds=4), {w["d2"]: breaker(current_a=0.0, switch_state="open",
                                                     trip_cause="short_circuit"),
                                     w["d3"]: dead})
    root = alarms(device_id=w["d2"])[0]
    assert (root.rule, root.trip_cause, root.parent_id) == ("trip", "short_circuit", None)
    db.session.refresh(child)
    assert child.parent_id == root.id and "grouped" in events(child.id)
    db.session.refresh(pending)
    assert pending.status == "suppressed"
    assert [n.alarm_id for n in notes() if n.status == "pending"] == [root.id]
    # The console's lines: the trip at once; the child's, deferred like its messages,
    # never (it was grouped meanwhile).
    assert alarm_apply.announce_due(T0 + timedelta(minutes=1)) == 0
    lines = [r.getMessage() for r in caplog.records if r.name == "gridwarden.events"]
    assert lines == [f"alarm {root.id} raised: {root.message}"], lines


def test_a_loss_of_supply_nothing_explains_is_announced_after_the_group_delay(w, caplog):
    caplog.set_level("INFO", logger="gridwarden.events")
    feed(T0, {w["d3"]: breaker()})
    feed(T0 + timedelta(seconds=2), {w["d3"]: breaker(
        voltage_a=0.0, voltage_b=0.0, voltage_c=0.0, current_a=0.0, current_b=0.0,
        current_c=0.0, switch_state="open", trip_cause="under_voltage")})
    [child] = alarms()
    assert [r for r in caplog.records if r.name == "gridwarden.events"] == []
    assert alarm_apply.announce_due(T0 + timedelta(minutes=1)) == 1
    assert caplog.records[-1].getMessage() == f"alarm {child.id} raised: {child.message}"


def test_child_seen_after_its_root_is_grouped_at_once(w):
    feed(T0, {d: breaker() for d in (w["d1"], w["d2"], w["d3"])})
    feed(T0 + timedelta(seconds=2), {w["d2"]: breaker(switch_state="open",
                                                     trip_cause="overload")})
    feed(T0 + timedelta(seconds=4), {w["d3"]: breaker(voltage_a=0.0, voltage_b=0.0,
                                                     voltage_c=0.0)})
    root, child = alarms()
    assert (root.rule, child.rule, child.parent_id) == ("overload", "under_voltage", root.id)
    assert notes(child.id) == []


def test_silent_gateway_is_one_root_with_grouped_comm_loss(w, app):
    members = [w["d1"], w["d2"], w["d3"], w["e1"]]
    feed(T0, {**{d: breaker() for d in members[:3]}, w["e1"]: ENV_NORMAL})
    for i in range(1, 4):                                  # offline after 3 failures
        feed(T0 + timedelta(seconds=2 * i), {w["d4"]: breaker()}, failed=members)
    gw = alarms(rule="gateway_offline")
    assert len(gw) == 1 and gw[0].gateway_id == w["g1"] and gw[0].device_id is None
    # Named by the gateway's name ("网关1"), not its id ("网关 1", "gateway 1").
    from backend.alarms.texts import message_for
    assert message_for(gw[0]).location == "网关1"
    assert gw[0].message.endswith(" at 网关1"), gw[0].message
    comm = alarms(rule="comm_loss")
    assert sorted(a.device_id for a in comm) == sorted(members)
    assert {a.parent_id for a in comm} == {gw[0].id}
    assert len(notes(gw[0].id)) == 1 and all(notes(a.id) == [] for a in comm)
    # back: everything clears
    feed(T0 + timedelta(seconds=10), {**{d: breaker() for d in members[:3]},
                                      w["e1"]: ENV_NORMAL})
    assert {a.state for a in alarms()} == {"cleared"}


def test_pending_duration_survives_a_restart(w, app):
    from backend.alarms.rules import RULES_VERSION_KEY
    from backend.extensions import redis
    from backend.models import AlarmRule

    db.session.add(AlarmRule(site_id=w["site"], scope="site", rule="env_temperature",
                             level="warning", hold_seconds=30))
    db.session.commit()
    redis.incr(RULES_VERSION_KEY)
    feed(T0, {w["e1"]: {**ENV_NORMAL, "temperature": 36.0}})
    assert alarms() == []
    assert db.session.execute(select(AlarmRuleState)).scalar().pending   # on record
    alarm_context.forget()                     # "restart": every in-process cache gone
    alarm_eval.forget()
    feed(T0 + timedelta(seconds=31), {w["e1"]: {**ENV_NORMAL, "temperature": 36.5}})
    [a] = alarms()
    assert (a.rule, a.level) == ("env_temperature", "warning")


def test_maintenance_window_records_but_does_not_notify(w):
    db.session.add(MaintenanceWindow(site_id=w["site"], board_id=w["al1"],
                                     starts_at=T0 - timedelta(minutes=5),
                                     ends_at=T0 + timedelta(hours=1), reason="换灯"))
    db.session.commit()
    feed(T0, {w["d3"]: breaker(leakage_current=40.0, switch_state="open",
                               trip_cause="residual_current"),
              w["d4"]: breaker(leakage_current=40.0, switch_state="open",
                               trip_cause="residual_current")})
    silenced, loud = alarms(device_id=w["d3"])[0], alarms(device_id=w["d4"])[0]
    assert silenced.silenced and "silenced" in events(silenced.id) and notes(silenced.id) == []
    assert not loud.silenced and len(notes(loud.id)) == 1


def test_flapping_is_notified_once(w, app):
    app.config["GW_ALARM_FLAP_COUNT"] = 2
    try:
        for i, v in enumerate([256, 240, 256, 240, 256, 240, 256, 240]):
            feed(T0 + timedelta(seconds=10 * i),
                 {w["d4"]: breaker(voltage_a=float(v), voltage_b=float(v), voltage_c=float(v))})
    finally:
        del app.config["GW_ALARM_FLAP_COUNT"]
    rows = alarms()
    assert [a.flapping for a in rows] == [False, True]        # 2nd raise is the 3rd flip
    assert rows[1].state == "active"                          # held open while flapping
    assert [n.event for n in notes(rows[1].id)] == ["flapping"]


def test_flagged_values_never_raise(w):
    feed(T0, {w["d4"]: breaker(voltage_a=1200.0)})            # outside plausibility
    assert alarms() == []


def test_rule_override_per_device_is_used(w):
    from backend.alarms.rules import RULES_VERSION_KEY
    from backend.extensions import redis
    from backend.models import AlarmRule

    db.session.add(AlarmRule(site_id=w["site"], scope="device", device_id=w["d4"],
                             rule="over_voltage", level="warning", threshold=240.0,
                             clear_threshold=235.0))
    db.session.commit()
    redis.incr(RULES_VERSION_KEY)
    feed(T0, {w["d4"]: breaker(voltage_a=242.0), w["d2"]: breaker(voltage_a=242.0)})
    assert [(a.device_id, a.threshold) for a in alarms()] == [(w["d4"], 240.0)]


def test_a_trip_seen_after_the_value_alarm_is_recorded_on_it(w):
    feed(T0, {w["d4"]: breaker(voltage_a=280.0)})            # normal plan first: 280 V
    feed(T0 + timedelta(seconds=2), {w["d4"]: breaker(voltage_a=280.0, switch_state="open",
                                                     trip_cause="over_voltage")})
    [a] = alarms()
    db.session.refresh(a)
    assert (a.level, a.trip_cause) == ("alarm", "over_voltage")
    assert events(a.id) == ["raised", "tripped"] and len(notes(a.id)) == 1
