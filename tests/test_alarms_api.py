"""The alarms API: list and filter, detail with timeline, acknowledge, comment, assign,
close; scoped to the caller's sites; live-stream events."""
from datetime import timedelta

import pytest

from backend.extensions import db
from backend.models import Alarm
from tests.alarm_world import T0, breaker, build, feed


@pytest.fixture
def w(ctx, notify_standin):
    world = build()
    feed(T0, {world["d4"]: breaker(), world["d2"]: breaker()})
    feed(T0 + timedelta(seconds=2), {
        world["d4"]: breaker(voltage_a=280.0, switch_state="open", trip_cause="over_voltage"),
        world["d2"]: breaker(voltage_b=262.0)})
    return world


def ids(rsp):
    assert rsp.status_code == 200, rsp.json
    return [a["id"] for a in rsp.json]


def one(rule):
    return db.session.query(Alarm).filter_by(rule=rule).order_by(Alarm.id).first()


def test_list_filters_and_scoping(w, client):
    h = w["h_s1"]
    assert len(ids(client.get("/api/v1/alarms", headers=h))) == 2
    assert ids(client.get("/api/v1/alarms?level=alarm", headers=h)) == [one("over_voltage").id]
    rsp = client.get(f"/api/v1/alarms?device_id={w['d2']}&state=active,acknowledged", headers=h)
    [a] = rsp.json
    assert (a["rule"], a["level"], a["value"]) == ("over_voltage", "warning", 262.0)
    since = (T0 + timedelta(seconds=1)).isoformat()
    assert len(ids(client.get("/api/v1/alarms", query_string={"since": since}, headers=h))) == 2
    assert ids(client.get("/api/v1/alarms", query_string={"until": since}, headers=h)) == []
    assert ids(client.get("/api/v1/alarms", headers=w["h_sb"])) == []       # other site
    bad = client.get("/api/v1/alarms?level=severe", headers=h)
    assert bad.status_code == 422 and "level" in str(bad.json["errors"])
    counts = client.get("/api/v1/alarms/counts", headers=h).json
    assert counts["alarm"]["active"] == 1 and counts["warning"]["active"] == 1


def test_detail_timeline_and_other_site_404(w, client):
    a = one("over_voltage")
    rsp = client.get(f"/api/v1/alarms/{a.id}", headers=w["h_s1"])
    assert rsp.status_code == 200
    body = rsp.json
    assert body["trip_cause"] == "over_voltage" and body["level"] == "alarm"
    assert [t["kind"] for t in body["timeline"]] == ["raised"]
    assert body["notifications"][0]["user"] == "s1"
    other = client.get(f"/api/v1/alarms/{a.id}", headers=w["h_sb"])
    assert other.status_code == 404 and other.json["error"] == "alarm_not_found"


def test_acknowledge_many_comment_assign(w, client):
    h = w["h_s1"]
    all_ids = ids(client.get("/api/v1/alarms", headers=h))
    rsp = client.post("/api/v1/alarms/acknowledge", json={"ids": all_ids, "comment": "到场"},
                      headers=h)
    assert rsp.status_code == 200 and {a["state"] for a in rsp.json} == {"acknowledged"}
    again = client.post("/api/v1/alarms/acknowledge", json={"ids": all_ids}, headers=h)
    assert again.status_code == 200 and again.json == []           # idempotent
    a = all_ids[0]
    assert client.post(f"/api/v1/alarms/{a}/comments", json={"text": "更换断路器"},
                       headers=h).status_code == 201
    # staff may take an alarm, not hand it to someone else
    assert client.post(f"/api/v1/alarms/{a}/take", headers=h).json["assignee_id"] == w["s1"]
    assert client.post(f"/api/v1/alarms/{a}/assign", json={"user_id": w["m1"]},
                       headers=h).status_code == 403
    rsp = client.post(f"/api/v1/alarms/{a}/assign", json={"user_id": w["m1"]},
                      headers=w["h_m1"])
    assert rsp.status_code == 200 and rsp.json["assignee_id"] == w["m1"]
    kinds = [t["kind"] for t in client.get(f"/api/v1/alarms/{a}", headers=h).json["timeline"]]
    assert kinds[-3:] == ["comment", "assigned", "assigned"] and "acknowledged" in kinds
    bad = client.post("/api/v1/alarms/acknowledge", json={"ids": []}, headers=h)
    assert bad.status_code == 422 and "ids" in str(bad.json["errors"])


def test_managers_list_the_sites_users_to_assign(w, client):
    a = one("over_voltage").id
    rsp = client.get(f"/api/v1/alarms/{a}/assignees", headers=w["h_m1"])
    assert rsp.status_code == 200
    assert [u["username"] for u in rsp.json] == ["ad", "m1", "s1"]      # not sb (site B)
    assert client.get(f"/api/v1/alarms/{a}/assignees", headers=w["h_s1"]).status_code == 403


def test_assigning_a_user_of_another_site_is_422(w, client):
    from backend.models import User

    outsider = db.session.query(User).filter_by(username="sb").one()
    a = one("over_voltage").id
    rsp = client.post(f"/api/v1/alarms/{a}/assign", json={"user_id": outsider.id},
                      headers=w["h_m1"])
    assert rsp.status_code == 422 and "user_id" in rsp.json["errors"]


def test_close_only_when_cleared(w, client):
    h = w["h_s1"]
    warning = one("over_voltage")
    rsp = client.post(f"/api/v1/alarms/{warning.id}/close", json={}, headers=h)
    assert rsp.status_code == 409 and rsp.json["error"] == "alarm_not_cleared"
    feed(T0 + timedelta(seconds=20), {w["d4"]: breaker(), w["d2"]: breaker()})
    rsp = client.post(f"/api/v1/alarms/{warning.id}/close", json={"comment": "已处理"},
                      headers=h)
    assert rsp.status_code == 200 and rsp.json["state"] == "closed"
    kinds = [t["kind"] for t in client.get(f"/api/v1/alarms/{warning.id}",
                                           headers=h).json["timeline"]]
    assert kinds[0] == "raised" and kinds[-2:] == ["cleared", "closed"]


def test_alarm_changes_go_out_on_the_stream(w, raw_redis):
    from backend.live.keys import site_stream

    entries = raw_redis.xrange(site_stream(w["site"]))
    alarms = [e for _id, e in entries if "alarm" in e.values()]
    assert len(alarms) >= 2, entries[-3:]
