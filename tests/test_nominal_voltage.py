"""A device's declared nominal voltage (``attributes.nominal_kv`` / ``nominal_voltage``):
a 10 kV meter behind PTs reports 5.8 kV phases, which the 230 V plausibility range would
flag and the 230 V alarm limits would call an over-voltage. Ingest, the alarm limits and
the quality spec follow the device's nominal; a device's own override stays in its volts.

Hand-computed: 10 kV line-to-line -> 10 000 / √3 = 5 773.50 V a phase, 25.1022 x the
catalogue's 230 V; over-voltage warning 250 V -> 6 275.5 V, alarm 275 V -> 6 903.1 V,
under-voltage warning 190 V -> 4 769.4 V; voltage range 0-1 000 V -> 0-25 102 V."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.alarms.limits import Override, Overrides
from backend.extensions import db
from backend.models import Alarm, Device, Reading
from backend.models.telemetry import METRICS
from backend.quality.operations import spec_for
from backend.vocabulary import nominal_phase_voltage
from tests.alarm_world import T0, breaker, build, feed

PHASE_10KV = 10_000 / 3 ** 0.5
K = PHASE_10KV / 230


def test_the_declared_nominal_phase_voltage():
    assert nominal_phase_voltage({"nominal_kv": 10}) == pytest.approx(5773.5027)
    assert nominal_phase_voltage({"nominal_voltage": 220}) == 220.0
    assert nominal_phase_voltage({"nominal_voltage": 220, "nominal_kv": 10}) == 220.0
    for attrs in (None, {}, {"nominal_kv": 0}, {"nominal_kv": "10"}, {"nominal_kv": True},
                  {"nominal_voltage": -1}):
        assert nominal_phase_voltage(attrs) is None, attrs


def test_scaled_limits_keep_a_device_override_in_its_own_volts():
    ov = Overrides([Override(1, "site", None, None, "over_voltage", "warning", threshold=248),
                    Override(1, "device", None, 7, "over_voltage", "alarm", threshold=6300)])
    plain = ov.resolve("over_voltage", 1, None, 7)
    assert (plain["warning"].threshold, plain["alarm"].threshold) == (248, 6300)
    scaled = ov.resolve("over_voltage", 1, None, 7, K)
    assert scaled["warning"].threshold == pytest.approx(248 * K)        # the site's, scaled
    assert scaled["warning"].clear == pytest.approx(245 * K)            # the catalogue's
    assert scaled["alarm"].threshold == 6300                            # the device's own
    assert scaled["alarm"].clear == pytest.approx(255 * K)


@pytest.fixture
def w(ctx, notify_standin):
    w = build()
    meter = Device(site_id=w["site"], code="PM-HV", name="10kV进线计量", kind="meter",
                   circuit_id=w["c1"], gateway_id=w["g2"], unit_id=5, profile="eastron-sdm630",
                   poles="3P", attributes={"side": "high", "nominal_kv": 10})
    db.session.add(meter)
    db.session.commit()
    w["hv"] = meter.id
    return w


def hv(v_a=5800.0, v_b=5790.0, v_c=5810.0):
    return {"voltage_a": v_a, "voltage_b": v_b, "voltage_c": v_c, "current_a": 40.0,
            "current_b": 41.0, "current_c": 39.0, "frequency": 50.0}


def qualities(device_id):
    return {METRICS_BY_ID[m]: q for m, q in db.session.execute(
        select(Reading.metric_id, Reading.quality).where(Reading.device_id == device_id))}


METRICS_BY_ID = {m.id: n for n, m in METRICS.items()}


def test_a_10kv_meter_is_stored_plausible_and_alarms_on_its_own_nominal(w, client):
    feed(T0, {w["hv"]: hv(), w["d4"]: breaker(voltage_a=5800.0)})
    got = qualities(w["hv"])
    assert got["voltage_a"] == 0 and got["voltage_b"] == 0, got      # plausible at 10 kV
    assert qualities(w["d4"])["voltage_a"] != 0                      # a 230 V breaker: flagged
    assert db.session.scalars(select(Alarm)).all() == []

    feed(T0 + timedelta(seconds=2), {w["hv"]: hv(v_b=6400.0)})       # above 6 275.5 V
    [a] = db.session.scalars(select(Alarm)).all()
    assert (a.device_id, a.rule, a.level, a.value) == (w["hv"], "over_voltage", "warning", 6400.0)
    assert a.threshold == pytest.approx(250 * K)

    r = client.get(f"/api/v1/devices/{w['hv']}/alarm-rules", headers=w["h_ad"])
    assert r.status_code == 200, r.json
    limits = {(x["rule"], x["level"]): x for x in r.json}
    assert limits[("over_voltage", "alarm")]["threshold"] == pytest.approx(275 * K)
    assert limits[("under_voltage", "warning")]["threshold"] == pytest.approx(190 * K)
    assert limits[("voltage_imbalance", "warning")]["threshold"] == 2  # in %: as it is


def test_a_device_override_in_its_own_volts_is_checked_in_its_own_volts(w, client):
    # under-voltage ("below": a clear at or above its threshold). A warning at 4 500 V
    # keeps the catalogue's clear, scaled: 195 V -> 4 894.9 V >= 4 500 V, and stays above
    # the alarm's 160 V -> 4 016.4 V: accepted (in 230 V terms its clear, 195 V, would be
    # below it). At 5 200 V the scaled clear is below the threshold: refused, named.
    url = "/api/v1/alarm-rules"
    body = {"site_id": w["site"], "scope": "device", "device_id": w["hv"],
            "rule": "under_voltage", "level": "warning"}
    r = client.post(url, headers=w["h_ad"], json={**body, "threshold": 5200})
    assert r.status_code == 422, r.json
    assert "clear threshold 4894.9" in str(r.json), r.json
    r = client.post(url, headers=w["h_ad"], json={**body, "threshold": 4500})
    assert r.status_code == 201, r.json


def test_the_quality_spec_of_a_10kv_meter(w):
    spec = spec_for(db.session.get(Device, w["hv"]))
    assert spec.nominal_v == pytest.approx(PHASE_10KV) and spec.level_kv == 10.0
    plain = spec_for(db.session.get(Device, w["d4"]))
    assert plain.nominal_v == 220.0 and plain.level_kv == 0.38
