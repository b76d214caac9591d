"""Configuration down, identity and deletions (issue 15, docs/sitelink.md): a facility
record deleted at the centre is deleted at the box (a record the box made while cut off
is not; one still referenced by such a record is kept until nothing names it); a record,
scene or schedule renamed at the centre renames the box's row (its id and history kept,
the references of the rules and grants naming it follow, no local change is invented); the
box's local changes and conflicts are reported up and read at the centre, scoped to the
caller's sites.

Two platforms in this process (tests/sitelink_world.py): the centre behind real HTTP, its
records changed through its own API; the site box's real shipper."""
from __future__ import annotations

from datetime import timedelta

import requests
from sqlalchemy import select, text

from backend.clock import utcnow
from backend.extensions import db
from backend.models import Role, Site, User
from backend.telemetry.ingest import ingest
from tests.factories import auth, make_user
from tests.sitelink_world import link, platforms  # noqa: F401  (fixtures)
from tests.test_sitelink_config import centre_call, create_at_centre, \
    shipper_for, site_config, site_user, sync
from tests.test_sitelink_config_rules import centre_delete, centre_ids, local_admin, site_call


def box_rows(w, table: str) -> dict[str, int]:
    with w.site.app_context():
        out = dict(db.session.execute(text(f"SELECT code, id FROM {table}")).all())
        db.session.commit()
    return out


def box_scalar(w, sql: str, **params):
    with w.site.app_context():
        out = db.session.scalar(text(sql), params)
        db.session.commit()
    return out


def test_deletions_and_renames_at_the_centre_reach_the_box(link):  # noqa: F811
    w = link
    dev, circuits = centre_ids(w, "devices"), centre_ids(w, "circuits")
    rule = centre_call(w, "post", "/api/v1/alarm-rules", {
        "site_id": w.site_id, "scope": "device", "device_id": dev["QF-AA1-WL1"],
        "rule": "over_temperature", "level": "alarm", "threshold": 85}, status=201)
    gina = create_at_centre(w, "gina")
    centre_call(w, "put", f"/api/v1/users/{gina}/control-grants",
                {"grants": [{"scope": "circuit", "target_id": circuits["AA1-WL3"]}]})
    with w.site.app_context():                       # history at the box, shipped with v1
        ingest([(w.ids["QF-AA1-WL1"], utcnow() - timedelta(minutes=5), {"voltage_a": 230.0})])
    shipper = shipper_for(w)
    v1 = sync(w, shipper)
    assert v1["last_error"] is None and v1["local_changes"] == []

    # A box synced before origins travelled: matched by key, the next version sets them.
    with w.site.app_context():
        db.session.execute(text("UPDATE config_items SET origin = NULL"))
        db.session.commit()
    centre_call(w, "put", f"/api/v1/devices/{dev['QF-AA1-WL4']}", {"name": "办公区断路器"})
    v2 = sync(w, shipper)
    assert v2["version"] > v1["version"] and v2["last_error"] is None
    assert v2["local_changes"] == []
    assert box_scalar(w, "SELECT count(*) FROM config_items WHERE kind = 'facility' "
                         "AND key <> 'site' AND origin IS NULL") == 0

    # Cut off: the box makes a device on a circuit the centre is about to delete, an area
    # of its own, and renames a breaker the centre deletes.
    w.server.stop()
    h = local_admin(w)
    site_id = box_scalar(w, "SELECT id FROM sites")
    here = box_rows(w, "circuits")
    local_dev = site_call(w, h, "post", "/api/v1/devices", {
        "site_id": site_id, "code": "LOCAL-D", "name": "站点自建设备", "kind": "env_sensor",
        "circuit_id": here["AP-BG-WL1"]}, status=201)
    site_call(w, h, "post", "/api/v1/areas", {"site_id": site_id, "code": "LOCAL-A",
                                              "name": "站点自建区域"}, status=201)
    site_call(w, h, "put", f"/api/v1/devices/{w.ids['QF-AA1-WL2']}", {"name": "二监区（站点）"})
    # The centre: deletes a sensor, a circuit, the circuit the box's device is on and the
    # breaker renamed at the box; renames a breaker (its override changed too) and a
    # circuit (a device, a board and gina's grant name it).
    centre_delete(w, f"/api/v1/devices/{dev['ENV-PDJ-JQ1']}")
    centre_delete(w, f"/api/v1/circuits/{circuits['AP-ST-WL2']}")
    centre_delete(w, f"/api/v1/circuits/{circuits['AP-BG-WL1']}")
    centre_delete(w, f"/api/v1/devices/{dev['QF-AA1-WL2']}")
    centre_call(w, "put", f"/api/v1/devices/{dev['QF-AA1-WL1']}", {"code": "QF-JQ1-MAIN"})
    centre_call(w, "put", f"/api/v1/alarm-rules/{rule['id']}", {"threshold": 90})
    centre_call(w, "put", f"/api/v1/circuits/{circuits['AA1-WL3']}", {"code": "AA1-ST"})

    w.server.start()
    back = sync(w, shipper)
    assert back["version"] > v2["version"] and back["last_error"] is None, back["last_error"]
    devices, circuits_here = box_rows(w, "devices"), box_rows(w, "circuits")
    assert "ENV-PDJ-JQ1" not in devices and "AP-ST-WL2" not in circuits_here
    # Renamed: the same rows, their history kept.
    assert "QF-AA1-WL1" not in devices and devices["QF-JQ1-MAIN"] == w.ids["QF-AA1-WL1"]
    assert circuits_here["AA1-ST"] == here["AA1-WL3"] and "AA1-WL3" not in circuits_here
    assert box_scalar(w, "SELECT count(*) FROM readings WHERE device_id = :d",
                      d=w.ids["QF-AA1-WL1"]) == 1
    assert box_scalar(w, "SELECT c.code FROM devices d JOIN circuits c ON c.id = d.circuit_id "
                         "WHERE d.code = 'QF-AA1-WL3'") == "AA1-ST"
    # The box's own records stay; the circuit its device is on is kept while it is.
    assert {"LOCAL-D"} <= set(devices) and "LOCAL-A" in box_rows(w, "areas")
    assert "AP-BG-WL1" in circuits_here
    # The rule and the grant follow the rename; the centre's new threshold is written.
    assert box_scalar(w, "SELECT r.threshold FROM alarm_rules r JOIN devices d "
                         "ON d.id = r.device_id WHERE d.code = 'QF-JQ1-MAIN'") == 90
    assert site_user(w, "gina")["grants"] == [("circuit", here["AA1-WL3"])]
    # The only local change: the breaker changed here and deleted at the centre.
    changes = back["local_changes"]
    assert [(c["kind"], c["key"], c["conflict"]) for c in changes] == [
        ("facility", "devices:QF-AA1-WL2", True)], changes
    assert changes[0]["fields"]["exists"] == {"local": True, "central": False}
    assert "QF-AA1-WL2" in devices
    with w.site.app_context():
        deleted = set(db.session.scalars(text(
            "SELECT before->>'code' FROM audit_log WHERE action = 'delete' "
            "AND username = 'system:config'")))
        applied = db.session.scalars(text(
            "SELECT after FROM audit_log WHERE action = 'apply' AND entity_type = 'config' "
            "ORDER BY id DESC LIMIT 1")).one()
        db.session.commit()
    assert deleted == {"ENV-PDJ-JQ1", "AP-ST-WL2"}
    assert "devices:QF-AA1-WL1 -> devices:QF-JQ1-MAIN" in applied["facility"]["renamed"]
    assert any(k.startswith("circuits:AP-BG-WL1") for k in applied["facility"]["in_use"])

    # Once nothing here names it, the circuit goes at the next poll.
    site_call(w, h, "delete", f"/api/v1/devices/{local_dev['id']}", status=204)
    sync(w, shipper, steps=2)
    assert "AP-BG-WL1" not in box_rows(w, "circuits")
    # Resolving the kept breaker with the centre's value deletes it.
    site_call(w, h, "post", "/api/v1/uplink/config/resolve",
              {"kind": "facility", "key": "devices:QF-AA1-WL2", "keep": "central"})
    assert "QF-AA1-WL2" not in box_rows(w, "devices")
    assert sync(w, shipper)["local_changes"] == []


def test_a_scene_renamed_at_the_centre_keeps_its_row_at_the_box(link):  # noqa: F811
    w = link
    dev = centre_ids(w, "devices")
    scene = centre_call(w, "post", "/api/v1/scenes", {
        "site_id": w.site_id, "name": "熄灯", "actions": [
            {"kind": "command", "device_id": dev["LC-PDF-LIGHT"], "action": "off"}]}, status=201)
    plan = centre_call(w, "post", "/api/v1/schedules", {
        "site_id": w.site_id, "name": "夜间熄灯", "scene_id": scene["id"], "times": ["22:00"]},
        status=201)
    shipper = shipper_for(w)
    assert sync(w, shipper)["local_changes"] == []
    ids = {"scene": box_scalar(w, "SELECT id FROM scenes WHERE name = '熄灯'"),
           "plan": box_scalar(w, "SELECT id FROM schedules WHERE name = '夜间熄灯'")}
    centre_call(w, "put", f"/api/v1/scenes/{scene['id']}", {"name": "全部熄灯"})
    centre_call(w, "put", f"/api/v1/schedules/{plan['id']}", {"name": "晚间熄灯",
                                                             "times": ["22:30"]})
    cfg = sync(w, shipper)
    assert cfg["last_error"] is None and cfg["local_changes"] == [], cfg["local_changes"]
    assert box_scalar(w, "SELECT id FROM scenes WHERE name = '全部熄灯'") == ids["scene"]
    assert box_scalar(w, "SELECT count(*) FROM scenes") == 1
    assert box_scalar(w, "SELECT id FROM schedules WHERE name = '晚间熄灯' "
                         "AND scene_id = :s", s=ids["scene"]) == ids["plan"]

    # Renamed at the centre while changed here: the name follows the centre (what names
    # it there names it here), the values changed here are kept and shown.
    w.server.stop()
    h = local_admin(w)
    site_call(w, h, "put", f"/api/v1/scenes/{ids['scene']}", {"description": "站点改"})
    centre_call(w, "put", f"/api/v1/scenes/{scene['id']}", {"name": "熄灯（新）"})
    centre_call(w, "put", f"/api/v1/schedules/{plan['id']}", {"times": ["23:00"]})
    w.server.start()
    cfg = sync(w, shipper)
    assert cfg["last_error"] is None, cfg["last_error"]
    assert box_scalar(w, "SELECT id FROM scenes WHERE name = '熄灯（新）'") == ids["scene"]
    assert box_scalar(w, "SELECT times::text FROM schedules WHERE id = :s",
                      s=ids["plan"]) == '["23:00"]'
    assert [(c["kind"], c["key"], c["conflict"]) for c in cfg["local_changes"]] == [
        ("scenes", "熄灯（新）", False)]
    assert cfg["local_changes"][0]["fields"] == {"description": {"local": "站点改",
                                                                 "central": ""}}
    site_call(w, h, "post", "/api/v1/uplink/config/resolve",
              {"kind": "scenes", "key": "熄灯（新）", "keep": "central"})
    assert box_scalar(w, "SELECT description FROM scenes WHERE id = :s", s=ids["scene"]) == ""
    assert sync(w, shipper)["local_changes"] == []


def test_the_box_reports_its_conflicts_to_the_centre(link):  # noqa: F811
    w = link
    dev = centre_ids(w, "devices")
    shipper = shipper_for(w)
    sync(w, shipper)
    w.server.stop()
    h = local_admin(w)
    site_call(w, h, "put", f"/api/v1/devices/{w.ids['QF-AA1-WL1']}", {"name": "一监区（站点）"})
    centre_call(w, "put", f"/api/v1/devices/{dev['QF-AA1-WL1']}", {"name": "一监区（中心）"})
    w.server.start()
    cfg = sync(w, shipper)
    assert cfg["conflicts"] == 1

    listed = centre_call(w, "get", "/api/v1/uplink/config/changes")
    assert [(c["site_id"], c["kind"], c["key"], c["conflict"]) for c in listed] == [
        (w.site_id, "facility", "devices:QF-AA1-WL1", True)]
    assert listed[0]["fields"]["name"] == {"local": "一监区（站点）", "central": "一监区（中心）"}
    assert listed[0]["since"] and listed[0]["reported_at"]
    view = centre_call(w, "get", f"/api/v1/sites/{w.site_id}/uplink")
    assert view["site_config_conflicts"] == 1 and len(view["site_config_changes"]) == 1
    sites = centre_call(w, "get", "/api/v1/sites")
    assert next(s for s in sites if s["id"] == w.site_id)["link"]["site_config_conflicts"] == 1
    since = listed[0]["since"]
    assert centre_call(w, "get", "/api/v1/uplink/config/changes")[0]["since"] == since
    sync(w, shipper)            # the same list: since stays
    assert centre_call(w, "get", "/api/v1/uplink/config/changes")[0]["since"] == since

    # Scoped to the caller's sites: an admin of another site sees none, and is told so.
    with w.centre.app_context():
        other = Site(code="OTHER", name="另一站点", timezone="Asia/Shanghai")
        db.session.add(other)
        db.session.flush()
        stranger = auth(make_user("stranger", Role.admin, [other]))
        db.session.commit()
    c = w.centre.test_client()
    assert c.get("/api/v1/uplink/config/changes", headers=stranger).get_json() == []
    r = c.get(f"/api/v1/uplink/config/changes?site_id={w.site_id}", headers=stranger)
    assert r.status_code == 404
    # A malformed report is a 422 with a code; without the site token a 401.
    url, head = f"{w.server.url}/api/v1/uplink/config/changes", {
        "Authorization": f"Bearer {w.token}"}
    bad = requests.post(url, json={"changes": [{"kind": "nonsense", "key": "x",
                                                "conflict": True}]}, headers=head, timeout=10)
    assert bad.status_code == 422 and bad.json()["error"] == "validation_error"
    assert requests.post(url, json={"changes": []}, timeout=10).status_code == 401
    assert centre_call(w, "get", "/api/v1/uplink/config/changes")[0]["since"] == since

    # Resolved at the box: the centre's list empties at the next report.
    site_call(w, h, "post", "/api/v1/uplink/config/resolve",
              {"kind": "facility", "key": "devices:QF-AA1-WL1", "keep": "local"})
    sync(w, shipper)
    listed = centre_call(w, "get", "/api/v1/uplink/config/changes?conflicts=true")
    assert listed == []
    everything = centre_call(w, "get", "/api/v1/uplink/config/changes")
    assert [c["conflict"] for c in everything] == [False]       # kept here: a local change
    assert centre_call(w, "get", f"/api/v1/sites/{w.site_id}/uplink")[
        "site_config_conflicts"] == 0
    with w.centre.app_context():
        assert db.session.scalar(select(User.id).where(User.username == "stranger"))
        db.session.commit()
    site_config(w)
