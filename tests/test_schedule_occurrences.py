"""When a schedule runs (backend/automation/occurrences.py, pure): the site's time zone,
weekdays, holidays, date ranges, extra dates, and the days clocks change elsewhere."""
from __future__ import annotations

from datetime import date, datetime, timezone

from backend.automation.occurrences import Rule, between, next_runs, zone

UTC = timezone.utc
SHANGHAI = zone("Asia/Shanghai")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(times, tz):
    return [t.astimezone(tz).strftime("%a %Y-%m-%d %H:%M") for t in times]


def test_times_of_day_are_the_sites_wall_clock():
    rule = Rule.of(["07:30", "19:00"], range(1, 8))
    # 2026-12-01 is a Tuesday; 07:30 in Shanghai is 23:30 UTC the day before
    runs = next_runs(rule, SHANGHAI, utc(2026, 11, 30, 12, 0), 3)
    assert runs == [utc(2026, 11, 30, 23, 30), utc(2026, 12, 1, 11, 0),
                    utc(2026, 12, 1, 23, 30)]
    assert local(runs, SHANGHAI)[0] == "Tue 2026-12-01 07:30"
    # the same rule in another zone is another instant
    berlin = next_runs(rule, zone("Europe/Berlin"), utc(2026, 11, 30, 12, 0), 1)
    assert berlin == [utc(2026, 11, 30, 18, 0)]


def test_weekdays_holidays_and_extra_dates():
    # workdays at 08:00; 2026-10-01..07 national holiday; Saturday 2026-10-10 a working day
    rule = Rule.of(["08:00"], [1, 2, 3, 4, 5],
                   exceptions=[f"2026-10-0{d}" for d in range(1, 8)],
                   extras=["2026-10-10"])
    runs = between(rule, SHANGHAI, utc(2026, 9, 27, 12, 0), utc(2026, 10, 12, 12, 0))
    assert local(runs, SHANGHAI) == [
        "Mon 2026-09-28 08:00", "Tue 2026-09-29 08:00", "Wed 2026-09-30 08:00",
        "Thu 2026-10-08 08:00", "Fri 2026-10-09 08:00", "Sat 2026-10-10 08:00",
        "Mon 2026-10-12 08:00"]
    # a holiday wins over an extra date
    both = Rule.of(["08:00"], [], exceptions=["2026-10-10"], extras=["2026-10-10"])
    assert between(both, SHANGHAI, utc(2026, 10, 1), utc(2026, 10, 20)) == []


def test_date_range_and_the_end_of_the_runs():
    rule = Rule.of(["06:00"], range(1, 8), start="2026-12-30", end="2027-01-02")
    runs = next_runs(rule, SHANGHAI, utc(2026, 12, 1), 10)
    assert local(runs, SHANGHAI) == ["Wed 2026-12-30 06:00", "Thu 2026-12-31 06:00",
                                     "Fri 2027-01-01 06:00", "Sat 2027-01-02 06:00"]
    # an extra date beyond the range still runs, and the search stops after it
    later = Rule.of(["06:00"], range(1, 8), start="2026-12-30", end="2026-12-30",
                    extras=["2027-02-01"])
    assert local(next_runs(later, SHANGHAI, utc(2026, 12, 1), 5), SHANGHAI) == [
        "Wed 2026-12-30 06:00", "Mon 2027-02-01 06:00"]
    assert Rule.of(["06:00"], [1]).runs_on(date(2026, 11, 30))


def test_between_is_half_open_and_sorted():
    rule = Rule.of(["12:00", "00:00"], range(1, 8))
    at_noon = utc(2026, 12, 1, 4, 0)                  # 12:00 Shanghai
    assert between(rule, SHANGHAI, at_noon, utc(2026, 12, 1, 16, 0)) == \
        [utc(2026, 12, 1, 16, 0)]                     # not the noon it starts at
    assert between(rule, SHANGHAI, utc(2026, 12, 1, 3, 59), at_noon) == [at_noon]
    assert between(rule, SHANGHAI, at_noon, at_noon) == []


def test_clock_changes_in_zones_with_daylight_saving():
    ny = zone("America/New_York")
    # 2026-03-08 02:00 -> 03:00: 02:30 does not exist; it runs at 03:30 EDT, once
    rule = Rule.of(["02:30", "12:00"], range(1, 8))
    spring = between(rule, ny, utc(2026, 3, 8, 0, 0), utc(2026, 3, 9, 0, 0))
    assert spring == [utc(2026, 3, 8, 7, 30), utc(2026, 3, 8, 16, 0)]
    assert local(spring, ny)[0] == "Sun 2026-03-08 03:30"
    # 2026-11-01 02:00 -> 01:00: 01:30 happens twice; it runs at the first, once
    autumn = between(Rule.of(["01:30"], range(1, 8)), ny, utc(2026, 11, 1, 0, 0),
                     utc(2026, 11, 2, 0, 0))
    assert autumn == [utc(2026, 11, 1, 5, 30)]        # 01:30 EDT (UTC-4)
    # noon is noon local on both sides of the change: the UTC instant moves
    noon = next_runs(Rule.of(["12:00"], range(1, 8)), ny, utc(2026, 10, 31, 0, 0), 2)
    assert noon == [utc(2026, 10, 31, 16, 0), utc(2026, 11, 1, 17, 0)]


def test_an_unknown_zone_falls_back_to_china_and_no_times_means_no_runs():
    assert zone("Mars/Olympus").key == "Asia/Shanghai" and zone(None).key == "Asia/Shanghai"
    assert next_runs(Rule.of([], range(1, 8)), SHANGHAI, utc(2026, 1, 1), 3) == []
    assert next_runs(Rule.of(["08:00"], []), SHANGHAI, utc(2026, 1, 1), 3) == []
