"""Alarm rule overrides through the HTTP API: catalogue, validation of the effective limits,
scoping, duplicates, audit, the workers' reload key and a device's effective limits."""
import pytest

from backend.alarms.rules import RULES_VERSION_KEY, load_overrides
from backend.extensions import db
from backend.models import AuditEntry, Board, Circuit, Device, Role
from tests.factories import auth, make_site, make_user

URL = "/api/v1/alarm-rules"


@pytest.fixture
def w(ctx):
    a, b = make_site("A", "甲所"), make_site("B", "乙所")
    board = Board(site_id=a.id, code="AA1", name="总柜", level=1)
    db.session.add(board)
    db.session.flush()
    circuit = Circuit(site_id=a.id, code="C1", name="照明", board_id=board.id, category="lighting")
    db.session.add(circuit)
    db.session.flush()
    qf = Device(site_id=a.id, code="QF1", name="断路器", kind="breaker", circuit_id=circuit.id)
    env = Device(site_id=a.id, code="E1", name="环境", kind="env_sensor")
    other = Device(site_id=b.id, code="QF9", name="乙所断路器", kind="breaker")
    db.session.add_all([qf, env, other])
    db.session.commit()
    admin = make_user("adm", Role.admin, [a])
    return {"site": a.id, "site_b": b.id, "qf": qf.id, "env": env.id, "other_dev": other.id,
            "h": auth(admin), "staff": auth(make_user("st", Role.staff, [a])),
            "manager": auth(make_user("mg", Role.manager, [a])),
            "admin_b": auth(make_user("adm_b", Role.admin, [b]))}


def post(client, w, **body):
    return client.post(URL, headers=w["h"], json={"site_id": w["site"], **body})


def test_catalogue_lists_every_rule_with_defaults(client, w):
    r = client.get(f"{URL}/catalogue", headers=w["staff"])
    assert r.status_code == 200
    rules = {x["key"]: x for x in r.json}
    ov = rules["over_voltage"]
    assert ov["zh"] == "过压" and ov["en"] == "Over-voltage" and ov["unit"] == "V"
    assert ov["direction"] == "above" and "breaker" in ov["kinds"]
    assert ov["levels"]["warning"] == {"threshold": 250, "clear": 245, "hold": 0}
    assert ov["trip_causes"] == ["over_voltage"] and ov["groupable"] is False
    assert rules["under_voltage"]["direction"] == "below"
    assert "gateway_offline" in rules and rules["phase_loss"]["groupable"] is True
    assert client.get(f"{URL}/catalogue").status_code == 401


def test_create_list_update_delete_with_audit_and_version_bump(client, w, raw_redis):
    r = post(client, w, scope="site", rule="over_voltage", level="warning", threshold=252)
    assert r.status_code == 201, r.json
    rid = r.json["id"]
    assert r.json["clear_threshold"] is None and r.json["enabled"] is None   # inherit
    assert raw_redis.get(RULES_VERSION_KEY) == "1"
    r = client.get(URL, headers=w["staff"], query_string={"rule": "over_voltage"})
    assert r.status_code == 200 and [x["id"] for x in r.json] == [rid]
    assert client.get(URL, headers=w["staff"], query_string={"scope": "device"}).json == []
    r = client.put(f"{URL}/{rid}", headers=w["h"], json={"threshold": 248, "hold_seconds": 5})
    assert r.status_code == 200 and r.json["threshold"] == 248 and r.json["hold_seconds"] == 5
    assert raw_redis.get(RULES_VERSION_KEY) == "2"
    assert client.delete(f"{URL}/{rid}", headers=w["h"]).status_code == 204
    assert raw_redis.get(RULES_VERSION_KEY) == "3"
    actions = [(e.action, e.entity_type, e.site_id) for e in
               db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions == [("create", "alarm_rule", w["site"]), ("update", "alarm_rule", w["site"]),
                       ("delete", "alarm_rule", w["site"])]


def test_failed_change_does_not_bump_the_version(client, w, raw_redis):
    r = post(client, w, scope="site", rule="over_voltage", level="warning", threshold=300)
    assert r.status_code == 422
    assert raw_redis.get(RULES_VERSION_KEY) is None


@pytest.mark.parametrize("body, field", [
    ({"scope": "site", "rule": "over_voltage", "level": "warning", "threshold": 280},
     "threshold"),                                   # warning above the alarm threshold
    ({"scope": "site", "rule": "over_voltage", "level": "warning", "clear_threshold": 251},
     "clear_threshold"),                             # clear above threshold ("above" rule)
    ({"scope": "site", "rule": "under_voltage", "level": "warning", "clear_threshold": 185},
     "clear_threshold"),                             # clear below threshold ("below" rule)
    ({"scope": "site", "rule": "under_voltage", "level": "alarm", "threshold": 195,
      "clear_threshold": 200}, "threshold"),         # alarm above warning for "below"
    ({"scope": "site", "rule": "phase_loss", "level": "warning"}, "level"),
    ({"scope": "category", "rule": "overload", "level": "alarm"}, "category"),
    ({"scope": "site", "category": "lighting", "rule": "overload", "level": "alarm"},
     "category"),
    ({"scope": "category", "category": "nope", "rule": "overload", "level": "alarm"},
     "category"),
    ({"scope": "device", "rule": "overload", "level": "alarm"}, "device_id"),
    ({"scope": "site", "rule": "overload", "level": "alarm", "hold_seconds": -1},
     "hold_seconds"),
    ({"scope": "site", "rule": "overload", "level": "alarm", "hold_seconds": 86401},
     "hold_seconds"),
    ({"scope": "site", "rule": "no_such_rule", "level": "alarm"}, "rule"),
])
def test_validation_names_the_field(client, w, body, field):
    r = post(client, w, **body)
    assert r.status_code == 422, r.json
    assert field in r.json["errors"], r.json


def test_device_scope_checks_site_and_kind(client, w):
    r = post(client, w, scope="device", device_id=w["other_dev"], rule="overload",
             level="alarm", threshold=1.1)
    assert r.status_code == 422 and "device_id" in r.json["errors"]
    r = post(client, w, scope="device", device_id=w["env"], rule="overload", level="alarm")
    assert r.status_code == 422 and "rule" in r.json["errors"]
    r = post(client, w, scope="device", device_id=w["env"], rule="humidity", level="alarm",
             threshold=95, clear_threshold=90)
    assert r.status_code == 201, r.json


def test_site_change_is_checked_against_more_specific_rows(client, w):
    # A category row lowers the alarm threshold; a site-wide warning above it must fail
    # for that category even though the site level alone would be fine.
    r = post(client, w, scope="category", category="lighting", rule="over_voltage",
             level="alarm", threshold=260, clear_threshold=250)
    assert r.status_code == 201, r.json
    r = post(client, w, scope="site", rule="over_voltage", level="warning", threshold=265,
             clear_threshold=255)
    assert r.status_code == 422 and "threshold" in r.json["errors"]
    assert "category lighting" in r.json["message"]
    # Deleting an override that others rely on is checked too.
    dev_alarm = post(client, w, scope="device", device_id=w["qf"], rule="over_voltage",
                     level="alarm", threshold=270, clear_threshold=265).json["id"]
    r = post(client, w, scope="device", device_id=w["qf"], rule="over_voltage",
             level="warning", threshold=262, clear_threshold=258)
    assert r.status_code == 201, r.json
    assert client.delete(f"{URL}/{dev_alarm}", headers=w["h"]).status_code == 422


def test_duplicate_target_is_409(client, w):
    body = dict(scope="category", category="lighting", rule="overload", level="alarm",
                threshold=1.1)
    assert post(client, w, **body).status_code == 201
    r = post(client, w, **body)
    assert r.status_code == 409 and r.json["error"] == "duplicate_alarm_rule"
    other = post(client, w, scope="category", category="power", rule="overload",
                 level="alarm").json["id"]
    r = client.put(f"{URL}/{other}", headers=w["h"], json={"category": "lighting"})
    assert r.status_code == 409


def test_roles_and_other_sites(client, w):
    body = {"site_id": w["site"], "scope": "site", "rule": "overload", "level": "alarm",
            "threshold": 1.3}
    assert client.post(URL, headers=w["manager"], json=body).status_code == 403
    assert client.post(URL, headers=w["admin_b"], json=body).status_code == 404
    rid = post(client, w, scope="site", rule="overload", level="alarm", threshold=1.3).json["id"]
    assert client.get(f"{URL}/{rid}", headers=w["staff"]).status_code == 200
    assert client.get(f"{URL}/{rid}", headers=w["admin_b"]).status_code == 404
    assert client.put(f"{URL}/{rid}", headers=w["admin_b"], json={"threshold": 2}).status_code \
        == 404
    assert client.get(URL, headers=w["admin_b"]).json == []
    r = client.put(f"{URL}/{rid}", headers=w["h"], json={"site_id": w["site_b"]})
    assert r.status_code == 422 and "site_id" in r.json["errors"]


def test_device_effective_limits_and_sources(client, w):
    post(client, w, scope="site", rule="over_voltage", level="warning", threshold=248)
    post(client, w, scope="category", category="lighting", rule="over_voltage", level="warning",
         clear_threshold=240)
    post(client, w, scope="device", device_id=w["qf"], rule="over_voltage", level="alarm",
         enabled=False)
    r = client.get(f"/api/v1/devices/{w['qf']}/alarm-rules", headers=w["staff"])
    assert r.status_code == 200, r.json
    got = {(x["rule"], x["level"]): x for x in r.json}
    warn = got[("over_voltage", "warning")]
    assert (warn["threshold"], warn["clear_threshold"], warn["source"]) == (248, 240, "category")
    alarm = got[("over_voltage", "alarm")]
    assert alarm["enabled"] is False and alarm["source"] == "device" and alarm["threshold"] == 275
    assert got[("overload", "warning")]["source"] == "default"
    assert ("humidity", "alarm") not in got                       # not a breaker rule
    assert ("comm_loss", "alarm") in got
    assert client.get(f"/api/v1/devices/{w['qf']}/alarm-rules",
                      headers=w["admin_b"]).status_code == 404


def test_load_overrides_is_what_the_engine_resolves(client, w):
    post(client, w, scope="device", device_id=w["qf"], rule="overload", level="alarm",
         threshold=1.1)
    ov = load_overrides([w["site"], w["site_b"]])
    limits = ov.resolve("overload", w["site"], "lighting", w["qf"])
    assert limits["alarm"].threshold == 1.1 and limits["alarm"].source == "device"
    assert load_overrides([]).resolve("overload", w["site"], None, None)["alarm"].source \
        == "default"
