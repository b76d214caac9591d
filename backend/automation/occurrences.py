"""When a schedule runs: its occurrences as aware UTC instants, from its rule in the site's
time zone. Pure (no database, no clock): tests/test_schedule_occurrences.py.

A day is a run day when it is not an exception (a holiday always wins), and either it is
one of the extra dates (a weekend that is a working day, 调休) or it lies in the date
range and its ISO weekday (1 = Monday .. 7) is one of the rule's. On a run day, every
time of day is an occurrence, taken as the wall-clock time in the zone:

- a time the clocks skip (spring forward, 02:30 when 02:00 becomes 03:00) runs when the
  clocks say it would have: shifted by the gap (03:30), once;
- a time the clocks repeat (fall back) runs once, at its first instance (``fold=0``).

China has no DST, so there the two rules never apply; they make the calculation right in
any zone rather than off by an hour twice a year.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"
HORIZON_DAYS = 3 * 366     # ``next_runs`` looks no further ahead than this


@dataclass(frozen=True)
class Rule:
    times: tuple[time, ...]
    weekdays: frozenset[int] = frozenset(range(1, 8))
    start: date | None = None
    end: date | None = None
    exceptions: frozenset[date] = field(default_factory=frozenset)
    extras: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def of(cls, times, weekdays, start=None, end=None, exceptions=(), extras=()) -> Rule:
        """From stored values: "HH:MM" texts, ISO weekday numbers, "YYYY-MM-DD" texts."""
        return cls(times=tuple(sorted({_time(t) for t in times})),
                   weekdays=frozenset(int(d) for d in weekdays),
                   start=_date(start), end=_date(end),
                   exceptions=frozenset(_date(d) for d in exceptions),
                   extras=frozenset(_date(d) for d in extras))

    def runs_on(self, day: date) -> bool:
        if day in self.exceptions:
            return False
        if day in self.extras:
            return True
        if self.start is not None and day < self.start:
            return False
        if self.end is not None and day > self.end:
            return False
        return day.isoweekday() in self.weekdays

    def last_day(self) -> date | None:
        """No run after this day (None: open-ended)."""
        if self.end is None:
            return None
        return max([self.end, *self.extras])


def zone(name: str | None) -> ZoneInfo:
    """The site's zone; an unknown name falls back to China time rather than failing a run."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``at`` on ``day`` in ``tz`` (see the module's rules
    for skipped and repeated times)."""
    return datetime.combine(day, at, tzinfo=tz).replace(fold=0).astimezone(timezone.utc)


def _on_day(rule: Rule, day: date, tz: ZoneInfo) -> list[datetime]:
    if not rule.runs_on(day):
        return []
    return sorted({instant(day, t, tz) for t in rule.times})


def between(rule: Rule, tz: ZoneInfo, after: datetime, until: datetime) -> list[datetime]:
    """Occurrences in (``after``, ``until``], oldest first (aware datetimes in, UTC out)."""
    if until <= after or not rule.times:
        return []
    # Local days that can hold an instant of the interval: a day either side covers any
    # offset and any gap shift.
    day = after.astimezone(tz).date() - timedelta(days=1)
    last = until.astimezone(tz).date() + timedelta(days=1)
    out = []
    while day <= last:
        out += [t for t in _on_day(rule, day, tz) if after < t <= until]
        day += timedelta(days=1)
    return sorted(set(out))


def upcoming(rule: Rule, tz: ZoneInfo, after: datetime) -> Iterator[datetime]:
    """Occurrences strictly after ``after``, oldest first, up to ``HORIZON_DAYS`` ahead."""
    if not rule.times:
        return
    day = after.astimezone(tz).date() - timedelta(days=1)
    stop = day + timedelta(days=HORIZON_DAYS)
    last = rule.last_day()
    if last is not None:
        stop = min(stop, last + timedelta(days=1))
    seen: set[datetime] = set()
    while day <= stop:
        for t in _on_day(rule, day, tz):
            if t > after and t not in seen:
                seen.add(t)
                yield t
        day += timedelta(days=1)


def next_runs(rule: Rule, tz: ZoneInfo, after: datetime, count: int) -> list[datetime]:
    out = []
    for t in upcoming(rule, tz, after):
        out.append(t)
        if len(out) >= count:
            break
    return out


def _time(value) -> time:
    if isinstance(value, time):
        return value
    hours, minutes = str(value).split(":")
    return time(int(hours), int(minutes))


def _date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
