"""Configuration down, rules (issue 15, docs/sitelink.md): alarm rule overrides and linkage
rules made at the centre reach the site box in the same versioned document as the
accounts; the issue's own example: a local admin changes a rule at the box while it is
cut off, the change is kept and shown, a conflict when the centre changed it too, with
both values; resolving keeps one. Rules deleted centrally are deleted at the box unless
changed there.

Two platforms in this process (tests/sitelink_world.py): the centre behind real HTTP,
its rules changed through its own API; the site box's real shipper fetching them."""
from __future__ import annotations

import requests
from sqlalchemy import select, text

from backend.alarms.rules import RULES_VERSION_KEY
from backend.extensions import db, redis
from backend.field import catalog
from backend.models import (
    AlarmRule,
    ConfigItem,
    DeviceProfile,
    LinkageRule,
    Role,
    Scene,
    Schedule,
    Site,
    User,
)
from backend.models.linkage import VERSION_KEY as LINKAGE_VERSION_KEY
from backend.sitelink import config_down
from tests.authz_world import ACME_PROFILE
from tests.factories import auth, make_user
from tests.sitelink_world import link, platforms  # noqa: F401  (fixtures)
from tests.test_sitelink_config import centre_admin, centre_call, shipper_for, site_config, sync


def centre_ids(w, table: str) -> dict[str, int]:
    with w.centre.app_context():
        out = dict(db.session.execute(text(f"SELECT code, id FROM {table}")).all())
        db.session.commit()
    return out


def local_admin(w) -> dict:
    site_config(w)                                   # makes the box's own site-admin
    with w.site.app_context():
        return auth(db.session.scalar(select(User).where(User.username == "site-admin")))


def centre_delete(w, path: str) -> None:
    r = w.centre.test_client().delete(path, headers=centre_admin(w))
    assert r.status_code == 204, r.get_json(silent=True)


def site_call(w, headers, method: str, path: str, json=None, status: int = 200) -> dict:
    r = getattr(w.site.test_client(), method)(path, json=json, headers=headers)
    assert r.status_code == status, r.get_json(silent=True)
    return r.get_json(silent=True)


def box_alarm_rules(w) -> dict[tuple, dict]:
    """The box's overrides by (scope, category, device code, rule, level)."""
    with w.site.app_context():
        rows = db.session.execute(text(
            "SELECT r.scope, r.category, d.code, r.rule, r.level, r.threshold, "
            "r.clear_threshold, r.hold_seconds, r.id FROM alarm_rules r "
            "LEFT JOIN devices d ON d.id = r.device_id")).all()
        db.session.commit()
    return {tuple(r[:5]): {"threshold": r[5], "clear": r[6], "hold": r[7], "id": r[8]}
            for r in rows}


def box_linkage(w) -> dict[str, LinkageRule]:
    with w.site.app_context():
        rules = {r.name: r for r in db.session.scalars(select(LinkageRule))}
        db.session.expunge_all()
        db.session.commit()
    return rules


def version_keys(w) -> tuple:
    with w.site.app_context():
        return redis.get(RULES_VERSION_KEY), redis.get(LINKAGE_VERSION_KEY)


OFFSET_TABLES = ("areas", "distribution_rooms", "gateways", "knx_gateways", "boards",
                 "circuits", "devices", "scenes", "schedules", "linkage_rules", "alarm_rules")


def offset_box(w) -> None:
    """An empty box whose ids will not be the centre's: its first version brings the
    facility (imported with ids from 500 on), so a rule that travelled by id instead of
    by code would name the wrong rows, or none."""
    from tests.conftest import truncate_all
    with w.site.app_context():
        truncate_all()
        for table in OFFSET_TABLES:
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    "500)"))
        db.session.commit()


def box_ids(w) -> dict[str, int]:
    with w.site.app_context():
        out = dict(db.session.execute(text("SELECT code, id FROM devices")).all())
        db.session.commit()
    return out


QF = ("device", None, "QF-AA1-WL1", "over_temperature", "alarm")
LIGHTING = ("category", "lighting", None, "over_temperature", "warning")
SITEWIDE = ("site", None, None, "over_temperature", "alarm")
QF_KEY = "device|QF-AA1-WL1|over_temperature|alarm"
SITE_KEY = "site||over_temperature|alarm"


def test_rules_down_local_change_while_cut_off_and_conflict(link):  # noqa: F811
    w = link
    dev = centre_ids(w, "devices")
    ar = "/api/v1/alarm-rules"
    qf = centre_call(w, "post", ar, {"site_id": w.site_id, "scope": "device",
                                     "device_id": dev["QF-AA1-WL1"], "rule": "over_temperature",
                                     "level": "alarm", "threshold": 85, "clear_threshold": 75},
                     status=201)
    lighting = centre_call(w, "post", ar, {"site_id": w.site_id, "scope": "category",
                                           "category": "lighting", "rule": "over_temperature",
                                           "level": "warning", "threshold": 60,
                                           "clear_threshold": 55}, status=201)
    sitewide = centre_call(w, "post", ar, {"site_id": w.site_id, "scope": "site",
                                           "rule": "over_temperature", "level": "alarm",
                                           "hold_seconds": 30}, status=201)
    lr = "/api/v1/linkage-rules"
    pump = centre_call(w, "post", lr, {
        "site_id": w.site_id, "name": "水浸开泵", "enabled": True,
        "condition": {"device_id": dev["ENV-PDF-LV"], "metric": "humidity", "op": ">",
                      "value": 80, "for_seconds": 60},
        "actions": [{"kind": "command", "device_id": dev["LC-PDF-PUMP"], "action": "on"}]},
        status=201)
    light = centre_call(w, "post", lr, {
        "site_id": w.site_id, "name": "高温开灯", "enabled": True,
        "condition": {"device_id": dev["ENV-PDF-LV"], "metric": "temperature", "op": ">",
                      "value": 40, "window": {"start": "22:00", "end": "06:00"}},
        "actions": [{"kind": "command", "device_id": dev["LC-PDF-LIGHT"], "action": "on"}]},
        status=201)

    offset_box(w)
    shipper = shipper_for(w)
    before = version_keys(w)
    v1 = sync(w, shipper)
    ids = box_ids(w)
    assert ids["ENV-PDF-LV"] != dev["ENV-PDF-LV"]              # the two ends' ids differ
    assert v1["last_error"] is None and v1["local_changes"] == [] and v1["conflicts"] == 0
    rules = box_alarm_rules(w)
    assert set(rules) == {QF, LIGHTING, SITEWIDE}
    assert (rules[QF]["threshold"], rules[QF]["clear"]) == (85, 75)
    assert rules[SITEWIDE]["hold"] == 30
    box = box_linkage(w)
    assert set(box) == {"水浸开泵", "高温开灯"}
    # By codes: the box's own device ids, and the centre's stable uid.
    assert box["水浸开泵"].device_id == ids["ENV-PDF-LV"]
    assert box["水浸开泵"].actions == [{"kind": "command", "device_id": ids["LC-PDF-PUMP"],
                                       "action": "on"}]
    assert box["高温开灯"].window_start.isoformat() == "22:00:00"
    with w.centre.app_context():
        uid = db.session.get(LinkageRule, pump["id"]).uid
        db.session.commit()
    assert box["水浸开泵"].uid == uid == pump["uid"]
    after = version_keys(w)
    assert after[0] != before[0] and after[1] != before[1]   # the pollers reload them

    # The cut: a local admin's emergency changes at the box.
    w.server.stop()
    h = local_admin(w)
    site_call(w, h, "put", f"{ar}/{rules[QF]['id']}", {"threshold": 80})
    site_call(w, h, "put", f"{ar}/{rules[SITEWIDE]['id']}", {"hold_seconds": 10})
    site_call(w, h, "put", f"{lr}/{box['水浸开泵'].id}",
              {"condition": {"device_id": ids["ENV-PDF-LV"], "metric": "humidity",
                             "op": ">", "value": 70, "for_seconds": 60}})
    # ... and meanwhile at the centre: the same rule otherwise, others changed, deleted.
    centre_call(w, "put", f"{ar}/{qf['id']}", {"threshold": 90})
    centre_call(w, "put", f"{ar}/{lighting['id']}", {"threshold": 62, "clear_threshold": 57})
    centre_delete(w, f"{ar}/{sitewide['id']}")
    centre_delete(w, f"{lr}/{light['id']}")
    cut = sync(w, shipper, steps=2)
    assert cut["version"] == v1["version"]

    w.server.start()
    back = sync(w, shipper)
    assert back["version"] > v1["version"] and back["last_error"] is None
    rules = box_alarm_rules(w)
    assert rules[QF]["threshold"] == 80                        # kept, not overwritten
    assert (rules[LIGHTING]["threshold"], rules[LIGHTING]["clear"]) == (62, 57)   # applied
    assert rules[SITEWIDE]["hold"] == 10                       # deleted centrally, kept
    box = box_linkage(w)
    assert set(box) == {"水浸开泵"}                              # deleted centrally: gone
    assert box["水浸开泵"].value == 70
    changes = {(c["kind"], c["key"]): c for c in back["local_changes"]}
    assert set(changes) == {("alarm_rules", QF_KEY), ("alarm_rules", SITE_KEY),
                            ("linkage_rules", uid)}
    qf_change = changes[("alarm_rules", QF_KEY)]
    assert qf_change["conflict"] is True
    assert qf_change["fields"] == {"threshold": {"local": 80, "central": 90}}
    gone = changes[("alarm_rules", SITE_KEY)]
    assert gone["conflict"] is True
    assert gone["fields"]["exists"] == {"local": True, "central": False}
    assert gone["fields"]["hold_seconds"] == {"local": 10, "central": None}
    pump_change = changes[("linkage_rules", uid)]
    assert pump_change["conflict"] is False                    # changed here only
    assert pump_change["label"] == "水浸开泵"                     # its name, to show
    assert pump_change["fields"] == {"value": {"local": 70, "central": 80}}
    assert back["conflicts"] == 2
    seen = centre_call(w, "get", f"/api/v1/sites/{w.site_id}/uplink")
    assert seen["site_config_conflicts"] == 2                  # reported up with the fetch

    # Resolved at the box: the centre's threshold; the local site-wide row kept as the
    # box's own; the local linkage change kept.
    resolve = "/api/v1/uplink/config/resolve"
    out = site_call(w, h, "post", resolve, {"kind": "alarm_rules", "key": QF_KEY,
                                            "keep": "central"})
    assert out["kind"] == "alarm_rules" and out["keep"] == "central"
    site_call(w, h, "post", resolve, {"kind": "alarm_rules", "key": SITE_KEY, "keep": "local"})
    site_call(w, h, "post", resolve, {"kind": "linkage_rules", "key": uid, "keep": "local"})
    rules = box_alarm_rules(w)
    assert rules[QF]["threshold"] == 90 and rules[SITEWIDE]["hold"] == 10
    r = w.site.test_client().post(resolve, json={"kind": "alarm_rules", "key": QF_KEY,
                                                 "keep": "central"}, headers=h)
    assert r.status_code == 404 and r.get_json()["error"] == "config_change_not_found"
    r = w.site.test_client().post(resolve, json={"kind": "alarm_rules", "keep": "local"},
                                  headers=h)
    assert r.status_code == 422
    settled = sync(w, shipper)
    assert settled["conflicts"] == 0
    assert [(c["kind"], c["key"], c["conflict"]) for c in settled["local_changes"]] == \
        [("linkage_rules", uid, False)]
    with w.site.app_context():
        synced = {(c.kind, c.key) for c in db.session.scalars(select(ConfigItem))}
        resolved = db.session.execute(text(
            "SELECT entity_type, after->>'keep' FROM audit_log WHERE action = 'resolve' "
            "ORDER BY id")).all()
        db.session.commit()
    assert ("alarm_rules", SITE_KEY) not in synced             # the box's own row now
    assert [tuple(r) for r in resolved] == [("config_alarm_rule", "central"),
                                            ("config_alarm_rule", "local"),
                                            ("config_linkage_rule", "local")]
    # The centre changes the locally kept linkage rule again: a conflict again.
    centre_call(w, "put", f"{lr}/{pump['id']}", {"cooldown_seconds": 600})
    again = sync(w, shipper)
    assert again["conflicts"] == 1
    assert box_linkage(w)["水浸开泵"].value == 70
    # A rule deleted at the box that the centre still has: shown, made again on "central".
    site_call(w, h, "delete", f"{ar}/{box_alarm_rules(w)[LIGHTING]['id']}", status=204)
    light_key = "category|lighting|over_temperature|warning"
    gone_here = {(c["kind"], c["key"]): c for c in sync(w, shipper)["local_changes"]}
    assert gone_here[("alarm_rules", light_key)]["fields"]["exists"] == {
        "local": False, "central": True}
    assert LIGHTING not in box_alarm_rules(w)                  # not made again by itself
    site_call(w, h, "post", resolve, {"kind": "alarm_rules", "key": light_key,
                                      "keep": "central"})
    assert box_alarm_rules(w)[LIGHTING]["threshold"] == 62


def test_a_rule_naming_what_the_box_lacks_is_refused_whole(link):  # noqa: F811
    w = link
    with w.site.app_context():
        code = db.session.scalar(select(Site.code))
        doc = {"site_code": code, "version": 5, "users": [], "alarm_rules": [
            {"key": "device|NOPE|over_temperature|alarm",
             "values": {"scope": "device", "category": None, "device": "NOPE",
                        "rule": "over_temperature", "level": "alarm", "enabled": None,
                        "threshold": 80, "clear_threshold": None, "hold_seconds": None}}]}
        for bad, why in ((doc, "NOPE"),
                         ({**doc, "alarm_rules": [{"key": "x"}]}, "key and values"),
                         ({**doc, "linkage_rules": [{"key": "u1", "values": {"name": "x"}}]},
                          "malformed")):
            try:
                config_down.apply(bad)
            except config_down.ConfigRejected as exc:
                assert why in str(exc), exc
            else:
                raise AssertionError(f"applied {bad}")
            finally:
                db.session.rollback()
        assert config_down.state().version == 0
        assert db.session.scalar(select(AlarmRule.id)) is None
        db.session.commit()


def box_automation(w) -> tuple[dict, dict]:
    """The box's scenes and schedules by name, as plain values."""
    with w.site.app_context():
        scenes = {s.name: {"id": s.id, "actions": s.actions, "description": s.description,
                           "enabled": s.enabled} for s in db.session.scalars(select(Scene))}
        schedules = {s.name: {"id": s.id, "scene_id": s.scene_id, "actions": s.actions,
                              "times": s.times, "except_dates": s.except_dates,
                              "start_date": s.start_date and s.start_date.isoformat()}
                     for s in db.session.scalars(select(Schedule))}
        db.session.commit()
    return scenes, schedules


def test_scenes_and_schedules_down_with_a_local_change(link):  # noqa: F811
    w = link
    dev = centre_ids(w, "devices")

    def cmd(code, action):
        return {"kind": "command", "device_id": dev[code], "action": action}

    s1 = centre_call(w, "post", "/api/v1/scenes", {
        "site_id": w.site_id, "name": "熄灯", "actions": [cmd("LC-PDF-LIGHT", "off")]},
        status=201)
    s2 = centre_call(w, "post", "/api/v1/scenes", {
        "site_id": w.site_id, "name": "夜间",
        "actions": [{"kind": "scene", "scene_id": s1["id"]}, cmd("LC-PDF-SIREN", "off")]},
        status=201)
    t1 = centre_call(w, "post", "/api/v1/schedules", {
        "site_id": w.site_id, "name": "夜间熄灯", "scene_id": s2["id"], "times": ["22:00"],
        "weekdays": [1, 2, 3, 4, 5]}, status=201)
    t2 = centre_call(w, "post", "/api/v1/schedules", {
        "site_id": w.site_id, "name": "早开灯", "actions": [cmd("LC-PDF-LIGHT", "on")],
        "times": ["07:00"], "start_date": "2026-12-01", "except_dates": ["2026-12-25"]},
        status=201)

    offset_box(w)
    shipper = shipper_for(w)
    v1 = sync(w, shipper)
    assert v1["last_error"] is None and v1["local_changes"] == []
    ids = box_ids(w)
    assert ids["LC-PDF-SIREN"] != dev["LC-PDF-SIREN"]          # the two ends' ids differ
    scenes, schedules = box_automation(w)
    assert scenes["熄灯"]["id"] != s1["id"]
    assert set(scenes) == {"熄灯", "夜间"} and set(schedules) == {"夜间熄灯", "早开灯"}
    # By codes: the box's own ids of the devices and scenes named.
    assert scenes["夜间"]["actions"] == [
        {"kind": "scene", "scene_id": scenes["熄灯"]["id"]},
        {"kind": "command", "device_id": ids["LC-PDF-SIREN"], "action": "off"}]
    assert schedules["夜间熄灯"]["scene_id"] == scenes["夜间"]["id"]
    assert schedules["早开灯"]["actions"] == [
        {"kind": "command", "device_id": ids["LC-PDF-LIGHT"], "action": "on"}]
    assert schedules["早开灯"]["except_dates"] == ["2026-12-25"]
    assert schedules["早开灯"]["start_date"] == "2026-12-01"

    # Cut off: the box's admin moves the night schedule and rewords a scene.
    w.server.stop()
    h = local_admin(w)
    site_call(w, h, "put", f"/api/v1/schedules/{schedules['夜间熄灯']['id']}",
              {"times": ["23:00"]})
    site_call(w, h, "put", f"/api/v1/scenes/{scenes['熄灯']['id']}", {"description": "本地"})
    # The centre: the night schedule runs a new scene at another time, the old scene and
    # the morning schedule are deleted.
    s3 = centre_call(w, "post", "/api/v1/scenes", {
        "site_id": w.site_id, "name": "新场景", "actions": [cmd("LC-PDF-SIREN", "off")]},
        status=201)
    centre_call(w, "put", f"/api/v1/schedules/{t1['id']}",
                {"times": ["21:30"], "scene_id": s3["id"]})
    centre_delete(w, f"/api/v1/scenes/{s2['id']}")
    centre_delete(w, f"/api/v1/schedules/{t2['id']}")

    w.server.start()
    back = sync(w, shipper)
    assert back["version"] > v1["version"] and back["last_error"] is None
    scenes, schedules = box_automation(w)
    assert set(schedules) == {"夜间熄灯"}                       # deleted centrally: gone
    assert schedules["夜间熄灯"]["times"] == ["23:00"]           # kept, not overwritten
    # The old scene stays while the kept schedule still runs it.
    assert set(scenes) == {"熄灯", "夜间", "新场景"}
    assert schedules["夜间熄灯"]["scene_id"] == scenes["夜间"]["id"]
    assert scenes["熄灯"]["description"] == "本地"
    changes = {(c["kind"], c["key"]): c for c in back["local_changes"]}
    assert set(changes) == {("schedules", "夜间熄灯"), ("scenes", "熄灯")}
    night = changes[("schedules", "夜间熄灯")]
    assert night["conflict"] is True
    assert night["fields"] == {"times": {"local": ["23:00"], "central": ["21:30"]},
                               "scene": {"local": "夜间", "central": "新场景"}}
    assert changes[("scenes", "熄灯")]["conflict"] is False
    assert changes[("scenes", "熄灯")]["fields"] == {
        "description": {"local": "本地", "central": ""}}
    assert back["conflicts"] == 1

    out = site_call(w, h, "post", "/api/v1/uplink/config/resolve",
                    {"kind": "schedules", "key": "夜间熄灯", "keep": "central"})
    assert out["keep"] == "central"
    scenes, schedules = box_automation(w)
    assert schedules["夜间熄灯"]["times"] == ["21:30"]
    assert schedules["夜间熄灯"]["scene_id"] == scenes["新场景"]["id"]
    settled = sync(w, shipper)
    assert settled["conflicts"] == 0 and settled["last_error"] is None
    assert [(c["kind"], c["key"]) for c in settled["local_changes"]] == [("scenes", "熄灯")]
    scenes, _ = box_automation(w)
    assert set(scenes) == {"熄灯", "新场景"}                      # nothing runs it: deleted now


def box_names(w, table: str) -> dict[str, str]:
    with w.site.app_context():
        out = dict(db.session.execute(text(f"SELECT code, name FROM {table}")).all())
        db.session.commit()
    return out


def test_facility_down_through_the_transfer_with_a_local_change(link):  # noqa: F811
    w = link
    dev, circuits = centre_ids(w, "devices"), centre_ids(w, "circuits")
    shipper = shipper_for(w)
    v1 = sync(w, shipper)
    assert v1["last_error"] is None and v1["local_changes"] == []   # the same facility

    # Cut off, the box's admin renames a breaker; the centre renames it too, renames a
    # circuit, adds an area and a device on it.
    w.server.stop()
    h = local_admin(w)
    site_call(w, h, "put", f"/api/v1/devices/{w.ids['QF-AA1-WL1']}", {"name": "一监区（站点）"})
    centre_call(w, "put", f"/api/v1/devices/{dev['QF-AA1-WL1']}", {"name": "一监区（中心）"})
    centre_call(w, "put", f"/api/v1/circuits/{circuits['AA1-WL3']}", {"name": "食堂供电（新）"})
    centre_call(w, "post", "/api/v1/areas", {"site_id": w.site_id, "code": "NEW-A",
                                             "name": "新建区", "parent_id": centre_ids(
                                                 w, "areas")["JQ1"]}, status=201)
    centre_call(w, "post", "/api/v1/devices", {
        "site_id": w.site_id, "code": "ENV-NEW", "name": "新环境传感器", "kind": "env_sensor",
        "area_id": centre_ids(w, "areas")["NEW-A"]}, status=201)

    w.server.start()
    back = sync(w, shipper)
    assert back["version"] > v1["version"] and back["last_error"] is None
    devices = box_names(w, "devices")
    assert devices["QF-AA1-WL1"] == "一监区（站点）"                 # kept, not overwritten
    assert devices["ENV-NEW"] == "新环境传感器"
    assert box_names(w, "circuits")["AA1-WL3"] == "食堂供电（新）"
    with w.site.app_context():
        parent = db.session.scalar(text(
            "SELECT p.code FROM areas a JOIN areas p ON p.id = a.parent_id "
            "WHERE a.code = 'NEW-A'"))
        db.session.commit()
    assert parent == "JQ1"
    changes = [c for c in back["local_changes"] if c["kind"] == "facility"]
    assert all(c.pop("since") for c in changes)            # stamped when first reported
    assert changes == [{"kind": "facility", "key": "devices:QF-AA1-WL1", "conflict": True,
                        "central_version": back["version"],
                        "fields": {"name": {"local": "一监区（站点）",
                                            "central": "一监区（中心）"}}}]
    site_call(w, h, "post", "/api/v1/uplink/config/resolve",
              {"kind": "facility", "key": "devices:QF-AA1-WL1", "keep": "central"})
    assert box_names(w, "devices")["QF-AA1-WL1"] == "一监区（中心）"
    settled = sync(w, shipper)
    assert settled["local_changes"] == [] and settled["conflicts"] == 0
    with w.site.app_context():
        imported = db.session.scalar(text(
            "SELECT count(*) FROM audit_log WHERE username = 'system:config' "
            "AND entity_type = 'device'"))
        db.session.commit()
    assert imported >= 2            # each record written by the transfer, audited


def box_profile(w, name: str) -> str | None:
    with w.site.app_context():
        out = db.session.scalar(select(DeviceProfile.text).where(DeviceProfile.name == name)
                                .order_by(DeviceProfile.version.desc()).limit(1))
        db.session.commit()
    return out


def test_uploaded_profiles_down_before_the_devices_that_use_them(link):  # noqa: F811
    w = link

    def upload(app, headers, body):
        r = app.test_client().post("/api/v1/device-profiles", data=body.encode(),
                                   content_type="application/yaml", headers=headers)
        assert r.status_code in (200, 201), r.get_json()

    upload(w.centre, centre_admin(w), ACME_PROFILE)
    gw = centre_ids(w, "gateways")["GW-LV"]
    centre_call(w, "post", "/api/v1/devices", {
        "site_id": w.site_id, "code": "Q-ACME", "name": "进口断路器", "kind": "breaker",
        "gateway_id": gw, "unit_id": 97, "profile": "acme-mcb"}, status=201)
    shipper = shipper_for(w)
    v1 = sync(w, shipper)
    assert v1["last_error"] is None and v1["local_changes"] == []
    assert box_profile(w, "acme-mcb") == ACME_PROFILE
    with w.site.app_context():
        assert db.session.scalar(text("SELECT profile FROM devices WHERE code = 'Q-ACME'")) \
            == "acme-mcb"
        root = auth(make_user("box-root", Role.admin, superadmin=True))
        db.session.commit()

    # Cut off, the box uploads its own fix of the profile; the centre another.
    w.server.stop()
    site_text = ACME_PROFILE.replace("ACME MCB-2", "ACME MCB-2 site")
    centre_text = ACME_PROFILE.replace("ACME MCB-2", "ACME MCB-2 centre")
    upload(w.site, root, site_text)
    upload(w.centre, centre_admin(w), centre_text)
    w.server.start()
    back = sync(w, shipper)
    assert back["version"] > v1["version"] and back["last_error"] is None
    assert box_profile(w, "acme-mcb") == site_text                 # kept
    change = next(c for c in back["local_changes"] if c["kind"] == "profiles")
    assert change["key"] == "acme-mcb" and change["conflict"] is True
    assert set(change["fields"]) == {"sha256"}
    site_call(w, root, "post", "/api/v1/uplink/config/resolve",
              {"kind": "profiles", "key": "acme-mcb", "keep": "central"})
    assert box_profile(w, "acme-mcb") == centre_text
    assert sync(w, shipper)["local_changes"] == []
    catalog.forget()       # one process, two databases: no uploaded profile cached past here


def test_a_new_box_gets_the_whole_facility_from_the_centre(link):  # noqa: F811
    """A box with no site yet needs only its token: the first version brings the site,
    its facility, the profiles its devices use, then the users and rules naming them."""
    w = link
    from tests.conftest import truncate_all
    upload = w.centre.test_client().post("/api/v1/device-profiles",
                                         data=ACME_PROFILE.encode(),
                                         content_type="application/yaml",
                                         headers=centre_admin(w))
    assert upload.status_code in (200, 201), upload.get_json()
    gw = centre_ids(w, "gateways")["GW-LV"]
    centre_call(w, "post", "/api/v1/devices", {
        "site_id": w.site_id, "code": "Q-ACME", "name": "进口断路器", "kind": "breaker",
        "gateway_id": gw, "unit_id": 97, "profile": "acme-mcb"}, status=201)
    centre_call(w, "post", "/api/v1/alarm-rules", {
        "site_id": w.site_id, "scope": "device", "device_id": centre_ids(w, "devices")["Q-ACME"],
        "rule": "over_temperature", "level": "alarm", "threshold": 85}, status=201)
    with w.site.app_context():
        truncate_all()                                   # a new box: nothing at all
    catalog.forget()
    shipper = shipper_for(w)
    with w.site.app_context():
        shipper.step()
        assert config_down.state().last_error is None
        db.session.commit()
    cfg = sync(w, shipper)
    assert cfg["version"] >= 1 and cfg["last_error"] is None and cfg["local_changes"] == []
    assert box_names(w, "devices") == centre_names(w, "devices")
    assert box_names(w, "areas") == centre_names(w, "areas")
    assert box_profile(w, "acme-mcb") == ACME_PROFILE
    assert box_alarm_rules(w)[("device", None, "Q-ACME", "over_temperature", "alarm")][
        "threshold"] == 85
    with w.site.app_context():
        assert db.session.scalar(text(
            "SELECT count(*) FROM users WHERE username = 'central-admin'")) == 1
        db.session.commit()
    catalog.forget()


def centre_names(w, table: str) -> dict[str, str]:
    with w.centre.app_context():
        out = dict(db.session.execute(text(f"SELECT code, name FROM {table}")).all())
        db.session.commit()
    return out


def test_shipped_linkage_defaults_made_at_both_ends_are_one_entry(link):  # noqa: F811
    w = link
    made = centre_call(w, "post", f"/api/v1/sites/{w.site_id}/linkage-rules/defaults",
                       status=201)["created"]
    assert made                                   # the example facility has some
    # Keyed by the area's code (ids differ between the two databases).
    doc = requests.get(f"{w.server.url}/api/v1/uplink/config", timeout=10,
                       headers={"Authorization": f"Bearer {w.token}"}).json()
    areas = set(centre_ids(w, "areas"))
    keys = [e["key"] for e in doc["linkage_rules"]]
    assert keys and all(k.startswith("default:") and k.split(":")[2] in areas for k in keys)
    h = local_admin(w)
    with w.site.app_context():
        here = db.session.scalar(select(Site.id))
    site_call(w, h, "post", f"/api/v1/sites/{here}/linkage-rules/defaults", status=201)
    before = {r.default_key for r in box_linkage(w).values()}
    cfg = sync(w, shipper_for(w))
    assert cfg["last_error"] is None and cfg["local_changes"] == []
    box = box_linkage(w).values()
    assert len(box) == len(made)                  # the same rules, not twice
    assert {r.default_key for r in box} == before # keyed by area code, ids of the box
