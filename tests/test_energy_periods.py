"""The per-period energy rollup against real PostgreSQL, Redis and RQ: each device's kWh
per local day (and month) per tariff version and period, kept by the rollup job from the
same slot corrections, re-rolled by a job when a tariff version changes, and the cost
of share, ranking and the overview read from it. Every expectation is computed by hand
in the comments, and a generated month is priced both ways (the slot-by-slot
``pricing.priced`` is the reference).

The world is test_energy_analytics.py's (site A in Asia/Shanghai, UTC+8): WL1 (breaker
B1, area JQ1) and WL2 (breaker B2, area BG) under the incomer IN (meter M0).
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from rq import SimpleWorker
from sqlalchemy import text

from backend.energy import periods, pricing, rollup
from backend.extensions import db, redis
from backend.jobs import get_queue
from backend.telemetry import ingest
from tests.test_energy_analytics import (
    HALF_PAST,
    LAST_MONTH,
    SH,
    THIS_MONTH,
    TODAY,
    book,
    build,
    local,
    quarters,
    tariff,
)


@pytest.fixture
def w(ctx):
    return build()


def rows(device_id: int, day: date) -> dict:
    """{(tariff_id, period): kWh} of a device's local day."""
    return {(t, p): round(k, 9) for t, p, k in db.session.execute(text(
        "SELECT tariff_id, period, import_kwh FROM energy_day_periods WHERE device_id = :d "
        "AND day = :day"), {"d": device_id, "day": day}).all()}


def ranking(client, w, start: date, end: date) -> dict:
    """WL1's and WL2's (kWh, cost) over local days, the answer's total cost."""
    body = client.get("/api/v1/energy/ranking", headers=w["h"], query_string={
        "site_id": w["site"], "by": "circuit", "start": start.isoformat(),
        "end": end.isoformat()}).get_json()
    return {i["code"]: (round(i["import_kwh"], 6), round(i["cost"], 6))
            for i in body["items"]} | {"total": round(body["total_cost"], 6)}


def run_jobs() -> int:
    """Every queued job of the default queue (the tariff re-roll), run here."""
    q = get_queue("default", redis.raw())
    n = q.count
    SimpleWorker([q], connection=redis.raw()).work(burst=True)
    return n


def test_a_half_past_boundary_and_local_midnight_through_the_job(w, client):
    # valley 23:00-07:00 (0.3), flat 07:00-10:30 (0.6), peak 10:30-23:00 (1.0).
    tid = tariff(client, w, LAST_MONTH - timedelta(days=40),
                 {"valley": 0.3, "flat": 0.6, "peak": 1.0}).get_json()["id"]
    assert run_jobs() == 1   # the POST enqueued the re-roll of the days it covers
    day = TODAY - timedelta(days=3)
    nxt = day + timedelta(days=1)
    # B1 every 15 minutes from 10:00: slots 10:00 = 1, 10:15 = 2 (flat), 10:30 = 3,
    # 10:45 = 4 (peak): flat 3 kWh, peak 7 kWh; 3 x 0.6 + 7 x 1.0 = 8.8 (by the hour's
    # start, 6.0). B2 from 23:30 to 00:30: 1 kWh a slot, two on each local day, all
    # valley (0.3): 0.6 a day; the day ends at 16:00 UTC.
    ingest.ingest([(w["b1"], local(day, 10) + timedelta(minutes=15 * i),
                    {"energy_import": v}) for i, v in enumerate([100, 101, 103, 106, 110])]
                  + [(w["b2"], local(day, 23, 30) + timedelta(minutes=15 * i),
                      {"energy_import": 50.0 + i}) for i in range(5)])
    rollup.run()
    assert rows(w["b1"], day) == {(tid, "flat"): 3.0, (tid, "peak"): 7.0}
    assert rows(w["b2"], day) == {(tid, "valley"): 2.0}
    assert rows(w["b2"], nxt) == {(tid, "valley"): 2.0}
    assert ranking(client, w, day, day) == {"WL1": (10.0, 8.8), "WL2": (2.0, 0.6),
                                            "total": 9.4}
    assert ranking(client, w, nxt, nxt)["WL2"] == (2.0, 0.6)
    # a day's period rows sum to its day row
    assert db.session.execute(text(
        "SELECT count(*) FROM energy_days d LEFT JOIN (SELECT device_id, day, "
        "sum(import_kwh) k FROM energy_day_periods GROUP BY 1, 2) p USING (device_id, day) "
        "WHERE abs(d.import_kwh - coalesce(p.k, -1)) > 1e-9")).scalar() == 0


def test_a_late_reading_re_rolls_the_day_idempotently(w, client):
    tid = tariff(client, w, LAST_MONTH - timedelta(days=40),
                 {"valley": 0.3, "flat": 0.6, "peak": 1.0}).get_json()["id"]
    day = TODAY - timedelta(days=2)
    # 10:30 missing: 10:15 -> 10:45 books 5 kWh pro rata, 2.5 in 10:15 (flat) and 2.5 in
    # 10:30 (peak): flat 1 + 2.5 = 3.5, peak 2.5 + 4 = 6.5: 3.5 x 0.6 + 6.5 = 8.6.
    at = {0: 100.0, 15: 101.0, 45: 106.0, 60: 110.0}
    ingest.ingest([(w["b1"], local(day, 10) + timedelta(minutes=m), {"energy_import": v})
                   for m, v in at.items()])
    rollup.run()
    assert rows(w["b1"], day) == {(tid, "flat"): 3.5, (tid, "peak"): 6.5}
    assert ranking(client, w, day, day)["WL1"] == (10.0, 8.6)
    # the 10:30 reading (103) arrives late: 1, 2 flat, 3, 4 peak: 8.8
    late = [(w["b1"], local(day, 10, 30), {"energy_import": 103.0})]
    ingest.ingest(late)
    rollup.run()
    assert rows(w["b1"], day) == {(tid, "flat"): 3.0, (tid, "peak"): 7.0}
    assert ranking(client, w, day, day)["WL1"] == (10.0, 8.8)
    # re-sent, and rolled again: the same rows
    before = db.session.execute(text(
        "SELECT * FROM energy_day_periods ORDER BY 1, 2, 3, 4")).all()
    ingest.ingest(late)
    rollup.run()
    rollup.roll_all()
    db.session.commit()
    assert db.session.execute(text(
        "SELECT * FROM energy_day_periods ORDER BY 1, 2, 3, 4")).all() == before


def test_a_spread_gap_and_a_meter_replacement_land_in_their_periods(w, client):
    tid = tariff(client, w, LAST_MONTH - timedelta(days=40),
                 {"valley": 0.3, "flat": 0.6, "peak": 1.0}).get_json()["id"]
    day = TODAY - timedelta(days=2)
    # B2 silent from 10:10 to 11:10 (a gap): 60 kWh spread pro rata, 5 / 15 / 15 / 15 / 10
    # in the slots 10:00 ... 11:00: flat 5 + 15 = 20, peak 15 + 15 + 10 = 40: 52.0.
    ingest.ingest([(w["b2"], local(day, 10, 10), {"energy_import": 200.0}),
                   (w["b2"], local(day, 11, 10), {"energy_import": 260.0})])
    # B1's meter swapped at 10:35 (old final 5020, new initial 3): 10:15 5000, 10:25 5010,
    # 10:45 8 (the new meter). Old meter 10 kWh to 10:25 and 10 more to 10:35 (5 in each
    # slot), the new one 8 - 3 = 5 after: slot 10:15 = 15 (flat), slot 10:30 = 10 (peak):
    # 15 x 0.6 + 10 x 1.0 = 19.0.
    ingest.ingest([(w["b1"], local(day, 10, 15), {"energy_import": 5000.0}),
                   (w["b1"], local(day, 10, 25), {"energy_import": 5010.0}),
                   (w["b1"], local(day, 10, 45), {"energy_import": 8.0})])
    rollup.run()
    assert rows(w["b2"], day) == {(tid, "flat"): 20.0, (tid, "peak"): 40.0}
    assert ranking(client, w, day, day)["WL2"] == (60.0, 52.0)
    r = client.post("/api/v1/meter-replacements", headers=w["ha"], json={
        "device_id": w["b1"], "at": local(day, 10, 35).isoformat(),
        "readings": {"energy_import": {"old_final": 5020.0, "new_initial": 3.0}}})
    assert r.status_code == 201, r.get_json()
    assert rows(w["b1"], day) == {(tid, "flat"): 15.0, (tid, "peak"): 10.0}
    assert ranking(client, w, day, day)["WL1"] == (25.0, 19.0)


def test_a_tariff_version_change_mid_month_is_re_rolled_by_the_job(w, client):
    # v1 from the 1st of last month: flat 0.5, peak 1.0. B1 on the 3rd and the 20th,
    # slots 10:00-10:45: 1, 2 (flat), 3, 4 (peak): 1.5 + 7 = 8.5 each day, 17.0.
    v1 = tariff(client, w, LAST_MONTH, {"valley": 0.2, "flat": 0.5,
                                        "peak": 1.0}).get_json()["id"]
    run_jobs()
    d3, d20 = LAST_MONTH.replace(day=3), LAST_MONTH.replace(day=20)
    book(w["b1"], {**quarters(d3, 10, [1, 2, 3, 4]), **quarters(d20, 10, [1, 2, 3, 4])})
    month_end = THIS_MONTH - timedelta(days=1)
    assert ranking(client, w, LAST_MONTH, month_end)["WL1"] == (20.0, 17.0)
    # v2 from the 15th: flat 0.8, peak 2.0. The 20th: 3 x 0.8 + 7 x 2.0 = 16.4; the
    # month (its month rows: two versions) 8.5 + 16.4 = 24.9. Until the job has run,
    # the figure is the old one.
    r = tariff(client, w, LAST_MONTH.replace(day=15), {"valley": 0.2, "flat": 0.8,
                                                       "peak": 2.0})
    assert r.status_code == 201
    v2 = r.get_json()["id"]
    assert ranking(client, w, LAST_MONTH, month_end)["WL1"] == (20.0, 17.0)
    assert run_jobs() == 1
    assert rows(w["b1"], d20) == {(v2, "flat"): 3.0, (v2, "peak"): 7.0}
    assert rows(w["b1"], d3) == {(v1, "flat"): 3.0, (v1, "peak"): 7.0}
    assert ranking(client, w, LAST_MONTH, month_end)["WL1"] == (20.0, 24.9)
    assert ranking(client, w, d3, d20)["WL1"] == (20.0, 24.9)      # the day rows
    assert db.session.execute(text(
        "SELECT tariff_id, period, import_kwh FROM energy_month_periods WHERE device_id = :d "
        "ORDER BY 1, 2"), {"d": w["b1"]}).all() == [
        (v1, "flat", 3.0), (v1, "peak", 7.0), (v2, "flat", 3.0), (v2, "peak", 7.0)]
    # v2 moved to the 21st: the 20th is v1's again (8.5): 17.0
    assert client.put(f"/api/v1/energy-tariffs/{v2}", headers=w["ha"], json={
        "valid_from": LAST_MONTH.replace(day=21).isoformat()}).status_code == 200
    assert run_jobs() == 1
    assert ranking(client, w, LAST_MONTH, month_end)["WL1"] == (20.0, 17.0)
    # v1 deleted: the 3rd and the 20th are before the first version, unpriced
    assert client.delete(f"/api/v1/energy-tariffs/{v1}", headers=w["ha"]).status_code == 204
    assert run_jobs() == 1
    assert rows(w["b1"], d3) == {(0, "none"): 10.0}
    assert ranking(client, w, LAST_MONTH, month_end)["WL1"] == (20.0, 0.0)
    # a refused write enqueues nothing
    assert tariff(client, w, LAST_MONTH.replace(day=21), {"valley": 0.1, "flat": 1.0,
                                                         "peak": 1.0}).status_code == 409
    assert run_jobs() == 0


SHARP = [{"period": "valley", "start": "23:00", "end": "07:00"},
         {"period": "flat", "start": "07:00", "end": "10:30"},
         {"period": "peak", "start": "10:30", "end": "19:00"},
         {"period": "sharp", "start": "19:00", "end": "21:00"},
         {"period": "peak", "start": "21:00", "end": "23:00"}]


def test_the_period_rollup_prices_as_the_slots_do(w, client):
    # Every slot from the 25th of the month before last to the 5th of this month, for
    # the three meters, a pseudo-random kWh; three versions (the first on last month's
    # 1st: the days before are unpriced). Each device's cost over several spans, from
    # the period rollups, equals the slot-by-slot pricing of the same days.
    start = (LAST_MONTH - timedelta(days=1)).replace(day=25)
    for i, (vf, per, prices) in enumerate((
            (LAST_MONTH, HALF_PAST, {"valley": 0.31, "flat": 0.62, "peak": 1.07}),
            (LAST_MONTH.replace(day=11), SHARP,
             {"valley": 0.2, "flat": 0.7, "peak": 1.1, "sharp": 1.6}),
            (LAST_MONTH.replace(day=21), HALF_PAST,
             {"valley": 0.25, "flat": 0.55, "peak": 0.95}))):
        assert tariff(client, w, vf, prices, periods=per).status_code == 201, i
    rnd = random.Random(12)
    t0 = datetime.combine(start, datetime.min.time(), SH)
    n = ((THIS_MONTH.replace(day=5) - start).days + 1) * 96
    ids = [w["m0"], w["b1"], w["b2"]]
    for d in ids:
        db.session.execute(text(
            "INSERT INTO energy_slots SELECT :d, t, k, 0, 0, k * 4, false FROM unnest("
            "CAST(:ts AS timestamptz[]), CAST(:ks AS float8[])) AS x(t, k)"),
            {"d": d, "ts": [t0 + timedelta(minutes=15 * i) for i in range(n)],
             "ks": [round(rnd.uniform(0, 3), 3) for _ in range(n)]})
    db.session.execute(text(rollup._DAYS_MONTHS), {
        "ds": ids, "tz": ["Asia/Shanghai"] * 3, "day0": [start] * 3,
        "month0": [start.replace(day=1)] * 3})
    periods.roll([(d, w["site"], "Asia/Shanghai") for d in ids], [start] * 3)
    db.session.commit()
    versions = pricing.Versions(w["site"])
    month_end = THIS_MONTH - timedelta(days=1)
    for a, b in ((LAST_MONTH, month_end), (start, THIS_MONTH.replace(day=5)),
                 (LAST_MONTH.replace(day=9), LAST_MONTH.replace(day=23)),
                 (LAST_MONTH.replace(day=11), LAST_MONTH.replace(day=11)),
                 (start, LAST_MONTH.replace(day=2))):
        got = periods.device_costs(ids, a, b, versions.by_id)
        ref = pricing.priced(w["site"], "Asia/Shanghai", ids,
                             datetime.combine(a, datetime.min.time(), SH),
                             datetime.combine(b + timedelta(days=1), datetime.min.time(), SH),
                             "device", versions)
        for d in ids:
            assert got[d]["cost"] == pytest.approx(ref[d]["cost"], rel=1e-12), (a, b, d)
            assert got[d]["unpriced_kwh"] == pytest.approx(ref[d]["unpriced_kwh"],
                                                           rel=1e-12, abs=1e-9)
            for p, kwh in ref[d]["kwh_by_period"].items():
                assert got[d]["kwh_by_period"][p] == pytest.approx(kwh, rel=1e-12)
    # the site's (M0's) day and month trend points: the same as its slots priced per day
    for interval in ("day", "month"):
        lo = datetime.combine(start.replace(day=1) if interval == "month" else start,
                              datetime.min.time(), SH)
        hi = datetime.combine(THIS_MONTH.replace(day=6), datetime.min.time(), SH)
        body = client.get("/api/v1/energy/trend", headers=w["h"], query_string={
            "node": "site", "node_id": w["site"], "interval": interval,
            "start": lo.isoformat(), "end": hi.isoformat()}).get_json()
        hi = datetime.combine(THIS_MONTH.replace(day=6) if interval == "day" else
                              (THIS_MONTH + timedelta(days=32)).replace(day=1),
                              datetime.min.time(), SH)
        ref = pricing.priced(w["site"], "Asia/Shanghai", [w["m0"]], lo, hi, interval, versions)
        assert len(body["points"]) == len(ref) > 2
        for pt in body["points"]:
            key = datetime.fromisoformat(pt["start"]).astimezone(SH).date()
            assert pt["cost"] == pytest.approx(ref[key]["cost"], rel=1e-12), (interval, key)
            assert pt["unpriced_kwh"] == pytest.approx(ref[key]["unpriced_kwh"], abs=1e-9)
    # before the first version: unpriced, nothing invented
    early = periods.device_costs(ids, start, LAST_MONTH - timedelta(days=1), versions.by_id)
    assert all(v["cost"] == 0.0 and v["unpriced_kwh"] > 0 for v in early.values())
    # the share of areas over last month: each area's cost is its devices' reference cost
    share = client.get("/api/v1/energy/share", headers=w["h"], query_string={
        "site_id": w["site"], "by": "area", "start": LAST_MONTH.isoformat(),
        "end": month_end.isoformat()}).get_json()
    ref = pricing.priced(w["site"], "Asia/Shanghai", [w["b1"], w["b2"]],
                         datetime.combine(LAST_MONTH, datetime.min.time(), SH),
                         datetime.combine(THIS_MONTH, datetime.min.time(), SH), "device",
                         versions)
    assert {i["code"]: i["cost"] for i in share["items"]} == {
        "JQ1": pytest.approx(ref[w["b1"]]["cost"], rel=1e-12),
        "BG": pytest.approx(ref[w["b2"]]["cost"], rel=1e-12)}


def test_the_re_roll_waits_for_the_rollups_lock_and_is_enqueued_again(w, client):
    # A running rollup holds the lock: the re-roll writes nothing and is enqueued again;
    # once the lock is free, the queued job prices the day (flat 0.5: 1 kWh -> 0.5).
    book(w["b1"], {local(LAST_MONTH.replace(day=3), 9): 1.0})
    d3 = LAST_MONTH.replace(day=3)
    assert rows(w["b1"], d3) == {(0, "none"): 1.0}
    tid = tariff(client, w, LAST_MONTH, {"flat": 0.5},
                 periods=[{"period": "flat", "start": "00:00", "end": "24:00"}]).get_json()["id"]
    get_queue("default", redis.raw()).empty()   # the POST's job: run by hand below
    redis.current().set(rollup.LOCK_KEY, "running")
    assert periods.reroll_site(w["site"], LAST_MONTH, None, wait=0) == {
        "site_id": w["site"], "requeued": True}
    assert rows(w["b1"], d3) == {(0, "none"): 1.0}
    redis.current().delete(rollup.LOCK_KEY)
    assert run_jobs() == 1
    assert rows(w["b1"], d3) == {(tid, "flat"): 1.0}
    assert not redis.current().exists(rollup.LOCK_KEY)


def test_roll_all_in_bounded_batches_writes_what_one_batch_writes(w, monkeypatch):
    """roll_all's batches follow the readings each device has (a device with many readings
    alone, the rest together) and its slots go in bounded INSERTs; the rows are the same
    as one batch and one statement writes."""
    day = TODAY - timedelta(days=1)
    for dev, step in ((w["b1"], 15), (w["b2"], 5), (w["m0"], 60)):
        ingest.ingest([(dev, local(day, 0) + timedelta(minutes=m), {"energy_import": m / 10})
                       for m in range(0, 24 * 60, step)])
    rollup.roll_all()
    db.session.commit()
    one = db.session.execute(text("SELECT * FROM energy_slots ORDER BY 1, 2")).all()
    assert len(one) > 96
    # b1: 96 readings, b2: 288, m0: 24 -> batches [b1] [b2] [m0] at 100 readings a batch
    monkeypatch.setattr(rollup, "READINGS_PER_BATCH", 100)
    monkeypatch.setattr(rollup, "INSERT_ROWS", 7)
    ids = sorted((w["b1"], w["b2"], w["m0"]))
    sizes = {w["b1"]: 96, w["b2"]: 288, w["m0"]: 24}
    batches = list(rollup._history_batches(ids))
    assert all(sum(sizes[d] for d in b) <= 100 or len(b) == 1 for b in batches), batches
    assert sorted(d for b in batches for d in b) == ids and len(batches) >= 2
    rollup.roll_all()
    db.session.commit()
    assert db.session.execute(text("SELECT * FROM energy_slots ORDER BY 1, 2")).all() == one
