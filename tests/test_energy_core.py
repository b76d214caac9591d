"""The pure energy core (backend/energy/counters.py) on hand-computed series. Times are
minutes after 10:00 UTC; slots are 10:00, 10:15, 10:30, ..."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.energy.counters import (
    Point,
    Replacement,
    Rules,
    counter_modulus,
    demand_kw,
    intervals,
    peak_demand,
    slot_energies,
    slot_of,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def series(*pairs) -> list[Point]:
    return [Point(at(m), v) for m, v in pairs]


def energies(slots) -> dict[int, float]:
    """{minutes after 10:00 of the slot start: kWh}"""
    return {int((t - T0).total_seconds() // 60): round(s.energy, 9) for t, s in
            sorted(slots.items())}


def estimated(slots) -> dict[int, bool]:
    return {int((t - T0).total_seconds() // 60): s.estimated for t, s in sorted(slots.items())}


def test_steady_readings_split_at_the_slot_boundary_by_time():
    # 100 -> 110 from 10:10 to 10:20: 10 kWh over 10 minutes, 5 minutes in each slot.
    slots = slot_energies(series((10, 100.0), (20, 110.0)))
    assert energies(slots) == {0: 5.0, 15: 5.0}
    assert estimated(slots) == {0: False, 15: False}


def test_counter_reset_neither_loses_nor_invents_energy():
    # 10:00 500, 10:05 510, 10:10 reads 2 (reset), 10:15 12, 10:20 22.
    # Rate after the reset: (12 - 2) / 5 min = 2 kWh/min. The interval 10:05-10:10 books
    # max(2, 2 * 5) = 10 kWh (estimated): the 2 counted since the restart plus 8 before it.
    slots = slot_energies(series((0, 500.0), (5, 510.0), (10, 2.0), (15, 12.0), (20, 22.0)))
    # slot 10:00 = 10 (10:00-10:05) + 10 (reset interval) + 10 (10:10-10:15) = 30;
    # slot 10:15 = 10. Total 40 = 10 + 10 before the reset, 22 - 2 after it... + 10 booked
    # for 10:05-10:10, of which 2 the new counter shows.
    assert energies(slots) == {0: 30.0, 15: 10.0}
    assert estimated(slots) == {0: True, 15: False}
    kinds = [iv.kind for iv in intervals(series((0, 500.0), (5, 510.0), (10, 2.0),
                                                (15, 12.0), (20, 22.0)))]
    assert kinds == ["normal", "reset", "normal", "normal"]


def test_reset_reading_above_the_estimate_books_the_reading():
    # 10:00 100, 10:05 reads 30 (reset), 10:10 31: rate after = 1/5 kWh/min, so
    # rate * 5 min = 1 < 30: the counter itself shows 30 since the restart.
    slots = slot_energies(series((0, 100.0), (5, 30.0), (10, 31.0)))
    assert energies(slots) == {0: 31.0}


def test_32_bit_rollover_books_the_wrapped_delta():
    # A 32-bit counter in Wh (scale 0.001 kWh): wraps at 2^32 Wh = 4,294,967.296 kWh.
    modulus = counter_modulus("u32", 0.001)
    assert modulus == pytest.approx(4_294_967.296)
    # 10:00 4,294,960.000, 10:10 4,294,966.000 (+6), 10:20 reads 4.704 after the wrap:
    # 4.704 + 4,294,967.296 - 4,294,966.000 = 6.0 kWh.
    pts = series((0, 4_294_960.0), (10, 4_294_966.0), (20, 4.704))
    slots = slot_energies(pts, Rules(modulus=modulus))
    # slot 10:00: 6 + 6 * 5/10 = 9; slot 10:15: 6 * 5/10 = 3.
    assert energies(slots) == {0: 9.0, 15: 3.0}
    assert not any(estimated(slots).values())
    assert [iv.kind for iv in intervals(pts, Rules(modulus=modulus))] == ["normal", "rollover"]
    # Without the width the same drop is a reset (estimated), never a negative delta.
    assert [iv.kind for iv in intervals(pts)] == ["normal", "reset"]


def test_glitch_to_zero_books_nothing():
    # Home Assistant core #124420: 1000, 0, 1001 books 1 kWh, not 1001.
    slots = slot_energies(series((0, 1000.0), (1, 0.0), (2, 1001.0)))
    assert energies(slots) == {0: 1.0}
    assert estimated(slots) == {0: False}
    # A spike up and back is a glitch too: 1000, 90000, 1002 books 2.
    assert energies(slot_energies(series((0, 1000.0), (1, 90000.0), (2, 1002.0)))) == {0: 2.0}


def test_gap_is_spread_pro_rata_and_marked_estimated():
    # 10:10 200, then nothing until 11:10 (a 60 min gap > 30 min) reading 260:
    # 60 kWh over 60 minutes = 1 kWh/min: 5 | 15 | 15 | 15 | 10, all estimated.
    slots = slot_energies(series((5, 195.0), (10, 200.0), (70, 260.0)))
    assert energies(slots) == {0: 10.0, 15: 15.0, 30: 15.0, 45: 15.0, 60: 10.0}
    # slot 10:00 also has the normal 10:05-10:10 interval, but the gap touches it.
    assert estimated(slots) == {0: True, 15: True, 30: True, 45: True, 60: True}
    assert sum(s.energy for s in slots.values()) == pytest.approx(65.0)


def test_meter_replacement_splits_the_series():
    # Old meter: 10:00 5000, 10:10 5010; replaced at 10:20, its final reading 5020.
    # New meter: initial 3 at 10:20, reads 8 at 10:30.
    pts = series((0, 5000.0), (10, 5010.0), (30, 8.0))
    rep = Replacement(at(20), old_final=5020.0, new_initial=3.0)
    slots = slot_energies(pts, replacements=[rep])
    # 10:00-10:10: 10; 10:10-10:20: 10 (5 in each slot); 10:20-10:30: 5 (all in 10:15).
    assert energies(slots) == {0: 15.0, 15: 10.0}
    assert not any(estimated(slots).values())
    # Without the event the drop 5010 -> 8 would be a reset, estimated.
    assert any(estimated(slot_energies(pts)).values())


def test_duplicate_readings_change_nothing():
    pts = series((0, 1.0), (7, 2.5), (14, 4.0), (21, 5.0))
    assert slot_energies(pts + pts) == slot_energies(pts)


def test_demand_is_the_peak_15_minute_average_power():
    # Slots of 2.5 kWh and 4 kWh in one hour: 10 kW and 16 kW, the hour's demand 16 kW.
    assert demand_kw(2.5) == 10.0
    slots = {at(0): 2.5, at(15): 4.0, at(60): 1.0}
    hours = peak_demand(slots, lambda t: t.replace(minute=0))
    assert hours == {at(0): 16.0, at(60): 4.0}


def test_slot_of_aligns_to_quarter_hours():
    assert slot_of(at(14.99)) == at(0) and slot_of(at(15)) == at(15)
    assert slot_of(datetime(2026, 3, 2, 23, 59, tzinfo=UTC)) == datetime(
        2026, 3, 2, 23, 45, tzinfo=UTC)


def test_float_registers_never_wrap():
    assert counter_modulus("f32", 1) is None
    assert counter_modulus("u16", 1) == 65536.0
