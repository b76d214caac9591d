"""Inspections' pure cores: due dates (month ends, leap years, late and early records) and
the switch-over time from switch-state samples, against hand-computed expectations."""
from datetime import date, datetime, timedelta, timezone

import pytest

from backend.inspections import recurrence, switchover

D = date


@pytest.mark.parametrize("k, want", [
    (0, D(2026, 1, 31)), (1, D(2026, 2, 28)), (2, D(2026, 3, 31)), (3, D(2026, 4, 30)),
    (13, D(2027, 2, 28)), (37, D(2029, 2, 28))])
def test_monthly_from_a_month_end_does_not_drift(k, want):
    assert recurrence.nth_due(D(2026, 1, 31), "month", 1, k) == want


def test_leap_years_and_other_units():
    assert recurrence.nth_due(D(2027, 11, 30), "month", 3, 1) == D(2028, 2, 29)   # leap
    assert recurrence.nth_due(D(2028, 2, 29), "year", 1, 1) == D(2029, 2, 28)
    assert recurrence.nth_due(D(2028, 2, 29), "year", 1, 4) == D(2032, 2, 29)
    assert recurrence.nth_due(D(2026, 12, 28), "week", 2, 1) == D(2027, 1, 11)
    assert recurrence.nth_due(D(2026, 12, 30), "day", 3, 1) == D(2027, 1, 2)


@pytest.mark.parametrize("after, want", [
    (D(2026, 1, 30), D(2026, 1, 31)),      # the start is still ahead
    (D(2026, 1, 31), D(2026, 2, 28)),      # strictly after
    (D(2026, 2, 28), D(2026, 3, 31)),
    (D(2026, 3, 1), D(2026, 3, 31)),
    (D(2030, 6, 15), D(2030, 6, 30)),      # years later: no walk from the start needed
])
def test_first_due_after(after, want):
    assert recurrence.first_due_after(D(2026, 1, 31), "month", 1, after) == want


def test_next_due_after_a_record():
    start = D(2026, 1, 31)
    # done early (Mar 20 for the Mar 31 due): the calendar is kept, next is Apr 30
    assert recurrence.next_due_after_record(start, "month", 1, D(2026, 3, 31),
                                            D(2026, 3, 20)) == D(2026, 4, 30)
    # done late (Apr 5 for Mar 31): next is still Apr 30
    assert recurrence.next_due_after_record(start, "month", 1, D(2026, 3, 31),
                                            D(2026, 4, 5)) == D(2026, 4, 30)
    # done very late (May 10 for Mar 31): April is not owed twice, next is May 31
    assert recurrence.next_due_after_record(start, "month", 1, D(2026, 3, 31),
                                            D(2026, 5, 10)) == D(2026, 5, 31)
    # quarterly from Nov 30: Feb 28 (2027), May 30
    assert recurrence.next_due_after_record(D(2026, 11, 30), "month", 3, D(2026, 11, 30),
                                            D(2026, 11, 30)) == D(2027, 2, 28)


T0 = datetime(2026, 12, 2, 8, 0, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_switchover_time_is_open_to_close():
    normal = [(at(0), "closed"), (at(1), "closed"), (at(2.5), "open"), (at(4), "open")]
    standby = [(at(0), "open"), (at(3), "open"), (at(6.25), "closed"), (at(8), "closed")]
    found = switchover.measure(normal, standby)
    assert found == switchover.Switchover(at(2.5), at(6.25), 3.75)


def test_switchover_from_stored_codes_in_any_order_skipping_invalid_samples():
    normal = [(at(5), 0.0), (at(0), 1.0), (at(3), float("nan"))]
    standby = [(at(9), 1.0), (at(0), 0.0), (at(7), float("nan"))]
    assert switchover.measure(normal, standby).seconds == 4.0


def test_the_first_switchover_after_the_normal_opened():
    # the standby closed (and opened again) before the normal opened: that close is no
    # switch-over; the next close is
    normal = [(at(0), "closed"), (at(10), "open")]
    standby = [(at(0), "open"), (at(2), "closed"), (at(4), "open"), (at(12), "closed")]
    assert switchover.measure(normal, standby).seconds == 2.0


@pytest.mark.parametrize("normal, standby", [
    ([(at(0), "open"), (at(5), "open")], [(at(0), "open"), (at(6), "closed")]),   # never closed
    ([(at(0), "closed"), (at(5), "open")], [(at(0), "closed"), (at(6), "closed")]),  # never open
    ([(at(0), "closed"), (at(5), "open")], [(at(0), "open"), (at(3), "closed")]),  # before
    ([], []),
])
def test_no_switchover_in_the_samples(normal, standby):
    assert switchover.measure(normal, standby) is None
