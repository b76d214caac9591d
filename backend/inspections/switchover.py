"""The measured switch-over time of a dual-power (双电源) test, pure.

Given the switch-state samples of the normal supply's breaker and of the standby's, each
``(timestamp, state)`` with state "open"/"closed" (or 0/1, the stored codes) in any
order: the normal breaker opened at its first "open" sample following a "closed" one;
the standby closed at its first "closed" sample following an "open" one, at or after
that moment. The switch-over time is the difference. Samples are what the poller saw, so
the figure is as fine as the polling (the fast rate, a second by default); a transfer
whose standby closed before the normal opened (make-before-break) is not a switch-over
from the readings and gives None.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

OPEN, CLOSED = "open", "closed"
CODES = {0: OPEN, 1: CLOSED}


@dataclass(frozen=True)
class Switchover:
    normal_opened_at: datetime
    standby_closed_at: datetime
    seconds: float


def _state(value) -> str | None:
    if isinstance(value, str):
        return value if value in (OPEN, CLOSED) else None
    if isinstance(value, float) and value != value:   # NaN: an invalid reading
        return None
    return CODES.get(int(value)) if value is not None else None


def _transitions(samples, before: str, after: str) -> list[datetime]:
    """When the state went ``before`` -> ``after`` (the first sample of the new state)."""
    out, last = [], None
    for ts, value in sorted(samples, key=lambda s: s[0]):
        state = _state(value)
        if state is None:
            continue
        if last == before and state == after:
            out.append(ts)
        last = state
    return out


def measure(normal, standby) -> Switchover | None:
    """The first switch-over in the samples, or None when they do not show one."""
    closes = _transitions(standby, OPEN, CLOSED)
    for opened in _transitions(normal, CLOSED, OPEN):
        closed = next((t for t in closes if t >= opened), None)
        if closed is not None:
            return Switchover(opened, closed, (closed - opened).total_seconds())
    return None
