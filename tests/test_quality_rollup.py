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
    assert [v for r in again for v in r[3:] if v is not None] == pytest.approx(
        [v for r in first for v in r[3:] if v is not None], rel=1e-12)
