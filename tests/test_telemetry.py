"""Telemetry store: ingest (COPY, partitions, quality flags), latest, history, status."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from backend.extensions import db, redis
from backend.models import Board, Circuit, Device, Role
from backend.models.telemetry import FAULT_INDICATOR_BITS, METRIC_LIST, METRICS, MODES, TRIP_CAUSES
from backend.telemetry import ingest, status
from backend.telemetry.partitions import (
    add_months,
    ensure_partitions,
    existing_partitions,
    forget_known_partitions,
    month_of,
    partition_name,
)
from tests.factories import auth, make_site, make_user

UTC = timezone.utc


def build_world() -> dict:
    """Site A: AA1 -> C1 -> C2 -> board AL1 (fed by C2) -> C3; C4 apart. Site B: one device."""
    a, b = make_site("A", "甲所"), make_site("B", "乙所")
    w = {"site": a.id, "site_b": b.id}

    def add(obj):
        db.session.add(obj)
        db.session.flush()
        return obj.id

    aa1 = add(Board(site_id=a.id, code="AA1", name="总柜", level=1))
    w["c1"] = add(Circuit(site_id=a.id, code="C1", name="总", board_id=aa1))
    w["c2"] = add(Circuit(site_id=a.id, code="C2", name="支", board_id=aa1, parent_id=w["c1"]))
    al1 = add(Board(site_id=a.id, code="AL1", name="照明箱", level=2, feeder_circuit_id=w["c2"]))
    w["c3"] = add(Circuit(site_id=a.id, code="C3", name="照明", board_id=al1))
    w["c4"] = add(Circuit(site_id=a.id, code="C4", name="备用", board_id=aa1))
    for code, circuit in (("d1", "c1"), ("d2", "c2"), ("d3", "c3"), ("d4", "c4")):
        w[code] = add(Device(site_id=a.id, code=code.upper(), name=f'断路器 "{code}"\\',
                             kind="breaker", circuit_id=w[circuit]))
    bb = add(Board(site_id=b.id, code="AA1", name="总柜", level=1))
    cb = add(Circuit(site_id=b.id, code="C1", name="总", board_id=bb))
    w["db"] = add(Device(site_id=b.id, code="QB", name="b", kind="breaker", circuit_id=cb))
    db.session.commit()
    w["h"] = auth(make_user("staff_a", Role.staff, [a]))
    w["hb"] = auth(make_user("staff_b", Role.staff, [b]))
    return w


@pytest.fixture
def w(ctx):
    return build_world()


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def rows(device_id: int, metric: str):
    return db.session.execute(text(
        "SELECT r.ts, r.value, r.quality, r.tableoid::regclass::text FROM readings r "
        "JOIN metrics m ON m.id = r.metric_id WHERE device_id = :d AND m.name = :m "
        "ORDER BY ts"), {"d": device_id, "m": metric}).all()


def test_metrics_table_mirrors_the_registry_and_the_codec(ctx):
    table = db.session.execute(text("SELECT id, name, unit, kind FROM metrics ORDER BY id")).all()
    assert [tuple(r) for r in table] == [(m.id, m.name, m.unit, m.kind) for m in METRIC_LIST]
    profile = pytest.importorskip("backend.field.profile")
    from backend.knx import groups                  # KNX groups' values come from the bus
    assert set(profile.METRICS) == set(METRICS) - set(groups.METRICS)
    assert (profile.MODES, profile.TRIP_CAUSES, profile.FAULT_INDICATORS) == (
        tuple(MODES), tuple(TRIP_CAUSES), tuple(FAULT_INDICATOR_BITS))


def test_ingest_lands_in_monthly_partitions_created_on_demand(w):
    t = now()
    old_month = add_months(month_of(t), -10)
    name = partition_name(old_month)
    db.session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    db.session.commit()
    forget_known_partitions()
    old_ts = datetime(old_month.year, old_month.month, 15, 12, tzinfo=UTC)
    result = ingest.ingest([(w["d1"], t, {"voltage_a": 230.1}),
                               (w["d1"], old_ts, {"voltage_a": 229.9})])
    assert result.rows == result.stored == 2 and result.rejected == 0
    assert result.partitions_created == [name]
    assert [(r.value, r[3]) for r in rows(w["d1"], "voltage_a")] == [
        (229.9, name), (230.1, partition_name(month_of(t)))]
    # A retried batch is not stored twice.
    again = ingest.ingest([(w["d1"], t, {"voltage_a": 230.1})])
    assert again.rows == 1 and again.stored == 0
    assert len(rows(w["d1"], "voltage_a")) == 2


def test_ingest_rejects_what_it_cannot_place(w):
    t = now()
    result = ingest.ingest([
        (999_999, t, {"voltage_a": 230}),                       # unknown device
        (w["d1"], t, {"voltage_x": 1, "voltage_a": None}),      # unknown metric, no value
        (w["d1"], t + timedelta(days=2), {"voltage_a": 230}),   # future
        (w["d1"], t - timedelta(days=500), {"voltage_a": 230}),  # past retention
    ])
    assert (result.rows, result.rejected, result.missing) == (0, 4, 1)
    assert db.session.scalar(text("SELECT count(*) FROM readings")) == 0


def test_latest_values_in_redis_and_api(w, client):
    t = now()
    ingest.ingest([
        (w["d1"], t, {"voltage_a": 231.5, "switch_state": "closed", "mode": 1,
                      "trip_cause": "over_voltage", "water_leak": True, "current_a": 12,
                      "fault_indicators": ["voltage", "residual_current", "bit6"]}),
        (w["d1"], t - timedelta(minutes=5), {"voltage_a": 100.0}),   # late: not the latest
    ])
    doc = json.loads(redis.get(f"gw:latest:{w['d1']}"))
    assert doc["voltage_a"]["v"] == 231.5 and doc["voltage_a"]["q"] == 0
    r = client.get(f"/api/v1/devices/{w['d1']}/latest", headers=w["h"])
    assert r.status_code == 200, r.json
    values = r.json["values"]
    assert values["voltage_a"]["v"] == 231.5
    assert values["voltage_a"]["ts"].startswith(t.strftime("%Y-%m-%dT%H:%M:%S"))
    assert (values["switch_state"]["v"], values["mode"]["v"], values["trip_cause"]["v"],
            values["water_leak"]["v"]) == ("closed", "manual", "over_voltage", True)
    assert values["fault_indicators"]["v"] == ["voltage", "residual_current", "bit6"]
    # stored numerically: closed = 1, over_voltage = 1, LEDs as a bitmask
    assert [r.value for r in rows(w["d1"], "switch_state")] == [1.0]
    assert [r.value for r in rows(w["d1"], "fault_indicators")] == [1 + 8 + 64]
    r = client.get(f"/api/v1/devices/{w['d1']}/latest?metrics=current_a", headers=w["h"])
    assert list(r.json["values"]) == ["current_a"]


def test_site_and_circuit_latest(w, client):
    t = now()
    ingest.ingest([(w[d], t, {"voltage_a": 220 + i}) for i, d in
                      enumerate(("d1", "d2", "d3", "d4", "db"))])
    status.record_poll_result(w["d2"], True)
    r = client.get(f"/api/v1/sites/{w['site']}/latest", headers=w["h"])
    assert r.status_code == 200
    assert [d["code"] for d in r.json] == ["D1", "D2", "D3", "D4"]
    assert r.json[0]["name"] == '断路器 "d1"\\' and r.json[0]["online"] is None
    assert r.json[1]["online"] is True and r.json[1]["last_seen"].endswith("Z")
    assert r.json[1]["circuit_id"] == w["c2"] and r.json[1]["kind"] == "breaker"
    assert [d["values"]["voltage_a"]["v"] for d in r.json] == [220, 221, 222, 223]
    assert json.loads(r.headers["X-Pagination"])["total"] == 4
    r = client.get(f"/api/v1/sites/{w['site']}/latest?page=2&page_size=3", headers=w["h"])
    assert [d["code"] for d in r.json] == ["D4"]
    assert json.loads(r.headers["X-Pagination"])["total"] == 4
    # The circuit and everything downstream: C2's board AL1 carries C3.
    r = client.get(f"/api/v1/circuits/{w['c1']}/latest", headers=w["h"])
    assert [d["code"] for d in r.json] == ["D1", "D2", "D3"]
    r = client.get(f"/api/v1/circuits/{w['c3']}/latest?metrics=current_a", headers=w["h"])
    assert [(d["code"], d["values"]) for d in r.json] == [("D3", {})]


def test_energy_counter_decrease_is_flagged(w):
    t = now() - timedelta(minutes=10)
    seq = [1000.0, 1001.5, 5.0, 6.0]   # a meter replacement after the second reading
    for i, v in enumerate(seq):
        ingest.ingest([(w["d2"], t + timedelta(seconds=10 * i), {"energy_import": v})])
    assert [r.quality for r in rows(w["d2"], "energy_import")] == [0, 0, 2, 0]
    # Redis lost (flushed): the baseline comes from PostgreSQL.
    redis.flushdb()
    ingest.ingest([(w["d2"], t + timedelta(seconds=50), {"energy_import": 3.0})])
    assert [r.quality for r in rows(w["d2"], "energy_import")][-1] == 2
    # One batch holding several readings is checked in time order.
    ingest.ingest([(w["d3"], t + timedelta(seconds=s), {"energy_export": v})
                      for s, v in ((20, 7.0), (0, 5.0), (10, 4.0))])
    assert [r.quality for r in rows(w["d3"], "energy_export")] == [0, 2, 0]


def test_partition_jobs_create_ahead_and_drop_past_retention(ctx):
    from workers.jobs import telemetry as jobs

    jobs.create_partitions()
    first = month_of(now())
    have = existing_partitions(db.session.connection())
    assert {partition_name(add_months(first, i)) for i in range(3)} <= set(have)
    old = [date(2001, 1, 1), date(2001, 2, 1)]
    ensure_partitions(db.engine, old)
    db.session.execute(text("INSERT INTO readings (ts, value, device_id, metric_id) "
                            "VALUES ('2001-01-10T00:00:00Z', 1, 1, 1)"))
    db.session.commit()
    assert set(jobs.drop_expired_partitions()) >= {"readings_p200101", "readings_p200102"}
    db.session.rollback()
    have = existing_partitions(db.session.connection())
    assert "readings_p200101" not in have and partition_name(first) in have
    # A short retention keeps the current month whatever happens.
    jobs.drop_expired_partitions(retention_days=1)
    assert partition_name(first) in existing_partitions(db.session.connection())


def test_offline_after_n_failures_and_back_online(w, client):
    d = w["d1"]
    assert status.record_poll_result(d, False, "timeout") is None
    assert status.record_poll_result(d, False, "timeout") is None
    change = status.record_poll_result(d, False, "no response from unit 1")
    assert change["online"] is False and change["error"] == "no response from unit 1"
    r = client.get(f"/api/v1/devices/{d}/status", headers=w["h"])
    assert (r.json["online"], r.json["consecutive_failures"]) == (False, 3)
    assert status.record_poll_result(d, False, "timeout") is None   # still offline
    assert status.record_poll_result(d, True)["online"] is True
    r = client.get(f"/api/v1/devices/{d}/status", headers=w["h"])
    assert (r.json["online"], r.json["consecutive_failures"]) == (True, 0)
    assert r.json["last_seen"] is not None
    events = db.session.execute(text("SELECT online FROM device_status_events "
                                     "WHERE device_id = :d ORDER BY id"), {"d": d}).scalars()
    assert list(events) == [False, True]
    published = [json.loads(f["data"]) for _id, f in
                 redis.xrange(f"gw:site:{w['site']}:stream") if f["type"] == "device_status"]
    assert [(e["device_id"], e["online"]) for e in published] == [(d, False), (d, True)]
    status.record_poll_results([(w["d2"], True, None), (w["d3"], False, "x")])
    r = client.get("/api/v1/device-status?online=true", headers=w["h"])
    assert [s["code"] for s in r.json] == ["D1", "D2"]
    r = client.get(f"/api/v1/device-status?site_id={w['site']}", headers=w["h"])
    assert [(s["code"], s["online"]) for s in r.json] == [
        ("D1", True), ("D2", True), ("D3", None), ("D4", None)]


def test_another_sites_user_sees_nothing(w, client):
    ingest.ingest([(w["d1"], now(), {"voltage_a": 230})])
    for path in (f"devices/{w['d1']}/latest", f"devices/{w['d1']}/history",
                 f"devices/{w['d1']}/status", f"sites/{w['site']}/latest",
                 f"circuits/{w['c1']}/latest"):
        r = client.get(f"/api/v1/{path}", headers=w["hb"])
        assert r.status_code == 404, (path, r.json)
    r = client.get("/api/v1/device-status", headers=w["hb"])
    assert [s["code"] for s in r.json] == ["QB"]


def test_ingest_merges_into_the_stored_document_not_a_remembered_one(w):
    """ingest() remembers the documents it parsed or wrote (telemetry_common.LatestDocs);
    one changed or deleted in Redis by anyone else must be read again."""
    import gc

    from backend.clock import iso
    from backend.telemetry.latest import latest_key

    t, key = now(), latest_key(w["d1"])
    ingest.ingest([(w["d1"], t, {"voltage_a": 230.0, "current_a": 5.0})])
    doc = json.loads(redis.get(key))
    doc["current_a"] = {"v": 7.0, "ts": iso(t + timedelta(seconds=10)), "q": 0}
    redis.set(key, json.dumps(doc))                      # someone else, newer
    ingest.ingest([(w["d1"], t + timedelta(seconds=1), {"voltage_a": 231.0,
                                                            "current_a": 6.0})])
    doc = json.loads(redis.get(key))
    assert (doc["voltage_a"]["v"], doc["current_a"]["v"]) == (231.0, 7.0)
    redis.delete(key)
    ingest.ingest([(w["d1"], t + timedelta(seconds=2), {"voltage_a": 232.0})])
    assert json.loads(redis.get(key)) == {"voltage_a": {
        "v": 232.0, "ts": iso(t + timedelta(seconds=2)), "q": 0}}
    assert gc.isenabled()                                # paused only during the ingest


def test_steady_devices_take_the_one_statement_path(w):
    """Online, answering devices only get their times moved (one UPDATE ... RETURNING);
    a failure beside them, a device polled for the first time and an unknown id in the
    same batch still go through the full path, in the same transaction."""
    t1, t2 = now() - timedelta(seconds=20), now() - timedelta(seconds=10)
    status.record_poll_results([(w["d1"], True, None), (w["d2"], True, None)], at=t1)
    changes = status.record_poll_results(
        [(w["d1"], True, None), (w["d2"], False, "timeout"), (w["d3"], True, None),
         (987654321, True, None)], at=t2)
    assert [(c["device_id"], c["online"]) for c in changes] == [(w["d3"], True)]
    rows = {r.device_id: r for r in db.session.execute(text(
        "SELECT device_id, online, last_seen, last_poll_at, consecutive_failures, "
        "last_error FROM device_status"))}
    assert set(rows) == {w["d1"], w["d2"], w["d3"]}
    d1, d2, d3 = rows[w["d1"]], rows[w["d2"]], rows[w["d3"]]
    assert (d1.online, d1.last_seen, d1.last_poll_at, d1.consecutive_failures) == (
        True, t2, t2, 0)
    assert (d2.online, d2.last_seen, d2.last_poll_at, d2.consecutive_failures,
            d2.last_error) == (True, t1, t2, 1, "timeout")
    assert (d3.online, d3.last_seen) == (True, t2)
    # The steady path only answers for devices that were online with no failure: d2 is
    # not steady now, and its next success goes through the full path (failures reset).
    status.record_poll_results([(w["d2"], True, None)], at=now())
    again = db.session.execute(text("SELECT consecutive_failures, last_error FROM "
                                    "device_status WHERE device_id = :d"),
                               {"d": w["d2"]}).one()
    assert again.consecutive_failures == 0 and again.last_error == "timeout"
