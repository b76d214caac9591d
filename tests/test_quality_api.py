"""Power quality through the API on known readings: a point's indices, events and cards
(hand-computed), the site's pooling, the daily job (idempotent) and its results, scoping
to the caller's sites and bad input named."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from backend import jobs
from backend.clock import utcnow
from backend.extensions import db
from backend.models import Device, QualityDaily
from backend.telemetry import ingest
from tests.test_telemetry import w  # noqa: F401  (fixture)
from workers.jobs import quality as quality_job

SH = ZoneInfo("Asia/Shanghai")


def z(ts) -> str:
    return ts.isoformat().replace("+00:00", "Z")


def start_of_data():
    t = utcnow().replace(second=0, microsecond=0)
    t = t.replace(minute=t.minute - t.minute % 10) - timedelta(hours=2)
    if t.astimezone(SH).date() != (t + timedelta(minutes=30)).astimezone(SH).date():
        t -= timedelta(hours=1)            # keep the three intervals in one local day
    return t


def load(device_id: int, t0):
    """Interval 0: 60 samples alternating 200 / 240 V, 50.0 / 50.2 Hz. Interval 1: 60
    samples of 250 V at 50.5 Hz. Interval 2: 220, 150, 150, 220 V (a sag)."""
    batch = []
    for k in range(60):
        v, f = (200, 50.0) if k % 2 == 0 else (240, 50.2)
        batch.append((device_id, t0 + timedelta(seconds=10 * k),
                      {"voltage_a": v, "voltage_b": v, "voltage_c": v, "frequency": f}))
    for k in range(60):
        batch.append((device_id, t0 + timedelta(minutes=10, seconds=10 * k),
                      {"voltage_a": 250, "voltage_b": 250, "voltage_c": 250, "frequency": 50.5}))
    for k, v in enumerate((220, 150, 150, 220)):
        batch.append((device_id, t0 + timedelta(minutes=20, seconds=10 * k),
                      {"voltage_a": v, "voltage_b": v, "voltage_c": v}))
    ingest.ingest(batch)


@pytest.fixture
def data(w):  # noqa: F811
    t0 = start_of_data()
    load(w["d1"], t0)
    return {**w, "t0": t0, "q": f"start={z(t0)}&end={z(t0 + timedelta(minutes=30))}"}


def test_point_indices_events_and_cards(data, client):
    r = client.get(f"/api/v1/devices/{data['d1']}/quality?{data['q']}", headers=data["h"])
    assert r.status_code == 200, r.json
    body = r.json
    v = body["indices"]["voltage_deviation"]
    # interval 0: sqrt((200² + 240²) / 2) = 220.907 V -> +0.412 %, within ±7 %;
    # interval 1: (250 - 220) / 220 = +13.64 %; interval 2: sqrt((2·220² + 2·150²) / 4)
    # = sqrt(35450) = 188.28 V -> -14.42 %. 1 of 3 -> 33.33 %.
    assert v["intervals"] == 3 and v["compliance_pct"] == 33.33
    assert v["max"] == pytest.approx(100 * 30 / 220, abs=1e-3)
    assert v["min"] == pytest.approx(100 * ((35450 ** 0.5) - 220) / 220, abs=1e-3)
    assert v["standard"] == "GB/T 12325-2008 4.2" and v["compliant"] is False
    f = body["indices"]["frequency"]
    # interval 0: mean(50.0, 50.2) = 50.1 -> 0.1 Hz ok; interval 1: 0.5 Hz -> 1 of 2
    assert f["intervals"] == 2 and f["compliance_pct"] == 50.0
    assert f["max"] == pytest.approx(0.5)
    u = body["indices"]["voltage_unbalance"]
    assert u["approximate"] is True and u["max"] == pytest.approx(0.0)
    assert body["indices"]["thd_voltage"]["available"] is False
    kinds = [(e["kind"], e["duration_s"]) for e in body["events"]]
    # the swell: 10:00 to the first normal sample at 20:00 -> 600 s; the sag: 20:10 ->
    # 20:30, 20 s
    assert kinds == [("swell", 600.0), ("sag", 20.0)]
    assert body["events"][1]["residual_pct"] == pytest.approx(100 * 150 / 220, abs=0.01)
    rules = [c["rule"] for c in body["diagnosis"]]
    assert rules == ["voltage_high", "voltage_low", "frequency_deviation", "swell", "sag"]
    sag = body["diagnosis"][-1]
    assert sag["cause"]["zh"] and sag["hazard"]["en"] and sag["remedy"]["zh"]


def test_site_pools_its_points(data, client):
    r = client.get(f"/api/v1/sites/{data['site']}/quality?{data['q']}", headers=data["h"])
    assert r.status_code == 200, r.json
    v = r.json["indices"]["voltage_deviation"]
    assert (v["points"], v["compliance_pct"], v["failing_points"]) == (1, 33.33, 1)
    assert [e["code"] for e in r.json["events"]] == ["D1", "D1"]
    assert {p["code"] for p in r.json["points"]} == {"D1", "D2", "D3", "D4"}
    r = client.get(f"/api/v1/sites/{data['site']}/quality/diagnosis?{data['q']}",
                   headers=data["h"])
    assert r.status_code == 200 and r.json["system"] == []
    assert {c["rule"] for c in r.json["points"]} >= {"sag", "swell"}
    r = client.get("/api/v1/quality/rules", headers=data["h"])
    assert r.status_code == 200 and "sag_upstream" in {x["key"] for x in r.json}


def test_daily_job_is_idempotent_and_serves_trends(app, data, client):
    day = data["t0"].astimezone(SH).date()

    def snapshot():
        return [(r.device_id, r.day, r.intervals, r.indices, r.events, r.diagnosis)
                for r in db.session.scalars(select(QualityDaily).order_by(
                    QualityDaily.device_id.nulls_first()))]

    assert quality_job.daily(data["site"], day.isoformat()) == {data["site"]: 5}
    first = snapshot()
    assert quality_job.daily(data["site"], day.isoformat()) == {data["site"]: 5}
    assert snapshot() == first                        # the same rows, not twice as many
    assert db.session.scalar(select(func.count()).select_from(QualityDaily)) == 5
    site_row = first[0]
    assert site_row[0] is None and site_row[3]["voltage_deviation"]["compliance_pct"] == 33.33
    q = f"from={day}&to={day}"
    r = client.get(f"/api/v1/sites/{data['site']}/quality/daily?{q}", headers=data["h"])
    assert r.status_code == 200, r.json
    assert [(x["day"], x["device_id"]) for x in r.json] == [(day.isoformat(), None)]
    r = client.get(f"/api/v1/sites/{data['site']}/quality/daily?{q}&device_id={data['d1']}",
                   headers=data["h"])
    [row] = r.json
    assert row["indices"]["voltage_deviation"]["intervals"] == 3
    assert [e["kind"] for e in row["events"]] == ["swell", "sag"]
    spec = jobs.JOBS["quality.daily"]
    assert spec.every and spec.queue == "periodic"


def test_scoped_to_the_callers_sites(data, client):
    r = client.get(f"/api/v1/devices/{data['d1']}/quality?{data['q']}", headers=data["hb"])
    assert r.status_code == 404 and r.json["error"] == "device_not_found"
    for path in ("quality", "quality/diagnosis", "quality/daily"):
        r = client.get(f"/api/v1/sites/{data['site']}/{path}", headers=data["hb"])
        assert r.status_code == 404 and r.json["error"] == "site_not_found", path
    # a device of another site named in the daily query
    r = client.get(f"/api/v1/sites/{data['site_b']}/quality/daily?device_id={data['d1']}",
                   headers=data["hb"])
    assert r.status_code == 404 and r.json["error"] == "device_not_found"
    assert client.get(f"/api/v1/sites/{data['site']}/quality").status_code == 401


@pytest.mark.parametrize("path, query, field", [
    ("devices/{d1}/quality", "start=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z", "end"),
    ("devices/{d1}/quality", "start=2026-01-01T00:00:00Z&end=2026-03-01T00:00:00Z", "start"),
    ("devices/{d1}/quality", "start=yesterday", "start"),
    ("sites/{site}/quality", "end=2026-13-01T00:00:00Z", "end"),
    ("sites/{site}/quality/daily", "from=2026-02-01&to=2026-01-01", "to"),
    ("sites/{site}/quality/daily", "from=2020-01-01&to=2026-01-01", "from"),
    ("sites/{site}/quality/daily", "from=soon", "from"),
    ("sites/{site}/quality/daily", "to=0001-01-01", "to"),
    ("sites/{site}/quality/daily", "device_id=0", "device_id"),
])
def test_bad_input_is_422_naming_the_field(data, client, path, query, field):
    url = "/api/v1/" + path.format(d1=data["d1"], site=data["site"]) + "?" + query
    r = client.get(url, headers=data["h"])
    assert r.status_code == 422, r.json
    assert field in r.json["errors"], r.json


def test_a_sensor_is_not_a_monitoring_point(data, client):
    env = Device(site_id=data["site"], code="ENV", name="env", kind="env_sensor")
    db.session.add(env)
    db.session.commit()
    r = client.get(f"/api/v1/devices/{env.id}/quality", headers=data["h"])
    assert r.status_code == 422 and r.json["error"] == "not_a_monitoring_point"
    assert "device_id" in r.json["errors"]
