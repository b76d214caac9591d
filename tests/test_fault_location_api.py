"""GET /sites/{id}/fault-location on the alarm world (tests/alarm_world.py), fed as the poll
job feeds it (real ingest, poll status and alarm evaluation): a tripped feeder with its dead
board below, a gateway offline, a sag on every circuit of a board, the alarm detail's
per-device answer, agreement with the alarm grouping, scoping and bad input."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.clock import utcnow
from backend.extensions import db
from backend.models import Alarm
from tests.alarm_world import ENV_NORMAL, breaker, build, feed

DEAD = dict(voltage_a=0.0, voltage_b=0.0, voltage_c=0.0, current_a=0.0, current_b=0.0,
            current_c=0.0, active_power=0.0)


@pytest.fixture
def w(ctx, notify_standin):
    return build()


def at(seconds_ago: float):
    return utcnow().replace(microsecond=0) - timedelta(seconds=seconds_ago)


def normal(w, t):
    feed(t, {w["d1"]: breaker(), w["d2"]: breaker(), w["d3"]: breaker(),
             w["d4"]: breaker(), w["e1"]: dict(ENV_NORMAL)})


def locate(client, w, query="", h="h_s1"):
    r = client.get(f"/api/v1/sites/{w['site']}/fault-location{query}", headers=w[h])
    assert r.status_code == 200, r.json
    return r.json


def where(body):
    return [(f["kind"], f["node"]["type"], f["node"]["code"]) for f in body["faults"]]


def test_a_healthy_site_has_no_fault(w, client):
    normal(w, at(60))
    body = locate(client, w)
    assert body["faults"] == [] and body["unknown_circuits"] == []
    assert set(body["circuits"].values()) == {"ok"}


def test_tripped_feeder_located_with_its_dead_board_and_agrees_with_the_grouping(w, client):
    normal(w, at(120))
    feed(at(60), {w["d1"]: breaker(), w["d4"]: breaker(), w["e1"]: dict(ENV_NORMAL),
                  w["d2"]: breaker(switch_state="open", trip_cause="short_circuit", **DEAD),
                  w["d3"]: breaker(**DEAD)})
    body = locate(client, w)
    assert where(body) == [("trip", "circuit", "C2")]
    f = body["faults"][0]
    assert f["cause"] == "short_circuit" and f["affected_circuits"] == [w["c3"]]
    assert f["affected_devices"] == sorted([w["d2"], w["d3"]])
    assert body["circuits"][str(w["c3"])] == "dead"
    steps = [s["en"] for s in f["reasoning"]]
    assert any("trip cause: short circuit" in s for s in steps)
    assert any("upstream circuit C1 has voltage" in s for s in steps)
    assert any("短路" in s["zh"] for s in f["reasoning"])
    # the alarm detail asks for its device's faults: d3's under-voltage is explained by C2
    detail = locate(client, w, f"?device_id={w['d3']}")
    assert detail["device_id"] == w["d3"] and where(detail) == [("trip", "circuit", "C2")]
    assert locate(client, w, f"?device_id={w['d4']}")["faults"] == []
    # the alarm grouping put d3's loss of supply under the same node's trip alarm
    d3_alarm = db.session.scalars(select(Alarm).where(Alarm.device_id == w["d3"])).one()
    root = db.session.get(Alarm, d3_alarm.parent_id)
    assert root.device_id == w["d2"] and root.circuit_id == f["node"]["id"]


def test_gateway_offline_is_located_as_communication(w, client):
    normal(w, at(120))
    for secs in (90, 75, 60, 45):              # past offline_after_failures
        feed(at(secs), {w["d4"]: breaker()}, failed=[w["d1"], w["d2"], w["d3"], w["e1"]])
    body = locate(client, w)
    assert where(body) == [("gateway_offline", "gateway", "网关1")]
    f = body["faults"][0]
    assert f["power"] is False
    assert f["affected_devices"] == sorted([w["d1"], w["d2"], w["d3"], w["e1"]])
    assert sorted(body["unknown_circuits"]) == sorted([w["c1"], w["c2"], w["c3"]])
    assert any("不是供电故障" in s["zh"] for s in f["reasoning"])
    gw_alarm = db.session.scalars(select(Alarm).where(Alarm.rule == "gateway_offline")).one()
    assert gw_alarm.gateway_id == f["node"]["id"]


def test_a_sag_on_every_circuit_of_a_board_is_located_upstream_of_it(w, client):
    # AA1's own circuits are C1 (the incomer, feeding C2 and AL1) and C4: both sag at once
    normal(w, at(200))
    for secs, v in ((190, 230.0), (180, 150.0), (170, 150.0), (160, 230.0), (150, 230.0)):
        feed(at(secs), {d: breaker(voltage_a=v, voltage_b=v, voltage_c=v)
                        for d in (w["d1"], w["d4"])})
    body = locate(client, w)
    assert where(body) == [("sag", "board", "AA1")]
    f = body["faults"][0]
    assert sorted(f["devices"]) == sorted([w["d1"], w["d4"]])
    assert any("the same sag is seen on all 2 observed circuits of board AA1" in s["en"]
               for s in f["reasoning"])


def test_scoped_and_bad_input(w, client):
    normal(w, at(60))
    r = client.get(f"/api/v1/sites/{w['site']}/fault-location", headers=w["h_sb"])
    assert r.status_code == 404 and r.json["error"] == "site_not_found"
    r = client.get(f"/api/v1/sites/{w['site']}/fault-location?device_id=0", headers=w["h_s1"])
    assert r.status_code == 422 and "device_id" in r.json["errors"]
    r = client.get(f"/api/v1/sites/{w['site']}/fault-location?device_id=x", headers=w["h_s1"])
    assert r.status_code == 422 and "device_id" in r.json["errors"]
    r = client.get(f"/api/v1/sites/{w['site']}/fault-location?device_id=999999",
                   headers=w["h_s1"])
    assert r.status_code == 404 and r.json["error"] == "device_not_found"
    assert client.get(f"/api/v1/sites/{w['site']}/fault-location").status_code == 401


def test_a_10kv_meter_is_judged_on_its_own_nominal(w, client):
    # a high-side meter (nominal_kv 10: phase ~5,774 V) on its own circuit C5 of AA1
    from backend.models import Circuit, Device
    c5 = Circuit(site_id=w["site"], code="C5", name="高压进线", board_id=w["aa1"])
    db.session.add(c5)
    db.session.flush()
    meter = Device(site_id=w["site"], code="M10", name="10kV计量", kind="meter",
                   circuit_id=c5.id, gateway_id=w["g2"], unit_id=5, profile="eastron-sdm630",
                   attributes={"nominal_kv": 10})
    db.session.add(meter)
    db.session.commit()

    def hv(v):
        return dict(voltage_a=v, voltage_b=v, voltage_c=v, frequency=50.0)

    normal(w, at(200))
    feed(at(190), {meter.id: hv(5800.0)})
    assert locate(client, w)["circuits"][str(c5.id)] == "ok"
    # at 1 kV on every phase it is dead (a fixed 115 V would call it live)
    feed(at(180), {meter.id: hv(1000.0)})
    body = locate(client, w)
    assert body["circuits"][str(c5.id)] == "dead"
    assert where(body) == [("loss_of_voltage", "circuit", "C5")]
    assert any("below 2887 V" in s["en"] for s in body["faults"][0]["reasoning"])
    # back at 5.8 kV with a dip to 4 kV (69 %): a sag on its own nominal, not a swell on 220 V's
    for secs, v in ((170, 5800.0), (160, 4000.0), (150, 5800.0), (140, 5800.0)):
        feed(at(secs), {meter.id: hv(v)})
    body = locate(client, w)
    assert body["circuits"][str(c5.id)] == "sag"
    assert where(body) == [("sag", "circuit", "C5")]
