"""The linkage evaluator's pure core: a condition on one value, held for a duration,
inside an optional daily time window, fires once and clears once, with a cool-down
against chatter. No I/O: the caller (linkage_evaluate) reads the values and the state
and persists what ``step`` returns.

Semantics (docs/automation.md "Linkage rules"):

- ``holds``: the value compared with the rule's (``>``, ``>=``, ``<``, ``<=`` on numbers;
  ``==``, ``!=`` also on true/false and text). A missing value or one of another type
  decides nothing: the state is kept as it is (a sensor that did not answer neither
  fires nor clears a rule).
- Outside the time window the condition does not hold (so a rule firing at the window's
  end clears, and its clear actions run).
- It fires when it has held ``for_seconds`` and the cool-down since its last firing has
  passed; while the cool-down runs it waits (still holding, it fires when it ends).
- It clears when it stops holding after having fired; a condition that stops holding
  before it fired just forgets since when it held.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, replace
from datetime import datetime, time

COMPARE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
           "==": operator.eq, "!=": operator.ne}
ORDERED = (">", ">=", "<", "<=")


@dataclass(frozen=True)
class Condition:
    op: str
    value: object
    for_seconds: float = 0.0
    window: tuple[time, time] | None = None      # local start, end; start > end: overnight
    cooldown_seconds: float = 0.0


@dataclass(frozen=True)
class State:
    since: datetime | None = None        # the condition holds since
    firing: bool = False
    last_fired_at: datetime | None = None

    @property
    def at_rest(self) -> bool:
        """Nothing to remember (the row may go; a cool-down still running is kept)."""
        return self.since is None and not self.firing and self.last_fired_at is None


def _number(v) -> float | None:
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    return None


def holds(op: str, reference, value) -> bool | None:
    """Whether ``value op reference``; None when it cannot be told (no value, or a value
    of a type the comparison does not apply to)."""
    if value is None:
        return None
    if op in ORDERED or (_number(reference) is not None and not isinstance(reference, bool)):
        a, b = _number(value), _number(reference)
        if a is None or b is None:
            return None
        return COMPARE[op](a, b)
    if isinstance(reference, bool):
        if isinstance(value, (bool, int, float)):
            return COMPARE[op](bool(value), reference)
        return None
    if isinstance(value, str) and isinstance(reference, str):
        return COMPARE[op](value, reference)
    return None


def in_window(window: tuple[time, time] | None, local: time) -> bool:
    """Inside a daily window [start, end); a window whose start is after its end spans
    midnight (22:00-06:00); start == end is the whole day."""
    if window is None:
        return True
    start, end = window
    if start == end:
        return True
    if start < end:
        return start <= local < end
    return local >= start or local < end


def step(cond: Condition, state: State, value, now: datetime,
         local: time) -> tuple[State, str | None]:
    """The new state and what happens: ``"fire"``, ``"clear"`` or None."""
    ok = holds(cond.op, cond.value, value)
    if ok is None:
        return state, None
    ok = ok and in_window(cond.window, local)
    if not ok:
        if state.firing:
            return replace(state, since=None, firing=False), "clear"
        return replace(state, since=None), None
    since = state.since or now
    if state.firing:
        return replace(state, since=since), None
    held = (now - since).total_seconds() >= cond.for_seconds
    cooled = state.last_fired_at is None or \
        (now - state.last_fired_at).total_seconds() >= cond.cooldown_seconds
    if held and cooled:
        return State(since=since, firing=True, last_fired_at=now), "fire"
    return replace(state, since=since), None
