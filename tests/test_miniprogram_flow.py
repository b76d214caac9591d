"""The mini-program's request wrapper and services (miniprogram/, run by node) against
the real API and the WeChat stand-in: a duty-staff user logs in through WeChat, binds,
sees a new alarm, acknowledges and comments it, asks to be reminded of the next one,
survives an expired access token (one refresh) and logs in again with WeChat alone; and,
in the example facility served by the simulator with a control runner, a staff user's
shift: a new alarm acknowledged, a repair order opened with a photo, the granted circuit
switched (confirmed by the breaker's read-back), one not granted refused in Chinese; a
manager's light dimmed from 负载与照明; and the 能耗 tab's figures equal to the API's."""
from __future__ import annotations

import json
import shutil
import struct
import subprocess
import threading
import time
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from backend.extensions import db
from backend.models import (
    Alarm,
    AuditEntry,
    Circuit,
    Command,
    Device,
    RepairOrder,
    RepairPhoto,
    SubscribeGrant,
    WeChatBinding,
)
from tests.alarm_world import T0, breaker, build, feed
from tests.control_world import runner, world  # noqa: F401  (fixtures)
from tests.factories import PASSWORD
from tests.test_poller import run_poll, sim, sim_api, site  # noqa: F401  (fixtures)

LIVE = Path(__file__).resolve().parent.parent / "miniprogram" / "tests" / "live"
FLOW = LIVE / "flow.cjs"
DUTY = LIVE / "duty.cjs"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_staff_logs_in_with_wechat_binds_and_acknowledges(app, ctx, notify_standin):
    w = build()
    feed(T0, {w["d4"]: breaker()})
    feed(T0 + timedelta(seconds=2), {w["d4"]: breaker(voltage_a=280.0, switch_state="open",
                                                       trip_cause="over_voltage")})
    [alarm_id] = db.session.scalars(select(Alarm.id)).all()
    db.session.commit()
    db.session.remove()       # the server's threads use their own sessions
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        run = subprocess.run(
            ["node", str(FLOW), f"http://127.0.0.1:{server.server_port}", notify_standin.url,
             "wx-test-mp", "mp-openid-s1", "s1", PASSWORD],
            capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
    assert run.returncode == 0, run.stdout + run.stderr
    out = json.loads(run.stdout)
    assert out["first_bound"] is False and out["user"] == "s1"
    assert out["alarms"] == [{"id": alarm_id, "state": "active", "level": "alarm"}]
    assert out["acknowledged"] == "acknowledged"
    assert out["grants_after"] == 1
    assert out["refreshed"] is True
    assert "acknowledged" in out["after_refresh"] and "comment" in out["after_refresh"]
    assert out["second_bound"] is True
    assert out["toasts"] == []
    assert db.session.get(Alarm, alarm_id).acknowledged_by == w["s1"]
    assert db.session.scalar(select(WeChatBinding.openid)) == "mp-openid-s1"
    assert db.session.get(SubscribeGrant, (w["s1"], "SUB-ALARM")).remaining == 1


def _png(width=4, height=3) -> bytes:
    """A real (tiny) PNG image, as a phone camera's picture would be a real JPEG."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + bytes([200, 40, 40]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_staff_shift_alarm_repair_order_with_photo_and_switching(app, client, world, sim,  # noqa: F811
                                                                  notify_standin, tmp_path):
    ids = world["ids"]
    with app.app_context():
        lighting = db.session.scalar(select(Circuit.id).where(Circuit.code == "AP-JQ1-WL1"))
    r = client.put(f"/api/v1/users/{world['users']['s1']}/control-grants",
                   json={"grants": [{"scope": "circuit", "target_id": lighting}]},
                   headers=world["h"]["ad"])
    assert r.status_code == 200, r.json
    run_poll(app, "normal")
    sim_api(sim, "POST", "/api/devices/QF-AA1-WL5", {"set": {"voltage": 260}})
    time.sleep(0.3)
    run_poll(app, "normal")                                   # the new alarm
    photo = tmp_path / "现场.png"
    photo.write_bytes(_png())
    server = _serve(app)
    try:
        run = subprocess.run(
            ["node", str(DUTY), f"http://127.0.0.1:{server.server_port}", notify_standin.url,
             "wx-test-mp", "mp-openid-duty", "s1", PASSWORD, str(ids["QF-AA1-WL5"]),
             "AL-JQ1-1", "QF-AL1-WL1", "QF-AA1-WL3", str(photo)],
            capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
        sim_api(sim, "POST", "/api/devices/QF-AA1-WL5", {"clear": ["voltage"]})
    assert run.returncode == 0, run.stdout + run.stderr
    out = json.loads(run.stdout)
    try:
        assert out["user"] == "s1"
        assert out["alarm"]["rule"] == "over_voltage" and out["alarm"]["level"] == "warning"
        assert out["acknowledged"] == "acknowledged"
        assert out["taken_by"] == world["users"]["s1"]
        order = out["order"]
        assert order["assignee"] == world["users"]["s1"] and order["status"] == "in_progress"
        assert order["photo"] == "image/png" and order["photos"] == 1 and order["same_bytes"]
        assert {"acknowledged", "repair_order"} <= set(out["timeline"])
        assert out["area"] == "JQ1"
        assert ["QF-AL1-WL1", "closed"] in out["circuits"]
        assert out["confirmation"] == {"circuit": "AL-JQ1-1-WL1", "protected": False,
                                       "mode": "auto", "state": "closed",
                                       "actions": ["open", "close"], "feeds": 0}
        assert out["command"]["states"][-1] == "confirmed", out["command"]
        assert out["command"]["end"] == "confirmed"
        assert out["denied"] == {"status": 403, "code": "control_not_granted",
                                 "text": "您没有该回路的控制权限"}
        assert out["toasts"] == []
        assert sim.sim.devices["QF-AL1-WL1"].closed is False  # the breaker really opened
        with app.app_context():
            alarm = db.session.get(Alarm, out["alarm"]["id"])
            assert alarm.acknowledged_by == world["users"]["s1"]
            row = db.session.get(RepairOrder, order["id"])
            assert row.alarm_id == alarm.id and row.note == "已更换浪涌保护器"
            assert db.session.scalar(select(RepairPhoto.data)
                                     .where(RepairPhoto.order_id == row.id)) == photo.read_bytes()
            cmd = db.session.get(Command, out["command"]["id"])
            assert cmd.requested_by == world["users"]["s1"] and cmd.reason == "更换灯具"
            audited = {(a.action, a.entity_type) for a in db.session.scalars(select(AuditEntry))}
            assert {("create", "repair_order"), ("create", "repair_photo"),
                    ("command", "command"), ("command_result", "command")} <= audited
    finally:
        sim.sim.devices["QF-AL1-WL1"].command("close", "hand")


def _fmt_kwh(v: float) -> str:
    """utils/energy.js fmtKwh: 2 decimals below 10, 1 below 1,000, none above; grouped."""
    digits = 2 if abs(v) < 10 else 1 if abs(v) < 1000 else 0
    return f"{v:,.{digits}f}"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_energy_tab_shows_the_apis_overview_and_trend(app, client, world, notify_standin):  # noqa: F811
    """30 h of counter readings of the example facility (the PWA energy e2e's: a gap on one
    breaker, a meter swap without its event on another), rolled by the energy.rollup job;
    the mini-program's cards, ranking and chart series are the API's figures."""
    from datetime import UTC, datetime

    from backend.telemetry import ingest
    from tests.test_pwa_energy_e2e import readings
    from workers.jobs import energy as energy_job

    with app.app_context():
        batch, _swap = readings(world["ids"], datetime.now(UTC) - timedelta(minutes=1))
        for k in range(0, len(batch), 500):
            ingest.ingest(batch[k:k + 500])
        done = energy_job.rollup()
        assert done.get("failed", 0) == 0, done
        kitchen = db.session.scalar(select(Device.circuit_id)
                                    .where(Device.id == world["ids"]["QF-AA1-WL3"]))
    headers = world["h"]["s1"]
    api = client.get(f"/api/v1/energy/overview?site_id={world['site']}&top=5", headers=headers)
    assert api.status_code == 200, api.json
    [expected] = api.json["sites"]
    trends = {}
    for node, node_id in (("site", world["site"]), ("circuit", kitchen)):
        r = client.get(f"/api/v1/energy/trend?node={node}&node_id={node_id}&interval=15min",
                       headers=headers)
        assert r.status_code == 200, r.json
        trends[node] = r.json
    server = _serve(app)
    try:
        run = subprocess.run(
            ["node", str(LIVE / "energy.cjs"), f"http://127.0.0.1:{server.server_port}",
             notify_standin.url, "wx-test-mp", "mp-openid-energy", "s1", PASSWORD, str(kitchen)],
            capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
    assert run.returncode == 0, run.stdout + run.stderr
    out = json.loads(run.stdout)
    assert out["user"] == "s1" and out["site"] == world["site"]
    assert out["overview"] == expected
    assert expected["month_kwh"] > 0 and expected["top_consumers"]
    assert [c["kwh"] for c in out["cards"]] == [
        _fmt_kwh(expected[f"{p}_kwh"]) for p in ("today", "month", "year")]
    assert [(r["rank"], r["circuit_id"], r["kwh"]) for r in out["rank"]] == [
        (i + 1, c["circuit_id"], _fmt_kwh(c["month_kwh"]))
        for i, c in enumerate(expected["top_consumers"])]
    for node, trend in trends.items():
        points, t = trend["points"], out["trends"][node]
        assert t["points"] == len(points) > 0
        assert t["estimatedCount"] == sum(p["estimated"] for p in points)
        assert t["slots"] == len(points) + t["missingCount"]
        assert t["measured"] + t["estimated"] == pytest.approx(trend["total"]["import_kwh"], abs=0.01)
        assert t["estimated"] == pytest.approx(
            sum(p["import_kwh"] for p in points if p["estimated"]), abs=0.01)
    assert out["trends"]["circuit"]["estimatedCount"] > 0        # the kitchen's 3 h gap
    assert out["toasts"] == []


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_manager_dims_and_switches_off_a_load_from_the_phone(app, world, sim,  # noqa: F811
                                                             notify_standin):
    """负载与照明 in the example facility: the loads and KNX groups listed, the light's
    controller offered what its record accepts, dimmed to 40 % through the command
    lifecycle (confirmed by the controller's read-back, audited), then switched at once:
    refused (switched_too_recently) with the Chinese reason, nothing written."""
    light = sim.sim.devices["LC-PDF-LIGHT"]
    was_on = light.on
    server = _serve(app)
    try:
        run = subprocess.run(
            ["node", str(LIVE / "loads.cjs"), f"http://127.0.0.1:{server.server_port}",
             notify_standin.url, "wx-test-mp", "mp-openid-loads", "m1", PASSWORD,
             "LC-PDF-LIGHT"],
            capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
    assert run.returncode == 0, run.stdout + run.stderr
    out = json.loads(run.stdout)
    try:
        assert out["user"] == "m1"
        assert ["LC-PDF-LIGHT", "load"] in out["loads"] and ["KNX-JQ1-L1", "knx_group"] in out["loads"]
        assert out["before"]["state"] == ("on" if was_on else "off")
        assert out["before"]["offered"] == (["off", "on", "dim"] if was_on else ["on", "off", "dim"])
        assert out["dim"]["end"] == "confirmed" and out["dim"]["value"] == 40, out["dim"]
        assert out["off"] == {"status": 409, "code": "switched_too_recently",
                              "text": "距该设备上次操作不足 5 秒"}, out["off"]
        assert light.level == 40.0 and light.on is was_on         # dimmed, and not switched
        assert out["toasts"] == []
        with app.app_context():
            dim = db.session.get(Command, out["dim"]["id"])
            assert dim.requested_by == world["users"]["m1"] and dim.reason == "夜间调暗"
            audited = {(a.action, str(a.entity_id)) for a in db.session.scalars(
                select(AuditEntry).where(AuditEntry.entity_type == "command"))}
            assert {("command", str(dim.id)), ("command_result", str(dim.id))} <= audited
    finally:
        light.command("on", "hand")
        light.level = 100.0
