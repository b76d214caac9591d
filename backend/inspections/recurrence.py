"""Due dates of a plan, pure: every ``every`` ``unit`` (day, week, month, year) from the
start date. The k-th due date is computed from the start, not from the previous one, so
month ends do not drift: started Jan 31, monthly -> Feb 28 (29), Mar 31, Apr 30.

After a record, the next due date is the first in the sequence after both the due date
it fulfilled and the day it was done (in the site's time zone): done early, the plan keeps
its calendar; done late, periods already past are not owed twice.
"""
from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta

STEP = {"day": lambda n: relativedelta(days=n), "week": lambda n: relativedelta(weeks=n),
        "month": lambda n: relativedelta(months=n), "year": lambda n: relativedelta(years=n)}
MAX_DAYS = {"day": 1, "week": 7, "month": 31, "year": 366}   # the longest step of each unit


def nth_due(start: date, unit: str, every: int, k: int) -> date:
    """The k-th due date (k = 0: the start)."""
    return start + STEP[unit](every * k)


def first_due_after(start: date, unit: str, every: int, after: date) -> date:
    """The first due date strictly after ``after`` (the start itself when it is later)."""
    if start > after:
        return start
    # jump to a k whose date cannot be past ``after`` (steps taken at their longest),
    # then step: a few steps whatever the gap
    k = max(0, (after - start).days // (MAX_DAYS[unit] * every) - 1)
    while nth_due(start, unit, every, k) <= after:
        k += 1
    return nth_due(start, unit, every, k)


def next_due_after_record(start: date, unit: str, every: int, fulfilled: date,
                          done_on: date) -> date:
    """The plan's next due date once the one due on ``fulfilled`` was done on ``done_on``."""
    return first_due_after(start, unit, every, max(fulfilled, done_on))
