"""The linkage evaluator's pure core (backend/automation/linkage_engine.py): comparisons,
the duration a condition must hold, the daily time window, the cool-down, clearing; and
the loop finder (backend/automation/linkage_loops.py)."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from backend.automation.linkage_engine import Condition, State, holds, in_window, step
from backend.automation.linkage_loops import RuleShape, edges, find_loop

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
NOON = time(12, 0)


def run(cond, values, state=State(), start=T0, every=10.0, local=NOON):
    """Step once per value, ``every`` seconds apart: the events in order, the last state."""
    out = []
    for i, v in enumerate(values):
        state, what = step(cond, state, v, start + timedelta(seconds=i * every), local)
        out.append(what)
    return out, state


def test_comparisons_on_numbers_booleans_and_text():
    assert holds(">", 30, 30.5) and not holds(">", 30, 30) and holds(">=", 30, 30)
    assert holds("<", 5, 4.9) and holds("<=", 5, 5) and not holds("<", 5, 6)
    assert holds("==", True, True) and not holds("==", True, False) and holds("!=", True, False)
    assert holds("==", 1, True)                       # a leak flag compared with 1
    assert holds("==", "open", "open") and holds("!=", "open", "closed")
    # what cannot be told decides nothing
    assert holds(">", 30, None) is None and holds(">", 30, "hot") is None
    assert holds("==", "open", 1.0) is None


def test_it_fires_only_after_holding_for_the_duration_and_once():
    cond = Condition(">", 30, for_seconds=25)
    events, state = run(cond, [31, 31, 31, 31, 32])
    assert events == [None, None, None, "fire", None]
    assert state.firing and state.since == T0 and state.last_fired_at == T0 + timedelta(seconds=30)
    # a dip before the duration restarts the count
    events, _ = run(cond, [31, 31, 29, 31, 31, 31, 31])
    assert events == [None, None, None, None, None, None, "fire"]


def test_it_clears_once_when_the_condition_stops_and_a_missing_value_changes_nothing():
    cond = Condition("==", True)
    events, state = run(cond, [True, None, True, False, None, False])
    assert events == ["fire", None, None, "clear", None, None]
    assert not state.firing and state.since is None and state.last_fired_at == T0


def test_the_cool_down_holds_back_a_second_firing_until_it_has_passed():
    cond = Condition(">", 30, cooldown_seconds=60)
    events, state = run(cond, [31, 29, 31, 31, 31, 31, 31, 31, 31])
    # fired at 0 s, cleared at 10 s, holding again from 20 s: fires at 60 s, not before
    assert events == ["fire", "clear", None, None, None, None, "fire", None, None]
    assert state.last_fired_at == T0 + timedelta(seconds=60)


def test_outside_the_time_window_it_does_not_hold_and_a_firing_clears():
    night = Condition(">", 80, window=(time(22, 0), time(6, 0)))
    assert in_window((time(22, 0), time(6, 0)), time(23, 30))
    assert in_window((time(22, 0), time(6, 0)), time(5, 59))
    assert not in_window((time(22, 0), time(6, 0)), time(6, 0))
    assert in_window((time(8, 0), time(18, 0)), NOON) and not in_window((time(8, 0),
                                                                         time(18, 0)), time(18))
    assert in_window((time(0, 0), time(0, 0)), NOON)            # start == end: all day
    state, what = step(night, State(), 85, T0, NOON)
    assert what is None and state.since is None
    state, what = step(night, State(), 85, T0, time(23, 0))
    assert what == "fire"
    state, what = step(night, state, 85, T0 + timedelta(hours=7), time(6, 0))
    assert what == "clear" and not state.firing


def test_a_state_read_back_continues_where_it_was():
    """The state is plain data: persisted and read back, the duration goes on counting."""
    cond = Condition(">", 30, for_seconds=60)
    _, state = run(cond, [31, 31])                   # held 10 s
    copy = State(state.since, state.firing, state.last_fired_at)
    events, _ = run(cond, [31, 31, 31, 31, 31], state=copy, start=T0 + timedelta(seconds=20))
    assert events == [None, None, None, None, "fire"]   # at 60 s after the first


def test_loops_of_two_or_more_rules_are_found_not_a_rule_acting_on_itself():
    a = RuleShape(1, "A", frozenset({10}), frozenset({20}))
    b = RuleShape(2, "B", frozenset({20}), frozenset({30}))
    c = RuleShape(3, "C", frozenset({30}), frozenset({10}))
    own = RuleShape(4, "D", frozenset({40}), frozenset({40}))
    graph = edges([a, b, c, own])
    assert find_loop(graph, 1) == [1, 2, 3, 1]
    assert find_loop(graph, 4) is None
    assert find_loop(edges([a, b]), 1) is None
