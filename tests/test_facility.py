"""Facility topology through the HTTP API: validation, cycles, dependents, audit, topology."""
import json

import pytest

from backend.models import Role
from tests.factories import auth, make_site, make_user


@pytest.fixture
def admin(ctx):
    site = make_site("DC1", "一号看守所")
    other = make_site("DC2", "二号看守所")
    user = make_user("adm", Role.admin, [site])
    return {"site": site.id, "other": other.id, "h": auth(user), "user": user}


def post(client, admin, path, **body):
    r = client.post(f"/api/v1/{path}", headers=admin["h"], json=body)
    assert r.status_code == 201, r.json
    return r.json["id"]


def build(client, admin):
    s = admin["site"]
    ids = {}
    ids["area"] = post(client, admin, "areas", site_id=s, code="A1", name="一监区",
                       kind="department")
    ids["room"] = post(client, admin, "rooms", site_id=s, code="LV", name="低压配电房")
    ids["aa1"] = post(client, admin, "boards", site_id=s, code="AA1", name="低压总柜", level=1,
                      room_id=ids["room"])
    ids["c1"] = post(client, admin, "circuits", site_id=s, code="AA1-1", name="一监区照明总",
                     board_id=ids["aa1"], category="lighting")
    ids["al1"] = post(client, admin, "boards", site_id=s, code="AL1", name="照明箱", level=2,
                      feeder_circuit_id=ids["c1"])
    ids["c2"] = post(client, admin, "circuits", site_id=s, code="AL1-1", name="监室照明",
                     board_id=ids["al1"], category="lighting", protected=True)
    ids["c3"] = post(client, admin, "circuits", site_id=s, code="AL1-2", name="走廊照明",
                     board_id=ids["al1"], parent_id=ids["c2"], category="lighting")
    ids["gw"] = post(client, admin, "gateways", site_id=s, code="GW1", name="网关",
                     host="127.0.0.1", port=15020)
    ids["qf"] = post(client, admin, "devices", site_id=s, code="QF1", name="断路器",
                     kind="breaker", circuit_id=ids["c2"], gateway_id=ids["gw"], unit_id=1,
                     poles="1P+N", rated_current=32, trip_curve="C", rated_residual_current=30,
                     rated_power=5, profile="gw-breaker")
    return ids


def test_topology_tree(client, admin):
    ids = build(client, admin)
    r = client.get(f"/api/v1/sites/{admin['site']}/topology", headers=admin["h"])
    assert r.status_code == 200, r.json
    t = r.json
    assert t["site"]["code"] == "DC1"
    [aa1] = t["boards"]
    assert aa1["code"] == "AA1" and aa1["level"] == 1
    [c1] = aa1["circuits"]
    [al1] = c1["boards"]                      # AL1 hangs under the circuit that feeds it
    assert al1["code"] == "AL1"
    [c2] = al1["circuits"]
    assert c2["protected"] is True
    assert [c["code"] for c in c2["circuits"]] == ["AL1-2"]
    assert c2["devices"][0]["code"] == "QF1" and c2["devices"][0]["rated_current"] == 32
    assert t["areas"][0]["name"] == "一监区"
    assert ids


def test_cycles_are_refused(client, admin):
    ids = build(client, admin)
    h = admin["h"]
    # circuit parent chain: AL1-1 -> AL1-2 would loop
    r = client.put(f"/api/v1/circuits/{ids['c2']}", headers=h, json={"parent_id": ids["c3"]})
    assert r.status_code == 422 and "parent_id" in r.json["errors"], r.json
    r = client.put(f"/api/v1/circuits/{ids['c2']}", headers=h, json={"parent_id": ids["c2"]})
    assert r.status_code == 422
    # board fed by its own downstream circuit
    r = client.put(f"/api/v1/boards/{ids['aa1']}", headers=h, json={"feeder_circuit_id": ids["c2"]})
    assert r.status_code == 422 and "feeder_circuit_id" in r.json["errors"]
    # AA1-1 fed from a circuit downstream of it (via board AL1)
    r = client.put(f"/api/v1/circuits/{ids['c1']}", headers=h, json={"parent_id": ids["c3"]})
    assert r.status_code == 422
    # area tree
    a2 = post(client, admin, "areas", site_id=admin["site"], code="A2", name="子区",
              parent_id=ids["area"])
    r = client.put(f"/api/v1/areas/{ids['area']}", headers=h, json={"parent_id": a2})
    assert r.status_code == 422 and "parent_id" in r.json["errors"]


def test_device_rules(client, admin):
    ids = build(client, admin)
    h, s = admin["h"], admin["site"]
    base = dict(site_id=s, name="x", kind="breaker", gateway_id=ids["gw"])
    r = client.post("/api/v1/devices", headers=h, json={**base, "code": "Q2", "unit_id": 1})
    assert r.status_code == 409 and r.json["error"] == "duplicate_unit_id"
    assert "unit_id" in r.json["errors"]
    for bad in (0, 248):
        r = client.post("/api/v1/devices", headers=h, json={**base, "code": "Q3", "unit_id": bad})
        assert r.status_code == 422 and "unit_id" in r.json["errors"]
    r = client.post("/api/v1/devices", headers=h, json={**base, "code": "QF1", "unit_id": 5})
    assert r.status_code == 409 and r.json["error"] == "duplicate_code"
    r = client.post("/api/v1/devices", headers=h,
                    json={"site_id": s, "code": "T1", "name": "温湿度", "kind": "env_sensor",
                          "gateway_id": ids["gw"], "unit_id": 7, "rated_current": 10})
    assert r.status_code == 422 and "rated_current" in r.json["errors"]
    r = client.post("/api/v1/devices", headers=h, json={**base, "code": "Q4", "unit_id": 4,
                                                         "poles": "2P", "trip_curve": "Z"})
    assert r.status_code == 422 and {"poles", "trip_curve"} <= set(r.json["errors"])


def test_references_must_be_in_the_same_site(client, ctx):
    a, b = make_site("A", "甲"), make_site("B", "乙")
    root = make_user("root", Role.admin, [], superadmin=True)
    h = auth(root)
    gw_b = client.post("/api/v1/gateways", headers=h, json={
        "site_id": b.id, "code": "G", "name": "g", "host": "127.0.0.1"}).json["id"]
    board = client.post("/api/v1/boards", headers=h, json={
        "site_id": a.id, "code": "AA1", "name": "总柜"}).json["id"]
    circuit = client.post("/api/v1/circuits", headers=h, json={
        "site_id": a.id, "code": "C", "name": "c", "board_id": board}).json["id"]
    r = client.post("/api/v1/devices", headers=h, json={
        "site_id": a.id, "code": "Q", "name": "q", "kind": "breaker", "circuit_id": circuit,
        "gateway_id": gw_b, "unit_id": 1})
    assert r.status_code == 422 and "gateway_id" in r.json["errors"], r.json
    r = client.put(f"/api/v1/circuits/{circuit}", headers=h, json={"site_id": b.id})
    assert r.status_code == 422 and "site_id" in r.json["errors"]


def test_delete_with_dependents_is_409_naming_them(client, admin):
    ids = build(client, admin)
    h = admin["h"]
    r = client.delete(f"/api/v1/circuits/{ids['c2']}", headers=h)
    assert r.status_code == 409 and r.json["error"] == "has_dependents"
    assert r.json["errors"]["dependents"] == {"downstream circuits": 1, "devices": 1}
    assert "devices" in r.json["message"]
    r = client.delete(f"/api/v1/gateways/{ids['gw']}", headers=h)
    assert r.status_code == 409 and r.json["errors"]["dependents"] == {"devices": 1}
    assert client.delete(f"/api/v1/devices/{ids['qf']}", headers=h).status_code == 204
    assert client.get(f"/api/v1/devices/{ids['qf']}", headers=h).status_code == 404
    assert client.delete(f"/api/v1/gateways/{ids['gw']}", headers=h).status_code == 204


def test_pagination_and_filters(client, admin):
    ids = build(client, admin)
    h, s = admin["h"], admin["site"]
    for i in range(2, 8):
        post(client, admin, "devices", site_id=s, code=f"QF{i}", name=f"断路器{i}", kind="breaker",
             gateway_id=ids["gw"], unit_id=i, circuit_id=ids["c3"])
    r = client.get("/api/v1/devices?page=2&page_size=3", headers=h)
    assert r.status_code == 200
    assert json.loads(r.headers["X-Pagination"])["total"] == 7
    assert [d["code"] for d in r.json] == ["QF4", "QF5", "QF6"]
    r = client.get(f"/api/v1/devices?circuit_id={ids['c3']}&q=QF7", headers=h)
    assert [d["code"] for d in r.json] == ["QF7"]
    r = client.get("/api/v1/circuits?category=lighting&protected=true", headers=h)
    assert [c["code"] for c in r.json] == ["AL1-1"]
    r = client.get("/api/v1/devices?page_size=100000", headers=h)
    assert r.status_code == 422 and "page_size" in r.json["errors"]
    r = client.get("/api/v1/devices?kind=toaster", headers=h)
    assert r.status_code == 422 and "kind" in r.json["errors"]


def test_audit_log_records_before_and_after(client, admin):
    ids = build(client, admin)
    h = admin["h"]
    client.put(f"/api/v1/devices/{ids['qf']}", headers=h, json={"rated_current": 40})
    client.put(f"/api/v1/devices/{ids['qf']}", headers=h, json={"rated_current": 40})  # no-op
    client.delete(f"/api/v1/devices/{ids['qf']}", headers=h)
    r = client.get(f"/api/v1/audit?entity_type=device&entity_id={ids['qf']}", headers=h)
    assert r.status_code == 200
    entries = r.json
    assert [e["action"] for e in entries] == ["delete", "update", "create"]
    upd = entries[1]
    assert upd["before"] == {"rated_current": 32.0} and upd["after"] == {"rated_current": 40.0}
    assert upd["username"] == "adm" and upd["site_id"] == admin["site"]
    assert entries[0]["before"]["code"] == "QF1" and entries[0]["after"] is None


def test_unknown_ids_and_bad_input_never_500(client, admin):
    h = admin["h"]
    for path in ("sites/999", "areas/999", "boards/999", "circuits/999", "devices/999",
                 "users/999"):
        r = client.get(f"/api/v1/{path}", headers=h)
        assert r.status_code == 404 and r.json["error"].endswith("not_found"), path
    r = client.post("/api/v1/boards", headers=h, json={"site_id": admin["site"], "code": "b b",
                                                        "name": "", "level": 7})
    assert r.status_code == 422 and {"code", "name", "level"} <= set(r.json["errors"])
    r = client.post("/api/v1/boards", headers=h, json=[1, 2])
    assert r.status_code == 422
    r = client.post("/api/v1/circuits", headers=h, json={"site_id": admin["site"], "code": "c",
                                                          "name": "c", "board_id": 2 ** 40})
    assert r.status_code == 422, r.json
    r = client.get("/api/v1/nowhere", headers=h)
    assert r.status_code == 404 and r.json["error"] == "not_found"
    r = client.post("/api/v1/boards", headers=h, json={"site_id": admin["other"], "code": "X",
                                                         "name": "x"})
    assert r.status_code == 404 and r.json["error"] == "site_not_found"


def test_user_management_scoped_to_admins_sites(client, admin):
    h, s = admin["h"], admin["site"]
    r = client.post("/api/v1/users", headers=h, json={
        "username": "duty1", "role": "staff", "password": "duty-password-1", "site_ids": [s]})
    assert r.status_code == 201 and r.json["site_ids"] == [s]
    r = client.post("/api/v1/users", headers=h, json={
        "username": "duty2", "role": "staff", "password": "duty-password-1",
        "site_ids": [admin["other"]]})
    assert r.status_code == 403 and r.json["error"] == "site_not_granted"
    r = client.post("/api/v1/users", headers=h, json={
        "username": "boss", "role": "admin", "password": "boss-password-1", "site_ids": [s],
        "is_superadmin": True})
    assert r.status_code == 403
    r = client.post("/api/v1/users", headers=h, json={
        "username": "duty1", "role": "staff", "password": "duty-password-1"})
    assert r.status_code == 409 and r.json["error"] == "duplicate_username"
    r = client.put(f"/api/v1/users/{admin['user'].id}", headers=h, json={"role": "staff"})
    assert r.status_code == 409 and r.json["error"] == "self_lockout"
    r = client.get("/api/v1/users?role=staff", headers=h)
    assert [u["username"] for u in r.json] == ["duty1"]


def test_a_system_administrator_cannot_drop_their_own_flag(client, ctx):
    """As changing one's own role: the last one would lock everyone out of superadmin
    work (in bench/api_fuzz.py the run's administrator got only 403 from DELETE /sites)."""
    root = make_user("root", Role.admin, [], superadmin=True)
    r = client.put(f"/api/v1/users/{root.id}", headers=auth(root), json={"is_superadmin": False})
    assert r.status_code == 409 and r.json["error"] == "self_lockout"
    other = make_user("root2", Role.admin, [], superadmin=True)
    r = client.put(f"/api/v1/users/{other.id}", headers=auth(root), json={"is_superadmin": False})
    assert r.status_code == 200 and r.json["is_superadmin"] is False
