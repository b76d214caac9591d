"""The rule state machine, pure: hold durations, hysteresis, escalation, flapping."""
from datetime import datetime, timedelta, timezone

import pytest

from backend.alarms import catalogue
from backend.alarms.catalogue import Device
from backend.alarms.engine import Policy, State, step
from backend.alarms.limits import Override, Overrides

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


def limits(rule="over_voltage", **over):
    rows = [Override(1, "site", None, None, rule, level, **fields)
            for level, fields in over.items()]
    return Overrides(rows).resolve(rule, 1, None, 9)


def run(rule_key, values, *, lim=None, trips=(), policy=Policy(), dt=2.0, state=None):
    """Feed values (one per dt seconds); return the transitions as (i, kind, level)."""
    rule = catalogue.ALL_RULES[rule_key]
    lim = lim or limits(rule_key)
    state = state or State()
    out = []
    for i, v in enumerate(values):
        t = step(rule.direction, lim, v, i in trips, state, T0 + timedelta(seconds=i * dt),
                 policy)
        if t:
            out.append((i, t.kind, t.level) + (("flapping",) if t.flapping else ()))
    return out, state


def test_warning_then_escalation_then_clear_with_hysteresis():
    out, state = run("over_voltage", [230, 251, 260, 276, 270, 252, 246, 244, 230])
    assert out == [(1, "raise", "warning"), (3, "escalate", "alarm"), (7, "clear", None)]
    assert state.at_rest is False and state.level is None   # flips kept for flap detection


def test_value_hovering_at_the_limit_does_not_flap():
    out, _ = run("over_voltage", [250, 249.5, 250.2, 249.9, 250.1, 246, 250])
    assert out == [(0, "raise", "warning")]                  # never below 245: stays open


def test_under_voltage_is_below():
    out, _ = run("under_voltage", [230, 189, 150, 170, 186, 196])
    assert out == [(1, "raise", "warning"), (2, "escalate", "alarm"), (5, "clear", None)]


def test_trip_raises_alarm_at_once_and_holds_until_the_trip_is_gone():
    out, _ = run("over_voltage", [280, 231, 231, 231], trips={0, 1, 2})
    assert out == [(0, "raise", "alarm"), (3, "clear", None)]


def test_hold_duration_must_elapse():
    lim = limits(warning={"hold_seconds": 5.0})
    out, state = run("over_voltage", [252, 252, 252, 252, 230], lim=lim)
    assert out == [(3, "raise", "warning"), (4, "clear", None)]   # 6 s >= 5 s at i=3
    out, state = run("over_voltage", [252, 252, 230, 252], lim=lim)
    assert out == [] and "warning" in state.pending          # interrupted: timer restarted


def test_pending_duration_survives_in_state():
    lim = limits(warning={"hold_seconds": 10.0})
    rule = catalogue.ALL_RULES["over_voltage"]
    state = State()
    assert step(rule.direction, lim, 252, False, state, T0) is None
    restored = State(pending=dict(state.pending))            # what the table keeps
    t = step(rule.direction, lim, 252, False, restored, T0 + timedelta(seconds=11))
    assert t.kind == "raise" and t.level == "warning"


def test_disabled_level_is_skipped_and_disabling_all_clears():
    lim = limits(warning={"enabled": False})
    out, state = run("over_voltage", [260, 280], lim=lim)
    assert out == [(1, "raise", "alarm")]
    off = limits(warning={"enabled": False}, alarm={"enabled": False})
    rule = catalogue.ALL_RULES["over_voltage"]
    assert step(rule.direction, off, 280, False, state, T0 + timedelta(seconds=9)).kind == "clear"


def test_flapping_is_marked_once_and_holds_the_alarm_open():
    policy = Policy(flap_count=4, flap_window=600)
    swings = [260, 240] * 5
    out, state = run("over_voltage", swings, policy=policy)
    kinds = [o[1:] for o in out]
    assert kinds[:4] == [("raise", "warning"), ("clear", None)] * 2
    assert kinds[4] == ("raise", "warning", "flapping")
    assert len(out) == 5 and state.flapping                  # no more raise/clear churn
    # quiet for a whole window: cleared, flapping over
    rule = catalogue.ALL_RULES["over_voltage"]
    t_end = T0 + timedelta(seconds=len(swings) * 2)
    assert step(rule.direction, limits(), 230, False, state, t_end, policy) is None
    t = step(rule.direction, limits(), 230, False, state, t_end + timedelta(seconds=601), policy)
    assert t.kind == "clear" and not state.flapping


def test_missing_value_keeps_state():
    out, state = run("over_voltage", [260, None, None, 240])
    assert out == [(0, "raise", "warning"), (3, "clear", None)]


@pytest.mark.parametrize("rule,values,raised", [
    ("over_voltage", {"voltage_a": 251}, "warning"),
    ("over_voltage", {"voltage_a": 230, "voltage_b": 276, "voltage_c": 230}, "alarm"),
    ("under_voltage", {"voltage_a": 185}, "warning"),
    ("under_voltage", {"voltage_a": 0}, "alarm"),
    ("over_temperature", {"temperature_a": 66}, "warning"),
    ("over_temperature", {"temperature_out_c": 91}, "alarm"),
    ("overload", {"current_a": 51}, "warning"),               # 0.8 In of 63 A = 50.4
    ("overload", {"current_a": 76}, "alarm"),                 # 1.2 In = 75.6
    ("over_power", {"active_power": 36}, "warning"),          # Pn 43.5 kW
    ("over_power", {"active_power": 66}, "alarm"),
    ("residual_current", {"leakage_current": 16}, "warning"), # IΔn 30 mA
    ("residual_current", {"leakage_current": 31}, "alarm"),
    ("phase_loss", {"voltage_a": 230, "voltage_b": 0, "voltage_c": 229}, "alarm"),
    ("voltage_imbalance", {"voltage_a": 230, "voltage_b": 236, "voltage_c": 226}, "warning"),
    ("voltage_imbalance", {"voltage_a": 220, "voltage_b": 240, "voltage_c": 230}, "alarm"),
    ("current_imbalance", {"current_a": 40, "current_b": 29, "current_c": 35}, "warning"),
    ("current_imbalance", {"current_a": 40, "current_b": 20, "current_c": 35}, "alarm"),
    ("frequency", {"frequency": 50.3, "voltage_a": 230}, "warning"),
    ("frequency", {"frequency": 49.4, "voltage_a": 230}, "alarm"),
    ("env_temperature", {"temperature": 36}, "warning"),
    ("env_temperature", {"temperature": 41}, "alarm"),
    ("humidity", {"humidity": 82}, "warning"),
    ("humidity", {"humidity": 95}, "alarm"),
    ("water_leak", {"water_leak": True}, "alarm"),
    ("high_water", {"high_water": True}, "alarm"),
])
def test_every_default_rule_raises_at_its_tender_limit(rule, values, raised):
    r = catalogue.ALL_RULES[rule]
    dev = Device(1, r.kinds[0], rated_current=63, rated_power=43.5, rated_residual_current=30)
    value = r.value(values, dev)
    lim = limits(rule)
    state = State()
    t = None
    for i in range(200):                                     # long enough for any hold
        t = step(r.direction, lim, value, False, state, T0 + timedelta(seconds=i * 2)) or t
    assert t is not None and t.level == raised, (rule, value)
    # the same rule at a normal value raises nothing
    normal = {"voltage_a": 230, "voltage_b": 230, "voltage_c": 230, "current_a": 40,
              "current_b": 38, "current_c": 39, "temperature": 30, "temperature_a": 30,
              "temperature_out_c": 30, "active_power": 10, "leakage_current": 3,
              "frequency": 50.0, "humidity": 50, "water_leak": False,
              "high_water": False}
    nv = r.value({k: normal[k] for k in values}, dev)
    assert step(r.direction, lim, nv, False, State(), T0) is None


def test_trip_causes_map_to_their_rule():
    assert catalogue.RULE_BY_TRIP_CAUSE["over_voltage"] == "over_voltage"
    assert catalogue.RULE_BY_TRIP_CAUSE["short_circuit"] == "trip"
    assert set(catalogue.RULE_BY_TRIP_CAUSE) >= {"over_voltage", "under_voltage", "phase_loss",
                                                 "overload", "short_circuit", "over_power",
                                                 "over_temperature", "residual_current"}


def test_dead_line_has_no_frequency_or_imbalance_verdict():
    dev = Device(1, "breaker", rated_current=63)
    dead = {"voltage_a": 0.0, "voltage_b": 0.0, "voltage_c": 0.0, "frequency": 0.0}
    assert catalogue.frequency_deviation(dead, dev) is None
    assert catalogue.voltage_imbalance(dead, dev) is None
    assert catalogue.phase_loss(dead, dev) == 0.0            # all three gone: not phase loss
