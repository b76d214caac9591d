"""Power quality's 10-minute rollup: the report from the rollup with its statistics in
SQL equals the raw computation (every interval from ``readings``, indices in Python) on
the same data; late readings correct the intervals, and rolling again writes the same
rows."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import text

from backend import jobs
from backend.clock import utcnow
from backend.extensions import db
from backend.models import Device
from backend.quality import operations, rollup, store
from backend.telemetry import ingest
from tests.test_telemetry import w  # noqa: F401  (fixture)
from workers.jobs import quality as quality_job


def _batch(world, t0, minutes: int, rng: random.Random, offset_s: int = 0) -> list:
    """d1: three-phase voltages, currents, powers, frequency; d2: single-phase; d3:
    three-phase with line-to-line voltages and THD; d4: voltages only. A sag, a swell and
    an interruption at known minutes; one interval at 245 V (non-compliant)."""
    batch = []
    for k in range(minutes):
        ts = t0 + timedelta(minutes=k, seconds=offset_s)
        base = 222 + 6 * rng.random() + (25 if 60 <= k < 70 else 0)
        if k in (35, 36):
            base = 150                            # a sag
        elif 90 <= k < 100:
            base = 8                              # an interruption, one interval
        elif k == 130:
            base = 250                            # a swell
        va, vb, vc = base, base * (1 + 0.03 * rng.random()), base * (1 - 0.02 * rng.random())
        ia, ib, ic = (20 * rng.random(), 20 * rng.random(), 20 * rng.random())
        p = 0.02 if k % 17 == 0 else 5 * rng.random() + 0.1      # light load: no PF
        batch.append((world["d1"], ts, {
            "voltage_a": va, "voltage_b": vb, "voltage_c": vc, "current_a": ia,
            "current_b": ib, "current_c": ic, "frequency": 50 + 0.4 * (rng.random() - 0.5),
            "active_power": p, "reactive_power": 3 * rng.random(),
            "power_factor": 0.8 + 0.2 * rng.random()}))
        batch.append((world["d2"], ts, {"voltage_a": 210 + 30 * rng.random(),
                                    "current_a": 5 * rng.random(),
                                    "power_factor": 0.7 + 0.3 * rng.random()}))
        batch.append((world["d3"], ts, {
            "voltage_a": va, "voltage_b": vb, "voltage_c": vc, "voltage_ab": 380 + 9 * rng.random(),
            "voltage_bc": 380 + 9 * rng.random(), "voltage_ca": 380 + 9 * rng.random(),
            "thd_voltage_a": 6 * rng.random(), "thd_voltage_b": 6 * rng.random(),
            "thd_voltage_c": 6 * rng.random(), "frequency": 50 + 0.1 * rng.random()}))
        batch.append((world["d4"], ts, {"voltage_a": va, "voltage_b": vb, "voltage_c": vc}))
    return batch


def _points(world) -> list[Device]:
    return [db.session.get(Device, world[k]) for k in ("d1", "d2", "d3", "d4")]


def _same(world, start, end) -> dict:
    points = _points(world)
    rolled = operations.jsonable(operations.analyse(points, start, end))
    raw = operations.jsonable(operations.analyse_raw(points, start, end))
    assert rolled == raw
    return rolled


def _rows() -> list:
    return [tuple(r) for r in db.session.execute(text(
        "SELECT * FROM quality_intervals ORDER BY device_id, ts")).all()]


def test_rolled_report_equals_the_raw_computation_and_late_readings_correct_it(w):  # noqa: F811
    d2 = db.session.get(Device, w["d2"])
    d2.poles = "1P"
    db.session.get(Device, w["d1"]).rated_current = 63.0
    db.session.commit()
    rng = random.Random(13)
    t0 = (utcnow() - timedelta(hours=4)).replace(second=0, microsecond=0)
    t0 -= timedelta(minutes=t0.minute % 10)
    ingest.ingest(_batch(w, t0, 180, rng))
    start, end = t0 + timedelta(minutes=3, seconds=20), t0 + timedelta(minutes=177)
    ids = [w[k] for k in ("d1", "d2", "d3", "d4")]

    # nothing rolled yet: the marks make the read compute from readings
    assert set(rollup.pending(ids)) == set(ids)
    before = _same(w, start, end)
    assert jobs.JOBS["quality.rollup"].func == "workers.jobs.quality.rollup"
    assert quality_job.rollup()["devices"] == 4          # the job's entry point
    assert rollup.pending(ids) == {}
    assert len(_rows()) == 4 * 18                     # 180 minutes, 4 points
    after = _same(w, start, end)
    assert after == before
    rep = after[w["d1"]]
    assert rep["flagged_intervals"] == 1 and rep["intervals"] > 10
    assert {e["kind"] for e in rep["events"]} >= {"sag", "swell", "interruption"}
    assert rep["indices"]["voltage_deviation"]["compliant"] is False
    assert rep["indices"]["power_factor"]["available"] and rep["voltage_load_r"] is not None
    assert after[w["d2"]]["indices"]["voltage_unbalance"]["available"] is False
    assert after[w["d3"]]["indices"]["voltage_unbalance"]["approximate"] is False
    assert after[w["d3"]]["indices"]["thd_voltage"]["available"]
    # the rolled rows are the raw aggregates
    aggs = store.aggregates([w["d3"]], t0, t0 + timedelta(minutes=180))[w["d3"]]
    rolled = db.session.execute(text(
        "SELECT ts, n, voltage_ab, thd_voltage_b FROM quality_intervals WHERE device_id = :d "
        "ORDER BY ts"), {"d": w["d3"]}).all()
    assert [(a["ts"], a["n"]) for a in aggs] == [(r[0], r[1]) for r in rolled]
    # the same sums, maybe added in another order (the last bit may differ)
    assert [a["voltage_ab"] for a in aggs] == pytest.approx([r[2] for r in rolled], rel=1e-12)
    assert [a["thd_voltage_b"] for a in aggs] == pytest.approx([r[3] for r in rolled], rel=1e-12)

    # late readings, 30 s into minutes already rolled: a new sag among them
    late = _batch(w, t0 + timedelta(minutes=100), 20, random.Random(7), offset_s=30)
    late[0][2].update(voltage_a=100.0)
    ingest.ingest(late)
    assert set(rollup.pending(ids)) == set(ids)
    pending_view = _same(w, start, end)                 # rolled below the mark, raw above
    assert pending_view != after
    rollup.run()
    assert _same(w, start, end) == pending_view
    first = _rows()
    for d in ids:                                         # re-sent: the same rows again
        rollup.mark(d, t0)
    rollup.run()
    again = _rows()
    assert [r[:3] for r in again] == [r[:3] for r in first]       # points, intervals, counts
    assert [v is None for r in again for v in r] == [v is None for r in first for v in r]
    k = 3 + len(rollup.COLUMNS)                   # the aggregates, then the stored values

    def nums(rows, a, b=None):
        return [v for r in rows for v in r[a:b] if isinstance(v, float)]
    assert nums(again, 3, k) == pytest.approx(nums(first, 3, k), rel=1e-12)
    # the unbalance's differences of near-equal squares magnify the last bit
    assert nums(again, k) == pytest.approx(nums(first, k), rel=1e-9)
    assert [v for r in again for v in r[3:] if isinstance(v, str)] == [
        v for r in first for v in r[3:] if isinstance(v, str)]        # the unbalance methods


def _migration():
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "migrations/versions/0026_quality_values.py"
    spec = importlib.util.spec_from_file_location("m0022", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_stored_values_hold_across_spec_changes_and_the_migration_backfills_them(w):  # noqa: F811
    """The stored values depend on no setting or spec: after a point's nominal voltage,
    poles, rating, voltage level or the power-factor target change, without a re-roll,
    the report still equals the raw computation; the migration's backfill writes what
    the rollup stored."""
    from flask import current_app
    rng = random.Random(5)
    t0 = (utcnow() - timedelta(hours=4)).replace(second=0, microsecond=0)
    t0 -= timedelta(minutes=t0.minute % 10)
    ingest.ingest(_batch(w, t0, 180, rng))
    rollup.run()
    start, end = t0, t0 + timedelta(minutes=180)
    before = _same(w, start, end)
    d1, d3, d4 = (db.session.get(Device, w[k]) for k in ("d1", "d3", "d4"))
    d1.attributes = {**(d1.attributes or {}), "nominal_voltage": 230}
    d1.rated_current = 10.0
    d3.attributes = {**(d3.attributes or {}), "nominal_kv": 10}
    d4.poles = "1P"
    db.session.commit()
    assert rollup.pending([w["d1"], w["d3"], w["d4"]]) == {}     # nothing re-rolled
    current_app.config["GW_QUALITY_POWER_FACTOR_TARGET"] = 0.99
    try:
        after = _same(w, start, end)
    finally:
        del current_app.config["GW_QUALITY_POWER_FACTOR_TARGET"]
    pf = (before[w["d1"]]["indices"]["power_factor"], after[w["d1"]]["indices"]["power_factor"])
    assert pf[0]["limits"] != pf[1]["limits"]
    assert after[w["d1"]]["spec"]["nominal_v"] == 230.0
    assert after[w["d1"]]["indices"] != before[w["d1"]]["indices"]
    assert after[w["d4"]]["indices"]["voltage_unbalance"]["available"] is False
    assert before[w["d4"]]["indices"]["voltage_unbalance"]["available"] is True
    assert after[w["d3"]]["indices"]["thd_voltage"] != before[w["d3"]]["indices"]["thd_voltage"]

    rolled = _rows()
    methods = set(db.session.scalars(text("SELECT DISTINCT um FROM quality_intervals")))
    assert methods == {"l", "m", None}       # d3's line voltages, d1/d4 magnitudes, d2
    db.session.execute(text("UPDATE quality_intervals SET " + ", ".join(
        f"{c} = NULL" for c in rollup.VALUES)))
    assert _rows() != rolled
    db.session.execute(text(_migration().backfill_sql()))
    assert _rows() == rolled                  # the same expressions on the same columns


def _days_batch(world, t0, steps: int, rng: random.Random) -> list:
    """Every 10 minutes: d1 three-phase with currents and powers (a sag and an
    interruption on the second day), d2 single-phase, d3 line voltages and THD, d4
    voltages only, 245 V for the whole second day (its month's top values all in one
    day: more than days.DAY_TOP of them)."""
    batch = []
    for k in range(steps):
        ts = t0 + timedelta(minutes=10 * k)
        base = 222 + 6 * rng.random()
        day = k // 144
        v1 = 150 if k == 144 + 30 else 5 if k == 144 + 80 else base
        batch.append((world["d1"], ts, {
            "voltage_a": v1, "voltage_b": v1 * (1 + 0.03 * rng.random()),
            "voltage_c": v1 * (1 - 0.02 * rng.random()), "current_a": 20 * rng.random(),
            "current_b": 20 * rng.random(), "current_c": 20 * rng.random(),
            "frequency": 50 + 0.4 * (rng.random() - 0.5), "active_power": 5 * rng.random(),
            "reactive_power": 3 * rng.random()}))
        batch.append((world["d2"], ts, {"voltage_a": 210 + 30 * rng.random(),
                                    "current_a": 5 * rng.random(),
                                    "power_factor": 0.7 + 0.3 * rng.random()}))
        batch.append((world["d3"], ts, {
            "voltage_a": base, "voltage_b": base + 2, "voltage_c": base - 1,
            "voltage_ab": 380 + 9 * rng.random(), "voltage_bc": 380 + 9 * rng.random(),
            "voltage_ca": 380 + 9 * rng.random(), "thd_voltage_a": 6 * rng.random(),
            "thd_voltage_b": 6 * rng.random(), "thd_voltage_c": 6 * rng.random(),
            "frequency": 50 + 0.1 * rng.random()}))
        v4 = 245 + rng.random() if day == 1 else base
        batch.append((world["d4"], ts, {"voltage_a": v4, "voltage_b": v4 + 1,
                                    "voltage_c": v4 - 1}))
    return batch


def test_whole_days_come_from_the_day_partials_with_the_same_answer(w):  # noqa: F811
    d2 = db.session.get(Device, w["d2"])
    d2.poles = "1P"
    db.session.get(Device, w["d1"]).rated_current = 63.0
    db.session.commit()
    day0 = (utcnow() - timedelta(days=4)).replace(hour=0, minute=0, second=0, microsecond=0)
    ingest.ingest(_days_batch(w, day0, 3 * 144 + 60, random.Random(21)))
    rollup.run()
    ids = [w[k] for k in ("d1", "d2", "d3", "d4")]
    assert db.session.execute(text("SELECT count(*) FROM quality_days")).scalar() == 4 * 4
    start, end = day0 + timedelta(hours=3, minutes=25), day0 + timedelta(days=3, hours=9)
    rolled = _same(w, start, end)
    assert rolled[w["d1"]]["flagged_intervals"] == 1
    assert {e["kind"] for e in rolled[w["d1"]]["events"]} >= {"sag", "interruption"}
    specs = {d.id: operations.spec_for(d) for d in _points(w)}
    stats = rollup.point_stats(specs, start, end)
    # d1-d3: the two whole days from their partials; d4's top values are all in its
    # second day, more than a day keeps: computed from its intervals instead
    assert [stats[d]["days_used"] for d in ids] == [2, 2, 2, 0]
    assert rolled[w["d4"]]["indices"]["voltage_deviation"]["p95"] > 11

    # a late sag on the second day: until the job runs, d1's days from that day on are
    # not used (its intervals from the mark on come from readings), then they are again
    ingest.ingest([(w["d1"], day0 + timedelta(days=1, hours=12, seconds=30),
                    {"voltage_a": 120.0, "voltage_b": 121.0, "voltage_c": 119.0})])
    assert set(rollup.pending(ids)) == {w["d1"]}
    late = _same(w, start, end)
    assert late != rolled
    assert rollup.point_stats(specs, start, end)[w["d1"]]["days_used"] == 0
    rollup.run()
    assert rollup.point_stats(specs, start, end)[w["d1"]]["days_used"] == 2
    assert _same(w, start, end) == late
    rolled = late

    # a spec change: the point's days are not used until re-rolled with its new spec
    d1 = db.session.get(Device, w["d1"])
    d1.attributes = {**(d1.attributes or {}), "nominal_voltage": 230}
    db.session.commit()
    specs[w["d1"]] = operations.spec_for(d1)
    assert rollup.point_stats(specs, start, end)[w["d1"]]["days_used"] == 0
    changed = _same(w, start, end)
    assert changed[w["d1"]]["indices"] != rolled[w["d1"]]["indices"]
    assert rollup.run()["days_resynced"] == 1                 # d1's days, from its intervals
    assert rollup.point_stats(specs, start, end)[w["d1"]]["days_used"] == 2
    assert _same(w, start, end) == changed

    # the days are what is read: the whole days' intervals gone, the same report
    db.session.execute(text("DELETE FROM quality_intervals WHERE device_id = ANY(:ids) AND "
                            "ts >= :a AND ts < :b AND device_id <> :d4"),
                       {"ids": ids, "a": day0 + timedelta(days=1),
                        "b": day0 + timedelta(days=3), "d4": w["d4"]})
    assert operations.jsonable(operations.analyse(_points(w), start, end)) == changed
