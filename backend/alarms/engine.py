"""The rule state machine, pure: one (subject, rule) at a time, no I/O.

Given the rule's effective limits per level, the current value, whether the breaker
reports a trip for this rule, the remembered state and the time, ``step`` returns what
happens. The caller persists ``State`` (so no pending duration is lost on a restart)
and turns the returned transition into alarm rows.

Semantics (docs/alarms.md):
- *raise*: a level's condition (value beyond its threshold, or a matching trip for the
  ``alarm`` level) has held for that level's ``hold`` seconds; the highest such level.
- *escalate*: an open warning whose ``alarm`` condition has now held: same record.
- An open alarm never de-escalates; it *clears* once the value is back beyond the
  ``clear`` threshold of the lowest enabled level (hysteresis) and no trip is reported.
- *flapping*: more than ``flap_count`` raises and clears within ``flap_window``
  seconds. The alarm is marked once and then stays open until its clear condition has
  held for a whole window, instead of clearing and raising again on every swing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from backend.alarms.catalogue import cleared, crossed
from backend.alarms.limits import EffectiveLimit
from backend.vocabulary import LEVEL_RANK

HIGH_FIRST = ("alarm", "warning")


@dataclass
class State:
    pending: dict[str, datetime] = field(default_factory=dict)   # level -> condition since
    clearing_since: datetime | None = None
    flips: list[datetime] = field(default_factory=list)
    level: str | None = None          # level of the open alarm; None: no open alarm
    flapping: bool = False

    @property
    def at_rest(self) -> bool:
        return self.level is None and not self.pending and not self.flips

    def persisted(self) -> tuple:
        return (tuple(sorted(self.pending.items())), self.clearing_since, tuple(self.flips))


@dataclass(frozen=True)
class Transition:
    kind: str                 # "raise" | "escalate" | "clear" (| "trip": set by the caller)
    level: str | None = None
    flapping: bool = False    # this transition made the rule flapping (notify once)


@dataclass(frozen=True)
class Policy:
    flap_count: int = 5
    flap_window: float = 600.0
    clear_hold: float = 0.0


def condition_level(direction: str, limits: dict[str, EffectiveLimit], value: float | None,
                    tripped: bool) -> str | None:
    """The highest enabled level whose raise condition holds now."""
    for level in HIGH_FIRST:
        lim = limits.get(level)
        if lim is None or not lim.enabled:
            continue
        if tripped and level == "alarm":
            return level
        if value is not None and crossed(direction, value, lim.threshold):
            return level
    return None


def _clear_ok(direction: str, limits: dict[str, EffectiveLimit], value: float | None,
              tripped: bool) -> bool:
    enabled = [lv for lv in ("warning", "alarm") if lv in limits and limits[lv].enabled]
    if not enabled:
        return True                          # every level switched off: nothing to keep
    if tripped or value is None:
        return False
    return cleared(direction, value, limits[enabled[0]].clear)


def step(direction: str, limits: dict[str, EffectiveLimit], value: float | None,
         tripped: bool, state: State, now: datetime,
         policy: Policy = Policy()) -> Transition | None:
    """Advance ``state`` (in place) by one observation; return the transition, if any."""
    if value is None and not tripped and state.level is None and not state.pending:
        return None                                      # nothing known, nothing open
    window = timedelta(seconds=policy.flap_window)
    state.flips = [t for t in state.flips if now - t <= window]
    if state.flapping and state.level is None and not state.flips:
        state.flapping = False

    cond = condition_level(direction, limits, value, tripped) if (
        value is not None or tripped) else _pending_level(state)
    for level, lim in limits.items():
        if lim.enabled and cond is not None and LEVEL_RANK[cond] >= LEVEL_RANK[level]:
            state.pending.setdefault(level, now)
        elif value is not None or tripped:
            state.pending.pop(level, None)

    target = None
    for level in HIGH_FIRST:
        since = state.pending.get(level)
        if since is not None and (now - since).total_seconds() >= limits[level].hold:
            target = level
            break

    if target and (state.level is None or LEVEL_RANK[target] > LEVEL_RANK[state.level]):
        kind = "raise" if state.level is None else "escalate"
        state.level, state.clearing_since = target, None
        became_flapping = False
        if kind == "raise":
            state.flips.append(now)
            if len(state.flips) > policy.flap_count and not state.flapping:
                state.flapping = became_flapping = True
        return Transition(kind, target, became_flapping)

    if state.level is None:
        return None
    if not _clear_ok(direction, limits, value, tripped):
        state.clearing_since = None
        return None
    state.clearing_since = state.clearing_since or now
    needed = policy.flap_window if state.flapping else policy.clear_hold
    if (now - state.clearing_since).total_seconds() < needed:
        return None
    state.level, state.clearing_since = None, None
    state.pending.clear()
    state.flips.append(now)
    if state.flapping:
        state.flapping = False
        state.flips.clear()              # a full quiet window ends the flapping episode
    return Transition("clear")


def _pending_level(state: State) -> str | None:
    """With no new value, the condition is what it was: keep the pending timers."""
    for level in HIGH_FIRST:
        if level in state.pending:
            return level
    return None
