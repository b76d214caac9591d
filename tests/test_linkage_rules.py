"""Saving linkage rules (/api/v1/linkage-rules): scoped and audited; the condition's device
or area of the site and its metric known; every action checked (another site's device
refused, a protected circuit's approval stated); loops between rules refused naming them;
the shipped defaults per area, disabled, made once."""
from __future__ import annotations

from backend.extensions import db
from backend.models import AuditEntry, LinkageRule
from tests.linkage_world import facility, leak_rule  # noqa: F401  (fixture)

URL = "/api/v1/linkage-rules"


def test_a_rule_is_saved_listed_and_audited(app, client, facility):  # noqa: F811
    h = facility["h"]["m1"]
    r = client.post(URL, json=leak_rule(facility), headers=h)
    assert r.status_code == 201, r.json
    rule = r.json
    assert rule["condition"]["metric"] == "water_leak" and rule["condition"]["value"] is True
    assert [a["kind"] for a in rule["actions"]] == ["alarm", "command", "command", "command",
                                                     "popup"]
    assert rule["notes"] == []
    listed = client.get(URL, query_string={"site_id": facility["site"]}, headers=h).json
    assert [x["id"] for x in listed] == [rule["id"]]
    # staff read, do not write
    assert client.get(f"{URL}/{rule['id']}", headers=facility["h"]["s1"]).status_code == 200
    assert client.put(f"{URL}/{rule['id']}", json={"enabled": False},
                      headers=facility["h"]["s1"]).status_code == 403
    r = client.put(f"{URL}/{rule['id']}", json={"enabled": False, "condition": {
        "device_id": facility["ids"]["ENV-PDF-LV"], "metric": "humidity", "op": ">",
        "value": 85, "for_seconds": 30, "window": {"start": "22:00", "end": "06:00"}}},
        headers=h)
    assert r.status_code == 200, r.json
    assert r.json["enabled"] is False and r.json["condition"]["window"] == {
        "start": "22:00", "end": "06:00"}
    with app.app_context():
        actions = [a.action for a in db.session.query(AuditEntry).filter_by(
            entity_type="linkage_rule", entity_id=rule["id"]).order_by(AuditEntry.id)]
        assert actions == ["create", "update"]


def test_bad_conditions_are_refused_naming_the_field(client, facility):  # noqa: F811
    h, ids = facility["h"]["m1"], facility["ids"]

    def post(condition):
        return client.post(URL, json=leak_rule(facility, condition=condition), headers=h)

    cases = [
        ({"device_id": ids["ENV-PDF-LV"], "metric": "voltage_a", "op": ">", "value": 1},
         "condition.metric", "metric_unknown"),
        ({"device_id": 999999, "metric": "water_leak", "op": "==", "value": True},
         "condition.device_id", "condition_device_not_found"),
        ({"area_id": facility["other_area"], "metric": "water_leak", "op": "==",
          "value": True}, "condition.area_id", "validation_error"),
        ({"device_id": ids["ENV-PDF-LV"], "area_id": facility["areas"]["SBQ"],
          "metric": "water_leak", "op": "==", "value": True}, "condition.device_id",
         "validation_error"),
        ({"device_id": ids["ENV-PDF-LV"], "metric": "temperature", "op": ">", "value": "hot"},
         "condition.value", "value_not_comparable"),
        ({"area_id": facility["areas"]["SBQ"], "device_kind": "breaker",
          "metric": "humidity", "op": ">", "value": 80}, "condition.metric", "metric_unknown"),
    ]
    for condition, field, code in cases:
        r = post(condition)
        assert r.status_code == 422, (condition, r.json)
        assert r.json["error"] == code and field in r.json["errors"], (condition, r.json)
    bad_window = post({"device_id": ids["ENV-PDF-LV"], "metric": "humidity", "op": ">",
                       "value": 80, "window": {"start": "25:00", "end": "06:00"}})
    assert bad_window.status_code == 422 and "condition" in bad_window.json["errors"]
    # an area rule whose kind reports the metric is fine
    assert post({"area_id": facility["areas"]["SBQ"], "device_kind": "env_sensor",
                 "metric": "water_leak", "op": "==", "value": True}).status_code == 201


def test_another_sites_device_is_refused_and_a_protected_circuit_is_noted(
        client, facility):  # noqa: F811
    h, ids = facility["h"]["m1"], facility["ids"]
    other = client.post(URL, json=leak_rule(facility, site_id=facility["other"]),
                        headers=facility["h"]["ad"])
    assert other.status_code == 404          # a site not granted
    r = client.post(URL, json=leak_rule(facility, actions=[
        {"kind": "command", "device_id": ids["LC-PDF-PUMP"], "action": "on"},
        {"kind": "command", "device_id": ids["LC-X1"], "action": "on"}]), headers=h)
    assert r.status_code == 422 and r.json["error"] == "action_device_not_found", r.json
    assert "actions.1.device_id" in r.json["errors"]
    r = client.post(URL, json=leak_rule(facility, actions=[
        {"kind": "command", "device_id": ids["LC-PDF-PUMP"], "action": "on"},
        {"kind": "command", "device_id": ids["QF-AA1-WL5"], "action": "close"}]), headers=h)
    assert r.status_code == 201, r.json
    assert [(n["path"], n["code"]) for n in r.json["notes"]] == \
        [("actions.1", "action_needs_approval")]
    assert "QF-AA1-WL5" in r.json["notes"][0]["message_zh"]
    r = client.post(URL, json=leak_rule(facility, clear_actions=[
        {"kind": "command", "device_id": ids["ENV-PDF-LV"], "action": "off"}]), headers=h)
    assert r.status_code == 422 and "clear_actions.0.action" in r.json["errors"], r.json


def test_a_loop_between_rules_is_refused_naming_its_rules(client, facility):  # noqa: F811
    h, ids = facility["h"]["m1"], facility["ids"]

    def rule(name, watch, switch):
        return {"site_id": facility["site"], "name": name,
                "condition": {"device_id": ids[watch], "metric": "switch_state", "op": "==",
                              "value": "closed"},
                "actions": [{"kind": "command", "device_id": ids[switch],
                             "action": "off" if switch.startswith("LC-") else "open"}]}

    a = client.post(URL, json=rule("甲", "QF-JQ1-WL2", "QF-JQ1-WL3"), headers=h)
    b = client.post(URL, json=rule("乙", "QF-JQ1-WL3", "LC-PDF-PUMP"), headers=h)
    assert a.status_code == b.status_code == 201
    # the third closes the loop through a device fed from the one it switches: QF-JQ1-WL1
    # feeds the lighting board AL-JQ1-1, whose breaker QF-AL1-WL1 rule 甲 would watch
    r = client.put(f"{URL}/{a.json['id']}", json={"condition": {
        "device_id": ids["QF-AL1-WL1"], "metric": "switch_state", "op": "==",
        "value": "closed"}}, headers=h)
    assert r.status_code == 200
    c = client.post(URL, json=rule("丙", "LC-PDF-PUMP", "QF-JQ1-WL1"), headers=h)
    assert c.status_code == 409, c.json
    assert c.json["error"] == "rule_loop"
    assert "甲" in c.json["message"] and "乙" in c.json["message"] and "丙" in c.json["message"]
    assert set(c.json["errors"]["loop"]) == {str(a.json["id"]), str(b.json["id"])}
    assert "循环" in c.json["message_zh"]
    # a rule acting on what it watches itself is not a loop
    assert client.post(URL, json=rule("自保护", "LC-PDF-PUMP", "LC-PDF-PUMP"),
                       headers=h).status_code == 201


def test_defaults_are_made_per_area_disabled_with_the_areas_devices_once(
        app, client, facility):  # noqa: F811
    url = f"/api/v1/sites/{facility['site']}/linkage-rules/defaults"
    assert client.post(url, headers=facility["h"]["m1"]).status_code == 403
    r = client.post(url, headers=facility["h"]["ad"])
    assert r.status_code == 201, r.json
    made = {x["default_key"].split(":")[0] + "@" + str(x["condition"]["area_id"]): x
            for x in r.json["created"]}
    sbq, jq1 = facility["areas"]["SBQ"], facility["areas"]["JQ1"]
    leak = made[f"water_leak@{sbq}"]
    assert leak["enabled"] is False
    switched = {a["device_id"] for a in leak["actions"] if a["kind"] == "command"}
    ids = facility["ids"]
    assert {ids["LC-PDF-PUMP"], ids["LC-PDF-SIREN"], ids["LC-PDF-LIGHT"]} <= switched
    assert [a["kind"] for a in leak["actions"]][0] == "alarm"
    assert leak["actions"][-1] == {"kind": "popup"}
    # the fire and drainage pump's breaker is on a protected circuit: said at once
    assert ids["QF-AA1-WL5"] in switched and any(
        n["code"] == "action_needs_approval" for n in leak["notes"])
    # the cable trench's level sensor: its float switch gets the same response as a leak
    pit = made[f"high_water@{sbq}"]
    assert pit["enabled"] is False and pit["condition"]["metric"] == "high_water"
    assert pit["condition"]["value"] is True and pit["actions"][-1] == {"kind": "popup"}
    assert {a["device_id"] for a in pit["actions"] if a["kind"] == "command"} == switched
    assert f"high_water@{jq1}" not in made             # no level sensor there
    ac = made[f"high_temperature@{jq1}"]
    assert {a["device_id"] for a in ac["actions"]} == {ids["QF-JQ1-WL2"]}
    assert ac["clear_actions"] == [{"kind": "command", "device_id": ids["QF-JQ1-WL2"],
                                    "action": "open"}]
    assert f"high_temperature@{sbq}" not in made        # no air conditioner there
    # the cell block's KNX lights on its lighting circuits are lights too: switched on
    # (the stairwell's group is on no circuit and has no role: not a light)
    on = {a["device_id"]: a["action"] for a in made[f"water_leak@{jq1}"]["actions"]
          if a["kind"] == "command"}
    assert on[ids["KNX-JQ1-L1"]] == on[ids["KNX-JQ1-L2"]] == "on"
    assert ids["KNX-JQ1-L3"] not in on
    again = client.post(url, headers=facility["h"]["ad"])
    assert again.status_code == 201 and again.json["created"] == []
    assert {s["reason"] for s in again.json["skipped"]} >= {"exists"}
    with app.app_context():
        assert db.session.query(LinkageRule).count() == len(r.json["created"])
