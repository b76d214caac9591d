"""Energy rollups against real PostgreSQL and Redis: readings stored by telemetry ingest,
the rollup job, the API. Every expectation is computed by hand in the comments.

The world (site A, Asia/Shanghai): board AA1 with the incomer IN (meter M0) feeding WL1
(breaker B1, area JQ1), WL2 (breaker B2, area BG) and WL3 (no meter); board AL2 is fed by
WL2 and has L1 (breaker B3). Site B: one breaker DB. Breakers use the gw-breaker profile
(energy as u32 with scale 0.01 kWh: wraps at 2^32 * 0.01 = 42,949,672.96 kWh); M0 the
Eastron SDM630 profile (float registers: never wrap).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from backend import jobs
from backend.energy import rollup
from backend.extensions import db, redis
from backend.models import Area, Board, Circuit, Device, Role, Site
from backend.telemetry import ingest
from backend.telemetry.ingest import ENERGY_DIRTY_KEY
from tests.factories import auth, make_site, make_user

# 10:00 UTC two days ago (18:00 in Asia/Shanghai): slots 10:00, 10:15, ...
T0 = (datetime.now(UTC) - timedelta(days=2)).replace(hour=10, minute=0, second=0,
                                                      microsecond=0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def build() -> dict:
    a, b = make_site("A", "甲所"), make_site("B", "乙所")
    w = {"site": a.id, "site_b": b.id}

    def add(obj):
        db.session.add(obj)
        db.session.flush()
        return obj.id

    w["jq1"] = add(Area(site_id=a.id, code="JQ1", name="一监区"))
    w["bg"] = add(Area(site_id=a.id, code="BG", name="办公区"))
    w["aa1"] = add(Board(site_id=a.id, code="AA1", name="总柜", level=1))
    w["in"] = add(Circuit(site_id=a.id, code="IN", name="总进线", board_id=w["aa1"],
                          category="incomer"))
    for code, area in (("wl1", "jq1"), ("wl2", "bg"), ("wl3", None)):
        w[code] = add(Circuit(site_id=a.id, code=code.upper(), name=code, board_id=w["aa1"],
                              parent_id=w["in"], area_id=w.get(area)))
    w["al2"] = add(Board(site_id=a.id, code="AL2", name="照明箱", level=2,
                         feeder_circuit_id=w["wl2"], area_id=w["bg"]))
    w["l1"] = add(Circuit(site_id=a.id, code="L1", name="照明", board_id=w["al2"]))
    w["m0"] = add(Device(site_id=a.id, code="M0", name="总表", kind="meter",
                         profile="eastron-sdm630", circuit_id=w["in"]))
    for code, circuit in (("b1", "wl1"), ("b2", "wl2"), ("b3", "l1")):
        w[code] = add(Device(site_id=a.id, code=code.upper(), name=code, kind="breaker",
                             profile="gw-breaker", circuit_id=w[circuit]))
    bb = add(Board(site_id=b.id, code="AA1", name="总柜", level=1))
    w["cb"] = add(Circuit(site_id=b.id, code="C1", name="总", board_id=bb, category="incomer"))
    w["db"] = add(Device(site_id=b.id, code="DB", name="b", kind="breaker",
                         profile="gw-breaker", circuit_id=w["cb"]))
    db.session.commit()
    w["h"] = auth(make_user("staff_a", Role.staff, [a]))
    w["hm"] = auth(make_user("manager_a", Role.manager, [a]))
    w["hb"] = auth(make_user("manager_b", Role.manager, [b]))
    return w


@pytest.fixture
def w(ctx):
    return build()


def feed(device_id: int, pairs, metric: str = "energy_import"):
    """Store readings through telemetry ingest: [(minutes after T0, value), ...]."""
    return ingest.ingest([(device_id, at(m), {metric: v}) for m, v in pairs])


def slots(device_id: int) -> dict[int, tuple[float, bool]]:
    """{minutes after T0 of the slot: (import kWh rounded, estimated)}"""
    rows = db.session.execute(text(
        "SELECT slot, import_kwh, estimated FROM energy_slots WHERE device_id = :d "
        "ORDER BY slot"), {"d": device_id}).all()
    return {int((s - T0).total_seconds() // 60): (round(kwh, 6), est) for s, kwh, est in rows}


def snapshot() -> list:
    return [db.session.execute(text(f"SELECT * FROM {t} ORDER BY 1, 2")).all()
            for t in ("energy_slots", "energy_days", "energy_months")]


def iso(ts: datetime) -> str:
    return ts.isoformat().replace("+00:00", "Z")


def test_the_rollup_is_a_declared_periodic_job():
    spec = jobs.JOBS["energy.rollup"]
    assert spec.func == "workers.jobs.energy.rollup" and spec.every == 60


def test_incremental_rollup_late_and_resent_readings(w):
    # 10:00 100, 10:05 101, 10:10 102, 10:20 104 (10:15 missing; 10 min is no gap):
    # slot 10:00 = 1 + 1 + half of the 2 kWh of 10:10-10:20 = 3; slot 10:15 = 1.
    first = [(0, 100.0), (5, 101.0), (10, 102.0), (20, 104.0)]
    feed(w["b1"], first)
    assert redis.zscore(ENERGY_DIRTY_KEY, str(w["b1"])) == at(0).timestamp()
    assert rollup.run() == {"devices": 1, "failed": 0, "slots": 2}
    assert slots(w["b1"]) == {0: (3.0, False), 15: (1.0, False)}
    state = db.session.execute(text("SELECT rolled_until FROM energy_state")).scalar()
    assert state == at(20)
    before = snapshot()
    # Running again (nothing marked) and re-rolling the same readings change nothing.
    assert rollup.run()["devices"] == 0
    rollup.mark(w["b1"], at(0))
    rollup.run()
    assert snapshot() == before
    # A re-sent batch stores nothing, so marks nothing, and changes nothing.
    assert feed(w["b1"], first).stored == 0
    assert redis.zcard(ENERGY_DIRTY_KEY) == 0
    rollup.run()
    assert snapshot() == before
    # The late 10:15 reading 103.5: slot 10:00 = 1 + 1 + 1.5 = 3.5; slot 10:15 = 0.5.
    feed(w["b1"], [(15, 103.5)])
    rollup.run()
    assert slots(w["b1"]) == {0: (3.5, False), 15: (0.5, False)}
    # New readings continue from the watermark: 10:30 105.5, the 1.5 kWh of 10:20-10:30
    # lie wholly in slot 10:15: 0.5 + 1.5 = 2.0 (nothing yet in slot 10:30).
    feed(w["b1"], [(30, 105.5)])
    rollup.run()
    assert slots(w["b1"]) == {0: (3.5, False), 15: (2.0, False)}
    assert db.session.execute(text("SELECT rolled_until FROM energy_state")).scalar() == at(30)


def test_day_and_month_rollups_use_the_sites_time_zone(w):
    # 15:45 UTC 200, 16:00 210, 16:15 230: slot 15:45 = 10 (23:45 in Shanghai, day D)
    # and slot 16:00 = 20 (00:00 on day D+1).
    feed(w["b2"], [(345, 200.0), (360, 210.0), (375, 230.0)])
    rollup.run()
    day = at(345).astimezone(ZoneInfo("Asia/Shanghai")).date()
    days = db.session.execute(text(
        "SELECT day, import_kwh, demand_kw FROM energy_days WHERE device_id = :d "
        "ORDER BY day"), {"d": w["b2"]}).all()
    # demand: 10 kWh in a quarter hour = 40 kW; 20 kWh = 80 kW.
    assert [(d, round(k, 6), round(p, 6)) for d, k, p in days] == [
        (day, 10.0, 40.0), (day + timedelta(days=1), 20.0, 80.0)]
    months: dict = {}
    for d, kwh, _p in days:
        months[d.replace(day=1)] = months.get(d.replace(day=1), 0) + kwh
    got = db.session.execute(text("SELECT month, import_kwh FROM energy_months WHERE "
                                  "device_id = :d ORDER BY month"), {"d": w["b2"]}).all()
    assert [(m, round(k, 6)) for m, k in got] == sorted(months.items())


def test_rollover_width_comes_from_the_profile(w):
    # gw-breaker: wraps at 42,949,672.96 kWh. 10:00 42,949,670.00, 10:05 42,949,672.00 (+2),
    # 10:10 reads 2.04: 2.04 + 42,949,672.96 - 42,949,672.00 = 3.00. Slot 10:00 = 5.
    feed(w["b1"], [(0, 42_949_670.0), (5, 42_949_672.0), (10, 2.04)])
    # The Eastron meter's floats never wrap: the same drop is a reset, estimated; with no
    # reading after it the reset interval books the new reading itself (2.04).
    feed(w["m0"], [(0, 42_949_670.0), (5, 42_949_672.0), (10, 2.04)])
    rollup.run()
    assert slots(w["b1"]) == {0: (5.0, False)}
    assert slots(w["m0"]) == {0: (4.04, True)}


def test_counter_reset_through_ingest(w):
    # 10:00 500, 10:05 510, 10:10 reads 2 (reset; ingest flags it counter_decrease, the
    # core judges it), 10:15 12, 10:20 22. Rate after: 2 kWh/min, so 10:05-10:10 books
    # max(2, 10) = 10: slot 10:00 = 10 + 10 + 10 = 30 (estimated), slot 10:15 = 10.
    feed(w["b1"], [(0, 500.0), (5, 510.0), (10, 2.0), (15, 12.0), (20, 22.0)])
    q = db.session.execute(text("SELECT quality FROM readings WHERE device_id = :d "
                                "ORDER BY ts"), {"d": w["b1"]}).scalars().all()
    assert q == [0, 0, 2, 0, 0]
    rollup.run()
    assert slots(w["b1"]) == {0: (30.0, True), 15: (10.0, False)}


def test_glitch_to_zero_gap_and_bad_readings(w):
    # B2: 100, 0 (a glitch, #124420), 101 books 1 kWh, not 101.
    feed(w["b2"], [(0, 100.0), (1, 0.0), (2, 101.0)])
    # B3: 10:00 10, a reading out of range at 10:30 (-1: quality out_of_range, left out),
    # 11:00 70: a 60-minute gap, 60 kWh spread 15 a slot, all estimated.
    feed(w["b3"], [(0, 10.0), (30, -1.0), (60, 70.0)])
    rollup.run()
    assert slots(w["b2"]) == {0: (1.0, False)}
    assert slots(w["b3"]) == {0: (15.0, True), 15: (15.0, True), 30: (15.0, True),
                              45: (15.0, True)}


def balance_world(w):
    """One hour, a reading every 15 min: IN 1000 -> 1100 (100 kWh), WL1 500 -> 560 (60),
    WL2 200 -> 230 (30), L1 10 -> 30 (20); WL3 has no meter."""
    for device, start, step in (("m0", 1000.0, 25.0), ("b1", 500.0, 15.0),
                                ("b2", 200.0, 7.5), ("b3", 10.0, 5.0)):
        feed(w[device], [(15 * k, start + step * k) for k in range(5)])
    rollup.run()


def test_trends_sum_the_tree_without_double_counting(w, client):
    balance_world(w)

    def trend(node, node_id, interval="hour", start=at(0), end=at(60), headers=None):
        r = client.get(f"/api/v1/energy/trend?node={node}&node_id={node_id}"
                       f"&interval={interval}&start={iso(start)}&end={iso(end)}",
                       headers=headers or w["h"])
        assert r.status_code == 200, r.json
        return r.json

    # The site is its incomer alone: 100, not 100 + 60 + 30 + 20.
    site = trend("site", w["site"])
    assert site["devices"] == [w["m0"]]
    assert [(p["import_kwh"], p["demand_kw"]) for p in site["points"]] == [(100.0, 100.0)]
    # (demand: 25 kWh in each quarter hour = 100 kW)
    assert trend("board", w["aa1"])["total"]["import_kwh"] == 100.0
    assert trend("board", w["al2"])["total"]["import_kwh"] == 20.0      # L1
    assert trend("circuit", w["wl2"])["total"]["import_kwh"] == 30.0    # B2, not B2 + B3
    assert trend("circuit", w["wl3"])["total"]["import_kwh"] == 0.0     # nothing metered
    assert trend("area", w["bg"])["devices"] == [w["b2"]]               # L1 is below WL2
    assert trend("area", w["jq1"])["total"]["import_kwh"] == 60.0
    assert trend("device", w["b3"])["total"]["import_kwh"] == 20.0
    q = trend("circuit", w["wl1"], "15min")
    assert [p["import_kwh"] for p in q["points"]] == [15.0] * 4
    assert [p["demand_kw"] for p in q["points"]] == [60.0] * 4          # 15 kWh * 4
    day = trend("site", w["site"], "day", start=at(-600), end=at(600))
    local = at(0).astimezone(ZoneInfo("Asia/Shanghai"))
    assert [p["import_kwh"] for p in day["points"]] == [100.0]
    assert day["points"][0]["start"].startswith(local.date().isoformat())
    month = trend("site", w["site"], "month", start=at(-600), end=at(600))
    assert month["total"]["import_kwh"] == 100.0


def test_feeder_balance(w, client):
    balance_world(w)
    r = client.get(f"/api/v1/energy/balance?circuit_id={w['in']}&start={iso(at(0))}"
                   f"&end={iso(at(60))}", headers=w["h"])
    assert r.status_code == 200, r.json
    b = r.json
    # IN 100 against WL1 60 + WL2 30 (+ WL3 unmetered): 10 kWh, 10 % > 5 %: flagged.
    assert (b["feeder_kwh"], b["children_kwh"], b["loss_kwh"]) == (100.0, 90.0, 10.0)
    assert b["loss_pct"] == pytest.approx(10.0) and b["flagged"] is True
    assert b["unmetered_children"] == 1
    assert [(c["code"], c["import_kwh"]) for c in b["children"]] == [
        ("WL1", 60.0), ("WL2", 30.0), ("WL3", None)]
    # With a 12 % threshold it is not flagged.
    r = client.get(f"/api/v1/energy/balance?circuit_id={w['in']}&start={iso(at(0))}"
                   f"&end={iso(at(60))}&flag_pct=12", headers=w["h"])
    assert r.json["flagged"] is False
    # Board AL2 (no incomer of its own): its feeder WL2, 30, against L1, 20: 10 (33.3 %).
    r = client.get(f"/api/v1/energy/balance?board_id={w['al2']}&start={iso(at(0))}"
                   f"&end={iso(at(60))}", headers=w["h"])
    assert (r.json["code"], r.json["loss_kwh"]) == ("WL2", 10.0)
    assert r.json["loss_pct"] == pytest.approx(100 / 3)
    # WL3 has no meter: 422 naming circuit_id.
    r = client.get(f"/api/v1/energy/balance?circuit_id={w['wl3']}", headers=w["h"])
    assert r.status_code == 422 and r.json["error"] == "feeder_not_metered"
    assert "circuit_id" in r.json["errors"]


def test_overview_today_month_year_and_top_consumers(w, client):
    # A zone where it is about noon now, so that two readings an hour after local midnight
    # are today, this month and this year whatever the time of the run.
    now = datetime.now(UTC)
    offset = (12 - now.hour) % 24
    offset = offset - 24 if offset > 14 else offset
    tz = f"Etc/GMT{-offset:+d}" if offset else "UTC"
    db.session.get(Site, w["site"]).timezone = tz
    db.session.commit()
    midnight = now.astimezone(ZoneInfo(tz)).replace(hour=0, minute=0, second=0,
                                                    microsecond=0).astimezone(UTC)
    t1 = midnight + timedelta(hours=1)
    for device, v0, v1 in (("m0", 0.0, 50.0), ("b1", 0.0, 30.0), ("b3", 0.0, 12.0),
                           ("b2", 0.0, 15.0)):
        ingest.ingest([(w[device], t1, {"energy_import": v0}),
                       (w[device], t1 + timedelta(minutes=10), {"energy_import": v1})])
    rollup.run()
    r = client.get("/api/v1/energy/overview", headers=w["h"])
    assert r.status_code == 200, r.json
    (site,) = r.json["sites"]             # staff of A sees only A
    # Site = the incomer: 50 today, this month and this year.
    assert (site["today_kwh"], site["month_kwh"], site["year_kwh"]) == (50.0, 50.0, 50.0)
    # End consumers (nothing metered below them): WL1 30, L1 12; WL2 feeds L1, IN all.
    assert [(c["code"], c["month_kwh"]) for c in site["top_consumers"]] == [
        ("WL1", 30.0), ("L1", 12.0)]
    assert r.json["total"]["today_kwh"] == 50.0
    r = client.get(f"/api/v1/energy/overview?site_id={w['site_b']}", headers=w["h"])
    assert r.status_code == 404 and r.json["error"] == "site_not_found"


def test_meter_replacement_splits_and_rerolls(w, client):
    # Old meter 10:00 5000, 10:10 5010; the new one reads 8 at 10:30.
    feed(w["b1"], [(0, 5000.0), (10, 5010.0), (30, 8.0)])
    rollup.run()
    # Without the event: a reset, estimated (no reading after it: books 8).
    # 10:00-10:10 10 (slot 10:00); 10:10-10:30 8, 5/20 in slot 10:00 and 15/20 in 10:15:
    # slot 10:00 = 10 + 2 = 12, slot 10:15 = 6.
    assert slots(w["b1"]) == {0: (12.0, True), 15: (6.0, True)}
    body = {"device_id": w["b1"], "at": iso(at(20)), "note": "换表",
            "readings": {"energy_import": {"old_final": 5020.0, "new_initial": 3.0}}}
    r = client.post("/api/v1/meter-replacements", json=body, headers=w["hm"])
    assert r.status_code == 201, r.json
    # 10:00-10:10 10; 10:10-10:20 old meter 10 (5 + 5); 10:20-10:30 new meter 8 - 3 = 5.
    assert slots(w["b1"]) == {0: (15.0, False), 15: (10.0, False)}
    audit_row = db.session.execute(text(
        "SELECT action, entity_type, site_id FROM audit_log WHERE entity_type = "
        "'meter_replacement'")).one()
    assert tuple(audit_row) == ("create", "meter_replacement", w["site"])
    r = client.get("/api/v1/meter-replacements", headers=w["h"])
    assert [x["device_id"] for x in r.json] == [w["b1"]]
    assert r.json[0]["readings"] == body["readings"]
    # The same again: 409; another site's manager neither sees nor records it.
    r = client.post("/api/v1/meter-replacements", json=body, headers=w["hm"])
    assert r.status_code == 409 and r.json["error"] == "replacement_exists"
    assert client.get("/api/v1/meter-replacements", headers=w["hb"]).json == []
    r = client.post("/api/v1/meter-replacements", json={**body, "at": iso(at(25))},
                    headers=w["hb"])
    assert r.status_code == 404 and r.json["error"] == "device_not_found"
    # Staff may not record one.
    r = client.post("/api/v1/meter-replacements", json={**body, "at": iso(at(25))},
                    headers=w["h"])
    assert r.status_code == 403


@pytest.mark.parametrize("change, field, code", [
    ({"readings": {"energy_import": {"old_final": 5009.0, "new_initial": 0.0}}},
     "readings.energy_import.old_final", "old_final_below_last_reading"),
    ({"readings": {"energy_import": {"old_final": 5020.0, "new_initial": 9.0}}},
     "readings.energy_import.new_initial", "new_initial_above_first_reading"),
    ({"readings": {"voltage_a": {"old_final": 1.0, "new_initial": 0.0}}}, "readings",
     "validation_error"),
    ({"readings": {}}, "readings", "validation_error"),
    ({"readings": {"energy_import": {"old_final": -1, "new_initial": 0}}}, "old_final",
     "validation_error"),
    ({"at": "2026-01-01T00:00:00"}, "at", "validation_error"),
    ({"at": "2999-01-01T00:00:00Z"}, "at", "validation_error"),
])
def test_meter_replacement_bad_input_names_the_field(w, client, change, field, code):
    feed(w["b1"], [(0, 5000.0), (10, 5010.0), (30, 8.0)])   # replaced at 10:20
    body = {"device_id": w["b1"], "at": iso(at(20)),
            "readings": {"energy_import": {"old_final": 5020.0, "new_initial": 3.0}},
            **change}
    r = client.post("/api/v1/meter-replacements", json=body, headers=w["hm"])
    assert r.status_code == 422, r.json
    assert r.json["error"] == code and field in str(r.json["errors"])


def test_scoping_and_bad_trend_input(w, client):
    balance_world(w)
    for url, code in (
            (f"/api/v1/energy/trend?node=circuit&node_id={w['wl1']}", "circuit_not_found"),
            (f"/api/v1/energy/trend?node=site&node_id={w['site']}", "site_not_found"),
            (f"/api/v1/energy/trend?node=device&node_id={w['b1']}", "device_not_found"),
            (f"/api/v1/energy/balance?circuit_id={w['in']}", "circuit_not_found")):
        r = client.get(url, headers=w["hb"])
        assert r.status_code == 404 and r.json["error"] == code, (url, r.json)
    for query, field in (("node=feeder&node_id=1", "node"),
                         (f"node=site&node_id={w['site']}&interval=week", "interval"),
                         (f"node=site&node_id={w['site']}&start={iso(at(60))}"
                          f"&end={iso(at(0))}", "end"),
                         (f"node=site&node_id={w['site']}&interval=15min"
                          f"&start={iso(at(0) - timedelta(days=40))}&end={iso(at(0))}",
                          "end"),
                         (f"node=site&node_id={w['site']}&start=yesterday", "start")):
        r = client.get(f"/api/v1/energy/trend?{query}", headers=w["h"])
        assert r.status_code == 422 and field in str(r.json["errors"]), (query, r.json)


def test_a_failing_device_stays_marked_and_the_others_go_on(w):
    # Site B's zone is broken (as a hand-edited database could have it): its device fails
    # in the day rollup, is rolled back alone and stays marked; site A's device is rolled.
    db.session.execute(text("UPDATE sites SET timezone = 'Nowhere/Atlantis' WHERE id = :s"),
                       {"s": w["site_b"]})
    db.session.commit()
    feed(w["db"], [(0, 1.0), (10, 3.0)])
    feed(w["b1"], [(0, 1.0), (10, 3.0)])     # 2 kWh, all in slot 10:00
    assert rollup.run() == {"devices": 1, "failed": 1, "slots": 1}
    assert slots(w["b1"]) == {0: (2.0, False)} and slots(w["db"]) == {}
    assert redis.zrange(rollup.WORK_KEY, 0, -1) == [str(w["db"])]
    db.session.execute(text("UPDATE sites SET timezone = 'Asia/Shanghai' WHERE id = :s"),
                       {"s": w["site_b"]})
    db.session.commit()
    assert rollup.run()["devices"] == 1       # the work set's leftover, retried
    assert slots(w["db"]) == {0: (2.0, False)}
    assert redis.zcard(rollup.WORK_KEY) == 0
