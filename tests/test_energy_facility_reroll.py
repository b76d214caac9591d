"""Day, month and period rows re-rolled when the facility changes under them, against real
PostgreSQL, Redis and RQ: a site's time zone changed (the days were cut at the old zone's
midnight) and a device moved to another site (its zone and tariffs). The job
``energy.facility_reroll`` is enqueued after the facility write commits and sums the
rows again from the slots; every expected row is computed by hand in the comments.

The world is test_energy_analytics.py's: site A in Asia/Shanghai (UTC+8) with WL1
(breaker B1) under the incomer; site B with one breaker.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from backend.energy import rollup
from backend.extensions import db, redis
from backend.jobs import get_queue
from backend.models import Device, Site
from backend.telemetry import ingest
from tests.test_energy_analytics import LAST_MONTH, TODAY, build, tariff
from tests.test_energy_periods import ranking, rows, run_jobs

D = TODAY - timedelta(days=3)
N = D + timedelta(days=1)


@pytest.fixture
def w(ctx):
    return build()


def days(device_id: int) -> dict:
    return {d: round(k, 9) for d, k in db.session.execute(text(
        "SELECT day, import_kwh FROM energy_days WHERE device_id = :d ORDER BY 1"),
        {"d": device_id}).all()}


def months(device_id: int) -> dict:
    return {m: round(k, 9) for m, k in db.session.execute(text(
        "SELECT month, import_kwh FROM energy_months WHERE device_id = :d ORDER BY 1"),
        {"d": device_id}).all()}


def per_month(by_day: dict) -> dict:
    out: dict = {}
    for d, k in by_day.items():
        out[d.replace(day=1)] = out.get(d.replace(day=1), 0.0) + k
    return out


def four_hours(device_id: int) -> None:
    """B1 from 14:00 to 18:00 UTC on day D, a reading every 15 minutes climbing 1 kWh:
    16 slots of 1 kWh, 14:00 ... 17:45 UTC."""
    t0 = datetime(D.year, D.month, D.day, 14, tzinfo=UTC)
    ingest.ingest([(device_id, t0 + timedelta(minutes=15 * i), {"energy_import": 100.0 + i})
                   for i in range(17)])
    rollup.run()


def test_a_site_time_zone_change_re_rolls_its_days_after_the_commit(w, client):
    # HALF_PAST: valley 23:00-07:00 (0.3), flat 07:00-10:30 (0.6), peak 10:30-23:00 (1.0).
    tid = tariff(client, w, LAST_MONTH - timedelta(days=40),
                 {"valley": 0.3, "flat": 0.6, "peak": 1.0}).get_json()["id"]
    run_jobs()
    four_hours(w["b1"])
    # In Shanghai 14:00-16:00 UTC is 22:00-24:00 of D: 4 kWh peak (to 23:00) and 4 valley;
    # 16:00-18:00 UTC is 00:00-02:00 of D + 1: 8 valley. D costs 4 x 1.0 + 4 x 0.3 = 5.2.
    assert days(w["b1"]) == {D: 8.0, N: 8.0}
    assert months(w["b1"]) == per_month({D: 8.0, N: 8.0})
    assert rows(w["b1"], D) == {(tid, "peak"): 4.0, (tid, "valley"): 4.0}
    assert rows(w["b1"], N) == {(tid, "valley"): 8.0}
    assert ranking(client, w, D, D)["WL1"] == (8.0, 5.2)
    # Another field changed, or a refused zone: nothing enqueued.
    assert client.put(f"/api/v1/sites/{w['site']}", headers=w["ha"],
                      json={"name": "甲所（新）"}).status_code == 200
    r = client.put(f"/api/v1/sites/{w['site']}", headers=w["ha"],
                   json={"timezone": "Mars/Olympus"})
    assert r.status_code == 422, r.get_json()
    assert get_queue("default", redis.raw()).count == 0
    # The site moves to UTC: the four hours are 14:00-18:00 of D, all peak: 16 kWh on D,
    # costing 16.0, nothing on D + 1. Until the job has run, the old rows stand.
    r = client.put(f"/api/v1/sites/{w['site']}", headers=w["ha"], json={"timezone": "UTC"})
    assert r.status_code == 200, r.get_json()
    assert days(w["b1"]) == {D: 8.0, N: 8.0}
    assert run_jobs() == 1
    assert days(w["b1"]) == {D: 16.0}
    assert months(w["b1"]) == {D.replace(day=1): 16.0}
    assert rows(w["b1"], D) == {(tid, "peak"): 16.0}
    assert rows(w["b1"], N) == {}
    assert db.session.execute(text(
        "SELECT month, tariff_id, period, import_kwh FROM energy_month_periods "
        "WHERE device_id = :d"), {"d": w["b1"]}).all() == [
        (D.replace(day=1), tid, "peak", 16.0)]
    assert ranking(client, w, D, D)["WL1"] == (16.0, 16.0)
    # The trend's day points read the same rows, cut at UTC midnight now.
    body = client.get("/api/v1/energy/trend", headers=w["h"], query_string={
        "node": "device", "node_id": w["b1"], "interval": "day",
        "start": f"{D.isoformat()}T00:00:00Z",
        "end": f"{(N + timedelta(days=1)).isoformat()}T00:00:00Z"}).get_json()
    assert [(p["start"][:10], p["import_kwh"]) for p in body["points"]
            if p["import_kwh"]] == [(D.isoformat(), 16.0)]
    # Rolled again, or a new minute rolled by the rollup in the new zone: the same rows.
    before = db.session.execute(text(
        "SELECT * FROM energy_day_periods ORDER BY 1, 2, 3, 4")).all()
    rollup.reroll_facility([w["site"]], [])
    assert db.session.execute(text(
        "SELECT * FROM energy_day_periods ORDER BY 1, 2, 3, 4")).all() == before
    # Back to Shanghai: the first rows again.
    assert client.put(f"/api/v1/sites/{w['site']}", headers=w["ha"],
                      json={"timezone": "Asia/Shanghai"}).status_code == 200
    assert run_jobs() == 1
    assert days(w["b1"]) == {D: 8.0, N: 8.0}
    assert rows(w["b1"], D) == {(tid, "peak"): 4.0, (tid, "valley"): 4.0}


def test_a_device_moved_to_another_site_is_re_rolled_in_that_sites_zone(w, client):
    tid = tariff(client, w, LAST_MONTH - timedelta(days=40),
                 {"valley": 0.3, "flat": 0.6, "peak": 1.0}).get_json()["id"]
    run_jobs()
    site_b = db.session.get(Site, w["site_b"])
    site_b.timezone = "UTC"
    db.session.commit()
    assert run_jobs() == 1          # site B's zone: its device re-rolled (nothing to roll)
    four_hours(w["b1"])
    assert days(w["b1"]) == {D: 8.0, N: 8.0}
    assert rows(w["b1"], N) == {(tid, "valley"): 8.0}
    # The API refuses a move (a record stays in its site) and enqueues nothing.
    r = client.put(f"/api/v1/devices/{w['b1']}", headers=w["ha"],
                   json={"site_id": w["site_b"]})
    assert r.status_code == 422, r.get_json()
    assert run_jobs() == 0
    # Moved by a write outside the API (a repair): site B is UTC and has no tariff, so
    # D holds the 16 kWh, unpriced (tariff 0, period none).
    dev = db.session.get(Device, w["b1"])
    dev.site_id, dev.circuit_id = w["site_b"], None
    db.session.commit()
    assert run_jobs() == 1
    assert days(w["b1"]) == {D: 16.0}
    assert months(w["b1"]) == {D.replace(day=1): 16.0}
    assert rows(w["b1"], D) == {(0, "none"): 16.0}
    assert rows(w["b1"], N) == {}


def test_the_job_waits_for_the_rollups_lock_and_is_enqueued_again(w, client):
    four_hours(w["b1"])
    site = db.session.get(Site, w["site"])
    site.timezone = "UTC"
    db.session.commit()
    get_queue("default", redis.raw()).empty()   # the commit's job: run by hand below
    redis.current().set(rollup.LOCK_KEY, "running")
    assert rollup.reroll_facility([w["site"]], [], wait=0) == {"requeued": True}
    assert days(w["b1"]) == {D: 8.0, N: 8.0}     # nothing written under another's lock
    redis.current().delete(rollup.LOCK_KEY)
    assert run_jobs() == 1
    assert days(w["b1"]) == {D: 16.0}
    assert rows(w["b1"], D) == {(0, "none"): 16.0}
    assert not redis.current().exists(rollup.LOCK_KEY)


def test_a_rolled_back_change_enqueues_nothing(w):
    site = db.session.get(Site, w["site"])
    site.timezone = "UTC"
    db.session.flush()
    db.session.rollback()
    assert db.session.get(Site, w["site"]).timezone == "Asia/Shanghai"
    assert get_queue("default", redis.raw()).count == 0
