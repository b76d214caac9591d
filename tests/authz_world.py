"""The world of the authorization walk (tests/test_authorization.py): two sites, a user of
every role, one record of every kind, a sample body of every route that takes one."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from backend.accounts.security import SUPERADMIN
from backend.models import (
    Alarm,
    AlarmRecipient,
    AlarmRule,
    Area,
    Board,
    Circuit,
    Command,
    ControlGrant,
    Device,
    DeviceStatus,
    DistributionRoom,
    Gateway,
    InspectionPhoto,
    InspectionPlan,
    InspectionRecord,
    KnxGateway,
    MaintenanceWindow,
    RepairOrder,
    RepairPhoto,
    Role,
    Scene,
    SceneRun,
    Schedule,
)
from tests.factories import PASSWORD, make_site, make_user

RANK = {"staff": 1, "manager": 2, "admin": 3, SUPERADMIN: 4}
ROLES = ("staff_a", "manager_a", "admin_a", "admin_b", "superadmin")
CALLER_RANK = {"staff_a": 1, "manager_a": 2, "admin_a": 3, "admin_b": 3, "superadmin": 4}


@dataclass
class World:
    site: int
    empty_site: int
    users: dict
    main: dict    # resource -> id of an object of site A (may have dependents)
    leaf: dict    # resource -> id of an object of site A nobody depends on


def build_world() -> World:
    from backend.extensions import db

    a, b, empty = make_site("A", "甲所"), make_site("B", "乙所"), make_site("E", "空所")
    users = {
        "staff_a": make_user("staff_a", Role.staff, [a, empty]),
        "manager_a": make_user("manager_a", Role.manager, [a, empty]),
        "admin_a": make_user("admin_a", Role.admin, [a, empty]),
        "admin_b": make_user("admin_b", Role.admin, [b]),
        "superadmin": make_user("root", Role.admin, [], superadmin=True),
    }
    target = make_user("target_a", Role.staff, [a])
    leaf_user = make_user("leaf_a", Role.staff, [a])

    def add(obj):
        db.session.add(obj)
        db.session.flush()
        return obj

    area = add(Area(site_id=a.id, code="AR1", name="一监区"))
    area_leaf = add(Area(site_id=a.id, code="AR2", name="二监区", parent_id=area.id))
    room = add(DistributionRoom(site_id=a.id, code="R1", name="低压配电房", area_id=area.id))
    room_leaf = add(DistributionRoom(site_id=a.id, code="R2", name="二级配电间"))
    board = add(Board(site_id=a.id, code="AA1", name="总柜", level=1, room_id=room.id))
    board_leaf = add(Board(site_id=a.id, code="AL9", name="空箱", level=2))
    circuit = add(Circuit(site_id=a.id, code="C1", name="照明", board_id=board.id,
                          category="lighting"))
    circuit_leaf = add(Circuit(site_id=a.id, code="C2", name="备用", board_id=board.id))
    gw = add(Gateway(site_id=a.id, code="GW1", name="网关1", host="127.0.0.1", port=15020))
    gw_leaf = add(Gateway(site_id=a.id, code="GW2", name="网关2", host="127.0.0.1", port=15021))
    knx = add(KnxGateway(site_id=a.id, code="KNX1", name="KNX网关1", host="127.0.0.1"))
    knx_leaf = add(KnxGateway(site_id=a.id, code="KNX2", name="KNX网关2", host="127.0.0.1"))
    dev = add(Device(site_id=a.id, code="QF1", name="断路器1", kind="breaker", circuit_id=circuit.id,
                     gateway_id=gw.id, unit_id=1, profile="gw-breaker"))
    dev_leaf = add(Device(site_id=a.id, code="QF2", name="断路器2", kind="breaker",
                          gateway_id=gw.id, unit_id=2))
    db.session.commit()
    world = World(
        site=a.id, empty_site=empty.id, users=users,
        main={"areas": area.id, "rooms": room.id, "boards": board.id, "circuits": circuit.id,
              "gateways": gw.id, "devices": dev.id, "users": target.id, "sites": a.id,
              "knx-gateways": knx.id},
        leaf={"areas": area_leaf.id, "rooms": room_leaf.id, "boards": board_leaf.id,
              "circuits": circuit_leaf.id, "gateways": gw_leaf.id, "devices": dev_leaf.id,
              "users": leaf_user.id, "sites": empty.id, "knx-gateways": knx_leaf.id},
    )
    _alarm_admin_records(world, area_leaf.id)
    _linkage_records(world, dev.id)
    _control_records(world, users["staff_a"], target, circuit.id, gw.id)
    _automation_records(world)
    _uplink_records(world)
    _energy_records(world, area.id)
    _inspection_records(world)
    return world


def _energy_records(w: World, area_id: int) -> None:
    """Site-A tariff versions, carbon factors and KPI denominators (main and leaf)."""
    from datetime import date

    from backend.extensions import db
    from backend.models.energy import CarbonFactor, KpiDenominator, Tariff

    day = [{"period": "flat", "start": "00:00", "end": "24:00"}]
    rows = {
        "energy-tariffs": (Tariff(site_id=w.site, valid_from=date(2026, 1, 1), periods=day,
                                  prices={"flat": 0.6}, name="", currency="CNY"),
                           Tariff(site_id=w.site, valid_from=date(2026, 7, 1), periods=day,
                                  prices={"flat": 0.7}, name="", currency="CNY")),
        "carbon-factors": (CarbonFactor(site_id=w.site, year=2025, kg_per_kwh=0.57),
                           CarbonFactor(site_id=w.site, year=2026, kg_per_kwh=0.55)),
        "energy-denominators": (
            KpiDenominator(site_id=w.site, month=date(2026, 1, 1), kind="persons", value=300),
            KpiDenominator(site_id=w.site, area_id=area_id, month=date(2026, 1, 1),
                           kind="floor_m2", value=1200)),
    }
    for key, (main, leaf) in rows.items():
        db.session.add_all([main, leaf])
        db.session.flush()
        w.main[key], w.leaf[key] = main.id, leaf.id
    from backend.accounts.security import Actor
    from backend.energy import reports

    w.main["energy-reports"] = reports.generate(Actor.system(), {
        "site_id": w.site, "kind": "alarms", "start": date(2026, 1, 1),
        "end": date(2026, 1, 31), "format": "csv"}).id
    db.session.commit()


def _inspection_records(w: World) -> None:
    """A monthly plan with a record (and its photo) and a leaf plan nobody recorded."""
    from datetime import date

    from backend.clock import utcnow
    from backend.extensions import db

    checklist = [{"key": "k1", "label": "柜门关闭"}]
    plan = InspectionPlan(site_id=w.site, name="高压室月检", checklist=checklist,
                          start_date=date(2026, 1, 31), next_due=date(2026, 2, 28))
    leaf = InspectionPlan(site_id=w.site, name="发电机维保", kind="generator_maintenance",
                          unit="year", start_date=date(2026, 3, 1), next_due=date(2026, 3, 1))
    db.session.add_all([plan, leaf])
    db.session.flush()
    rec = InspectionRecord(plan_id=plan.id, site_id=w.site, performed_at=utcnow(),
                           due_on=date(2026, 1, 31), findings="柜门锁损坏",
                           results=[{**checklist[0], "ok": False, "note": ""}], values=[])
    db.session.add(rec)
    db.session.flush()
    photo = InspectionPhoto(record_id=rec.id, filename="a.png", content_type="image/png",
                            size=len(PNG), data=PNG)
    db.session.add(photo)
    db.session.commit()
    w.main.update({"inspection-plans": plan.id, "inspection-records": rec.id,
                   "inspection-photos": photo.id})
    w.leaf.update({"inspection-plans": leaf.id})


def _uplink_records(w: World) -> None:
    """A site credential on the leaf (empty) site, for DELETE .../credentials/<id>; target_a
    synced from a centre and changed here (a local change to resolve)."""
    from backend.accounts.security import Actor
    from backend.extensions import db
    from backend.models import ConfigUser
    from backend.sitelink import credentials

    w.leaf["site-credentials"] = credentials.create(Actor.system(), w.empty_site)["id"]
    db.session.add(ConfigUser(user_id=w.main["users"], applied={"role": "manager"},
                              central={"role": "manager"}, central_version=1))
    db.session.commit()


def _control_records(w: World, staff, requester, circuit_id: int, gateway_id: int) -> None:
    """QF1 online and staff_a granted its circuit (so every role may switch it); a command
    of another user on QF3 (same circuit) awaiting approval."""
    from backend.clock import utcnow
    from backend.extensions import db

    qf3 = Device(site_id=w.site, code="QF3", name="断路器3", kind="breaker",
                 circuit_id=circuit_id, gateway_id=gateway_id, unit_id=3, profile="gw-breaker")
    db.session.add(qf3)
    db.session.flush()
    db.session.add_all([DeviceStatus(device_id=w.main["devices"], online=True),
                        ControlGrant(user_id=staff.id, site_id=w.site, scope="circuit",
                                     target_id=circuit_id)])
    cmd = Command(site_id=w.site, device_id=qf3.id, circuit_id=circuit_id, action="open",
                  target={"switch_state": "open"}, reason="检修", state="awaiting_approval",
                  idempotency_key="world", requested_by=requester.id,
                  requested_by_name=requester.username, requested_at=utcnow(),
                  approval_expires_at=utcnow() + timedelta(minutes=5))
    db.session.add(cmd)
    db.session.commit()
    w.main["commands"] = cmd.id
    w.main["device-profiles"] = "gw-breaker"


def _automation_records(w: World) -> None:
    """A scene switching QF1 (which staff_a may control) with a run and a schedule; a leaf
    scene and schedule nobody depends on."""
    from backend.extensions import db

    act = [{"kind": "command", "device_id": w.main["devices"], "action": "open"}]
    scene = Scene(site_id=w.site, name="离开", actions=act)
    leaf = Scene(site_id=w.site, name="空场景", actions=act)
    db.session.add_all([scene, leaf])
    db.session.flush()
    run = SceneRun(scene_id=scene.id, site_id=w.site, run_by_name="root", reason="测试",
                   idempotency_key="world", results=[])
    sched = Schedule(site_id=w.site, name="熄灯", scene_id=scene.id, times=["21:30"])
    sched_leaf = Schedule(site_id=w.site, name="开灯", actions=act, times=["06:00"])
    db.session.add_all([run, sched, sched_leaf])
    db.session.commit()
    w.main.update({"scenes": scene.id, "scene-runs": run.id, "schedules": sched.id})
    w.leaf.update({"scenes": leaf.id, "schedules": sched_leaf.id})
def _linkage_records(w: World, device_id: int) -> None:
    """Two site-A linkage rules on QF1 (main and leaf for the walk)."""
    from backend.extensions import db
    from backend.models import LinkageRule

    rows = [LinkageRule(site_id=w.site, name=name, device_id=device_id, metric="voltage_a",
                        op=">", value=250, actions=[], clear_actions=[])
            for name in ("过压联动", "备用联动")]
    db.session.add_all(rows)
    db.session.commit()
    w.main["linkage-rules"], w.leaf["linkage-rules"] = rows[0].id, rows[1].id


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _alarm_admin_records(w: World, area_id: int) -> None:
    """Site-A rule overrides, maintenance windows, recipients and repair orders (with a
    photo each): main and leaf ids for the walk, and records the leak check must not show."""
    from datetime import datetime, timedelta, timezone

    from backend.extensions import db

    now = datetime.now(timezone.utc)
    rows = {
        "alarm-rules": (AlarmRule(site_id=w.site, scope="site", rule="over_voltage",
                                  level="warning", threshold=255),
                        AlarmRule(site_id=w.site, scope="device", device_id=w.main["devices"],
                                  rule="overload", level="alarm", threshold=1.1)),
        "maintenance-windows": (
            MaintenanceWindow(site_id=w.site, board_id=w.main["boards"], starts_at=now,
                              ends_at=now + timedelta(hours=2), reason="检修"),
            MaintenanceWindow(site_id=w.site, circuit_id=w.leaf["circuits"], starts_at=now,
                              ends_at=now + timedelta(hours=1))),
        "alarm-recipients": (AlarmRecipient(site_id=w.site, user_id=w.main["users"], tier=1),
                             AlarmRecipient(site_id=w.site, area_id=area_id,
                                            user_id=w.leaf["users"], tier=2)),
    }
    alarm = Alarm(site_id=w.site, device_id=w.main["devices"], rule="overload", level="alarm",
                  state="closed", message="QF1 过载", raised_at=now)
    db.session.add(alarm)
    db.session.flush()
    rows["repair-orders"] = (RepairOrder(site_id=w.site, alarm_id=alarm.id, title="QF1 过载"),
                             RepairOrder(site_id=w.site, title="巡检"))
    for key, (main, leaf) in rows.items():
        db.session.add_all([main, leaf])
        db.session.flush()
        w.main[key], w.leaf[key] = main.id, leaf.id
    photos = [RepairPhoto(order_id=w.main["repair-orders"], filename="a.png",
                          content_type="image/png", size=len(PNG), data=PNG),
              RepairPhoto(order_id=w.leaf["repair-orders"], filename="b.png",
                          content_type="image/png", size=len(PNG), data=PNG)]
    db.session.add_all(photos)
    db.session.flush()
    w.main["repair-photos"], w.leaf["repair-photos"] = photos[0].id, photos[1].id
    w.main["repair-alarm"] = alarm.id
    leaf_alarm = Alarm(site_id=w.site, device_id=w.leaf["devices"], rule="trip",
                       level="alarm", state="cleared", message="QF2 跳闸", raised_at=now)
    db.session.add(leaf_alarm)
    db.session.flush()
    w.main["alarms"], w.leaf["alarms"] = alarm.id, leaf_alarm.id
    db.session.commit()


# A vendor's breaker with a byte-packed status register and holding-register controls.
ACME_PROFILE = """\
name: acme-mcb
model: ACME MCB-2 (status and lock in one register)
kinds: [breaker]
metrics:
  voltage_a: {table: input, address: 16, type: u16, scale: 0.1, unit: V}
  switch_state: {table: input, address: 0, type: u16, mask: 0x00FF,
                 enum: {0xF0: closed, 0x0F: open}}
mode: {table: input, address: 0, type: u16, mask: 0xFF00, shift: 8,
       values: {0: auto, 1: manual, 2: maintenance}}
controls:
  close: {table: holding, address: 64, value: 0xFF00}
  open: {table: holding, address: 64, value: 0x0000}
"""
# Sample bodies, keyed "METHOD rule"; each is a function of the world.
BODIES = {
    "POST /api/v1/auth/login": lambda w: {"username": "nobody", "password": "x-password"},
    "POST /api/v1/auth/wechat/login": lambda w: {"code": "CODE_unknown"},
    "POST /api/v1/auth/wechat/bind": lambda w: {"ticket": "unknown", "username": "nobody",
                                                "password": "x-password"},
    "PUT /api/v1/auth/me/password": lambda w: {"current_password": PASSWORD,
                                              "new_password": "another-password-2"},
    "POST /api/v1/users": lambda w: {"username": "new_user", "role": "staff",
                                     "password": "new-user-password", "site_ids": [w.site]},
    "PUT /api/v1/users/<int:user_id>": lambda w: {"display_name": "改名"},
    "POST /api/v1/sites": lambda w: {"code": "NEW", "name": "新所"},
    "PUT /api/v1/sites/<int:site_id>": lambda w: {"address": "某路1号"},
    "POST /api/v1/areas": lambda w: {"site_id": w.site, "code": "AR9", "name": "食堂"},
    "PUT /api/v1/areas/<int:obj_id>": lambda w: {"name": "一监区（新）"},
    "POST /api/v1/rooms": lambda w: {"site_id": w.site, "code": "R9", "name": "发电机房",
                                     "kind": "generator"},
    "PUT /api/v1/rooms/<int:obj_id>": lambda w: {"name": "低压配电室"},
    "POST /api/v1/boards": lambda w: {"site_id": w.site, "code": "AL1", "name": "照明箱",
                                      "level": 2, "feeder_circuit_id": w.main["circuits"]},
    "PUT /api/v1/boards/<int:obj_id>": lambda w: {"name": "总配电柜"},
    "POST /api/v1/circuits": lambda w: {"site_id": w.site, "code": "C9", "name": "风机",
                                        "board_id": w.main["boards"], "category": "fan"},
    "PUT /api/v1/circuits/<int:obj_id>": lambda w: {"protected": True},
    "POST /api/v1/gateways": lambda w: {"site_id": w.site, "code": "GW9", "name": "网关9",
                                        "host": "127.0.0.1", "port": 15029},
    "PUT /api/v1/gateways/<int:obj_id>": lambda w: {"timeout_ms": 1500},
    "POST /api/v1/knx-gateways": lambda w: {"site_id": w.site, "code": "KNX9",
                                            "name": "KNX网关9", "host": "127.0.0.1"},
    "PUT /api/v1/knx-gateways/<int:obj_id>": lambda w: {"port": 3672},
    "POST /api/v1/devices": lambda w: {"site_id": w.site, "code": "QF9", "name": "断路器9",
                                       "kind": "breaker", "gateway_id": w.main["gateways"],
                                       "unit_id": 9, "poles": "3P+N", "rated_current": 63},
    "PUT /api/v1/devices/<int:obj_id>": lambda w: {"rated_current": 40},
    "POST /api/v1/facility/import": lambda w: (
        "version: 1\nsite: {code: A, name: 甲所}\nareas:\n  - {code: AR7, name: 新区, parent: AR1}\n",
        "application/yaml"),
    "POST /api/v1/sites/<int:site_id>/devices.csv": lambda w: (
        "code,name,kind,gateway,unit_id\nQF7,断路器7,breaker,GW1,7\n", "text/csv"),
    "POST /api/v1/alarm-rules": lambda w: {"site_id": w.site, "scope": "category",
                                           "category": "lighting", "rule": "over_temperature",
                                           "level": "warning", "threshold": 60,
                                           "clear_threshold": 55},
    "PUT /api/v1/alarm-rules/<int:obj_id>": lambda w: {"threshold": 252},
    "POST /api/v1/maintenance-windows": lambda w: {
        "site_id": w.site, "circuit_id": w.main["circuits"],
        "starts_at": "2030-01-01T08:00:00Z", "ends_at": "2030-01-01T20:00:00+08:00",
        "reason": "更换断路器"},
    "PUT /api/v1/maintenance-windows/<int:obj_id>": lambda w: {"reason": "延长检修"},
    "POST /api/v1/alarm-recipients": lambda w: {"site_id": w.site,
                                                "user_id": w.users["manager_a"].id,
                                                "tier": 2, "min_level": "alarm"},
    "PUT /api/v1/alarm-recipients/<int:obj_id>": lambda w: {"tier": 3},
    "PUT /api/v1/me/notify-profile": lambda w: {"channels": ["webpush", "sms"],
                                                "oa_openid": "o-test-openid"},
    "PUT /api/v1/users/<int:user_id>/notify-profile": lambda w: {"channels": ["sms"]},
    "PUT /api/v1/me/preferences": lambda w: {"cockpit_cards": [{"key": "oneline"}]},
    "POST /api/v1/me/subscribe-grants": lambda w: {"template_id": "tmpl-alarm", "count": 2},
    "POST /api/v1/me/webpush-subscriptions": lambda w: {
        "endpoint": "https://push.example.test/send/abc", "expirationTime": None,
        "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u"
                           "-Ts1XbjhaziA-tPmgMIJJgo", "auth": "tBHItJI5svbpez7KI4CCXg"}},
    "POST /api/v1/repair-orders": lambda w: {"alarm_id": w.main["repair-alarm"],
                                             "note": "到场检查"},
    "PATCH /api/v1/repair-orders/<int:obj_id>": lambda w: {"status": "in_progress"},
    "POST /api/v1/alarms/acknowledge": lambda w: {"ids": [w.main["alarms"]]},
    "POST /api/v1/alarms/<int:alarm_id>/acknowledge": lambda w: {"comment": "收到"},
    "POST /api/v1/alarms/<int:alarm_id>/comments": lambda w: {"text": "已派人"},
    "POST /api/v1/alarms/<int:alarm_id>/assign": lambda w: {"user_id": None},
    "POST /api/v1/alarms/<int:alarm_id>/close": lambda w: {"comment": "已处理"},
    "POST /api/v1/alarms/<int:alarm_id>/fault-confirmation": lambda w: {
        "verdict": "confirmed", "comment": "视频确认漏水"},
    "POST /api/v1/linkage-rules": lambda w: {
        "site_id": w.site, "name": "欠压联动",
        "condition": {"device_id": w.main["devices"], "metric": "voltage_a", "op": "<",
                      "value": 190},
        "actions": [{"kind": "alarm", "message": "欠压"}]},
    "PUT /api/v1/linkage-rules/<int:obj_id>": lambda w: {"enabled": True},
    "POST /api/v1/devices/<int:device_id>/commands": lambda w: {"action": "open",
                                                               "reason": "检修前断电"},
    "PUT /api/v1/devices/<int:device_id>/settings": lambda w: {
        "values": {"residual_protection": True}, "reason": "开启漏电保护"},
    "POST /api/v1/commands/batches": lambda w: {"action": "open", "reason": "检修",
                                                "device_ids": [w.main["devices"]]},
    "POST /api/v1/commands/<int:command_id>/approve": lambda w: {"comment": "同意"},
    "POST /api/v1/commands/<int:command_id>/reject": lambda w: {"comment": "不同意"},
    "POST /api/v1/commands/<int:command_id>/cancel": lambda w: {"comment": "取消"},
    "PUT /api/v1/users/<int:user_id>/control-grants": lambda w: {
        "grants": [{"scope": "circuit", "target_id": w.main["circuits"]}]},
    "POST /api/v1/device-profiles": lambda w: (ACME_PROFILE, "application/yaml"),
    "POST /api/v1/scenes": lambda w: {"site_id": w.site, "name": "新场景", "actions": [
        {"kind": "command", "device_id": w.main["devices"], "action": "close"}]},
    "PUT /api/v1/scenes/<int:obj_id>": lambda w: {"description": "夜间"},
    "POST /api/v1/scenes/<int:scene_id>/run": lambda w: {"reason": "离开监区"},
    "POST /api/v1/schedules": lambda w: {"site_id": w.site, "name": "新定时",
                                         "scene_id": w.main["scenes"], "times": ["20:00"]},
    "PUT /api/v1/schedules/<int:obj_id>": lambda w: {"run_late": True},
    "POST /api/v1/meter-replacements": lambda w: {
        "device_id": w.main["devices"], "at": "2026-01-05T08:00:00Z",
        "readings": {"energy_import": {"old_final": 120.5, "new_initial": 0.0}}},
    "POST /api/v1/energy-tariffs": lambda w: {
        "site_id": w.site, "valid_from": "2027-01-01", "prices": {"flat": 0.6, "peak": 1.0},
        "periods": [{"period": "flat", "start": "00:00", "end": "10:30"},
                    {"period": "peak", "start": "10:30", "end": "24:00"}]},
    "PUT /api/v1/energy-tariffs/<int:obj_id>": lambda w: {"name": "工商业"},
    "POST /api/v1/carbon-factors": lambda w: {"site_id": w.site, "year": 2027,
                                              "kg_per_kwh": 0.53},
    "PUT /api/v1/carbon-factors/<int:obj_id>": lambda w: {"source": "生态环境部"},
    "POST /api/v1/energy-denominators": lambda w: {
        "site_id": w.site, "month": "2026-02-01", "kind": "persons", "value": 310},
    "PUT /api/v1/energy-denominators/<int:obj_id>": lambda w: {"value": 320},
    "POST /api/v1/energy-reports": lambda w: {"site_id": w.site, "kind": "daily",
                                              "day": "2026-01-05", "format": "csv"},
    "POST /api/v1/repair-orders/<int:obj_id>/photos": lambda w: (
        {"file": (io.BytesIO(PNG), "fix.png")}, "multipart/form-data"),
    "POST /api/v1/inspection-plans": lambda w: {
        "site_id": w.site, "name": "低压室周检", "unit": "week", "start_date": "2026-12-07",
        "checklist": [{"key": "k1", "label": "无异味"}]},
    "PUT /api/v1/inspection-plans/<int:obj_id>": lambda w: {"description": "每月最后一天"},
    "POST /api/v1/inspection-records": lambda w: {
        "plan_id": w.main["inspection-plans"], "results": [{"key": "k1", "ok": True}]},
    "POST /api/v1/inspection-records/<int:obj_id>/repair-order": lambda w: {"note": "换锁"},
    "POST /api/v1/uplink/config/resolve": lambda w: {"username": "target_a", "keep": "local"},
    "POST /api/v1/uplink/batches": lambda w: {
        "site_code": "A", "first_seq": 1, "last_seq": 1, "schema": 1,
        "items": [{"seq": 1, "kind": "audit", "payload": {"entries": []}}]},
    "POST /api/v1/uplink/commands/results": lambda w: {"results": [{"id": 1, "error": "x"}]},
    "POST /api/v1/uplink/config/changes": lambda w: {"changes": []},
    "POST /api/v1/inspection-records/<int:obj_id>/photos": lambda w: (
        {"file": (io.BytesIO(PNG), "room.png")}, "multipart/form-data"),
}
# Routes that ask a device through the poll process's bus: the walk runs no field, so a
# caller who passed the checks gets 504 device_no_answer (within the read-back wait).
FIELD_READS = {"GET /api/v1/devices/<int:device_id>/settings"}
# Headers of routes that need one, keyed like BODIES.
HEADERS = {
    "POST /api/v1/devices/<int:device_id>/commands": {"Idempotency-Key": "walk-1"},
    "POST /api/v1/commands/batches": {"Idempotency-Key": "walk-2"},
    "PUT /api/v1/devices/<int:device_id>/settings": {"Idempotency-Key": "walk-3"},
    "POST /api/v1/scenes/<int:scene_id>/run": {"Idempotency-Key": "walk-4"},
}
# Query strings of routes that need one, keyed like BODIES.
QUERIES = {
    "GET /api/v1/energy/trend": lambda w: f"?node=circuit&node_id={w.main['circuits']}",
    "GET /api/v1/energy/balance": lambda w: f"?circuit_id={w.main['circuits']}",
    "GET /api/v1/energy/compare":
        lambda w: f"?node=site&node_id={w.site}&compare=yoy&interval=month",
    "GET /api/v1/energy/share": lambda w: f"?site_id={w.site}&by=area",
    "GET /api/v1/energy/ranking": lambda w: f"?site_id={w.site}&by=circuit",
    "GET /api/v1/energy/kpis": lambda w: f"?node=site&node_id={w.site}",
    "GET /api/v1/energy/capacity": lambda w: f"?site_id={w.site}",
    "GET /api/v1/inspection-records/export.xlsx":
        lambda w: f"?site_id={w.site}&from=2026-01-01&to=2026-12-31",
    "DELETE /api/v1/me/webpush-subscriptions":
        lambda w: "?endpoint=https://push.example.test/send/abc",
}
