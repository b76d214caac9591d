"""``gridwarden demo history``: two days of counters through the real ingest path and
the real energy rollup, on the small example facility (about 3 s)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from backend.accounts.security import Actor
from backend.energy import operations
from backend.extensions import db
from backend.facility.transfer import import_yaml
from backend.models import Device, Site
from backend.models.telemetry import Q_COUNTER_DECREASE
from backend.telemetry.ingest import ingest
from simulator.history import generate

SMALL = Path(__file__).resolve().parents[1] / "examples" / "facility.yaml"


def _day_kwh(code: str) -> dict:
    return dict(db.session.execute(text(
        "SELECT e.day, e.import_kwh FROM energy_days e JOIN devices d ON d.id = e.device_id "
        "WHERE d.code = :c ORDER BY 1"), {"c": code}).all())


def test_two_days_of_history_through_ingest_and_the_rollup(ctx):
    site_id = import_yaml(Actor.system("t"), SMALL.read_text(encoding="utf-8"))["site_id"]
    db.session.commit()
    # the platform has polled once already: the history must end where that reading is
    live_at = datetime.now(UTC).replace(microsecond=0)
    meter = db.session.scalar(select(Device).where(Device.code == "PM-AA1-IN"))
    ingest([(meter.id, live_at, {"energy_import": 50_000.0})])

    out = generate("DC-DEMO", 2, echo=lambda *_: None)
    counted = db.session.scalar(select(func.count()).select_from(Device).where(
        Device.site_id == site_id, Device.kind.in_(("breaker", "meter"))))
    assert out["devices"] == counted == 13
    assert out["readings"] == counted * (2 * 96 + 1)
    assert out["to"] < live_at and out["to"] > live_at - timedelta(minutes=31)
    flagged = db.session.scalar(text("SELECT count(*) FROM readings WHERE quality & :q <> 0"),
                                {"q": Q_COUNTER_DECREASE})
    assert flagged == 0, db.session.execute(text(
        "SELECT d.code, r.ts, r.value FROM readings r JOIN devices d ON d.id = r.device_id "
        "WHERE quality & :q <> 0 ORDER BY 2 LIMIT 10"), {"q": Q_COUNTER_DECREASE}).all()
    before_live = db.session.scalar(text(
        "SELECT value FROM readings WHERE device_id = :d AND ts < :t ORDER BY ts DESC "
        "LIMIT 1"), {"d": meter.id, "t": live_at})
    assert 40_000 < before_live < 50_000

    # the rollup ran: 15-minute slots, local days; the incomer carries its feeders
    assert out["energy_slots"] >= counted * 2 * 96
    incomer = _day_kwh("PM-AA1-IN")
    feeders = [_day_kwh(f"QF-AA1-WL{k}") for k in range(1, 7)]
    day = sorted(incomer)[1]                  # a whole local day
    total = sum(f[day] for f in feeders)
    assert 0 < total <= incomer[day] < 1.3 * total
    # the kitchen eats at meal times: its 11:00 hour well above its 03:00 hour (local)
    site = db.session.get(Site, site_id)
    kitchen = db.session.scalar(select(Device).where(Device.code == "QF-AA1-WL3"))
    trend = operations.trend(Actor.system("t"), {
        "node": "device", "node_id": kitchen.id, "interval": "hour",
        "start": datetime.fromisoformat(f"{day}T00:00:00+08:00"),
        "end": datetime.fromisoformat(f"{day}T23:59:00+08:00")})
    by_hour = {p["start"].astimezone(UTC).hour: p["import_kwh"] for p in trend["points"]}
    assert site.timezone == "Asia/Shanghai"
    assert by_hour[(11 - 8) % 24] > 3 * by_hour[(3 - 8) % 24]
