"""Linkage in Chromium: the built PWA served by the real backend, the example facility
served by the simulator and polled live, a control runner beside the polls (as in a poll
process), the distribution room's leak default enabled. A water leak injected in the
simulator pops up on the manager's phone with the area and the camera's HLS stream in a
<video>; 确认故障 is recorded on the alarm's timeline with who and when; the console lists
the rule and its firing log with the command ids (pwa/e2e/linkage.mjs). Screenshots go to
test-artifacts/pwa/. Skipped like tests/test_pwa_e2e.py when the PWA is not built."""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time

from sqlalchemy import select
from werkzeug.serving import make_server

from backend.accounts.security import Actor
from backend.automation import linkage_defaults
from backend.automation.linkage_rules import linkage_rules
from backend.control.runner import ControlRunner
from backend.extensions import db
from backend.facility.transfer import import_yaml
from backend.field.session import SESSION
from backend.models import AlarmEvent, Command, Device, Gateway, LinkageRule, Role, Site, User
from simulator.engine import SimConfig, SimulatorThread
from simulator.fleet import from_facility
from tests.factories import PASSWORD, make_user
from tests.test_pwa_e2e import ARTIFACTS, CHROMIUM, FACILITY, PWA, Poller, pytestmark  # noqa: F401
from workers.jobs import poll


def _platform(app, sim):
    result = import_yaml(Actor.system("test"), FACILITY.read_text(encoding="utf-8"))
    for gw in db.session.scalars(select(Gateway)):
        gw.port = sim.sim.gateways[gw.code].port
        gw.timeout_ms = 500
    site = db.session.get(Site, result["site_id"])
    make_user("boss", Role.manager, sites=[site])
    make_user("root", Role.admin, sites=[site])
    db.session.commit()
    made = linkage_defaults.create(Actor.system("test"), site.id)["created"]
    pump = db.session.scalar(select(Device.id).where(Device.code == "LC-PDF-PUMP"))
    rule = next(r for r in made if r.default_key.startswith("water_leak:")
                and any(a.get("device_id") == pump for a in r.actions))
    linkage_rules.update(Actor.system("test"), rule.id, {"enabled": True})
    camera = db.session.scalar(select(Device.stream_url).where(Device.code == "CAM-PDF-LV"))
    db.session.commit()
    return rule.id, camera


def test_a_leak_pops_up_the_camera_and_the_fault_is_confirmed_in_chromium(app):
    fleet = from_facility(FACILITY)
    for g in fleet.gateways:
        g.port = 0
    config = SimConfig(tick=0.2, seed=5, start_time=11 * 3600, reclose_delay=5, http_port=0)
    with SimulatorThread(fleet, config) as sim, app.app_context():
        rule_id, camera = _platform(app, sim)
        poll.reset_for_tests()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        poller = Poller(app)
        poller.thread.start()
        runner = ControlRunner(app, SESSION)
        runner.start()
        try:
            time.sleep(2)   # a first fast and normal poll cycle
            env = {**os.environ, "GW_BASE_URL": f"http://127.0.0.1:{server.server_port}",
                   "GW_SIM_URL": sim.sim.http_url, "GW_ARTIFACTS": str(ARTIFACTS),
                   "GW_PASSWORD": PASSWORD, "GW_MANAGER": "boss", "GW_ADMIN": "root",
                   "GW_RULE_ID": str(rule_id), "GW_CAMERA_URL": camera, "CHROMIUM": CHROMIUM}
            out = subprocess.run(["node", "e2e/linkage.mjs"], cwd=PWA, env=env,
                                 capture_output=True, text=True, timeout=300)
        finally:
            runner.stop()
            poller.stop.set()
            poller.thread.join(10)
            server.shutdown()
            poll.reset_for_tests()
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    report = json.loads(lines[-1]) if lines else {"ok": False, "error": out.stdout[-3000:]}
    assert report["ok"], (f"step {report.get('step')!r} failed: {report.get('error')}\n"
                          f"{out.stderr[-4000:]}\npoll errors: {poller.errors[:3]}")
    results = report["results"]
    pop = results["leak pops up with the camera"]
    assert pop["area"] == "设备区" and pop["camera"] == "CAM-PDF-LV"
    assert pop["video"] == camera and camera.endswith(".m3u8")
    assert "水浸" in pop["message"]
    assert pop["value"] == "水浸 有", pop        # the metric's label and value, not its name
    assert "远程确认故障" in results["fault confirmed on the timeline"]["timeline"]
    with app.app_context():
        boss = db.session.scalar(select(User.id).where(User.username == "boss"))
        confirmed = db.session.scalars(select(AlarmEvent).where(
            AlarmEvent.alarm_id == pop["alarm"], AlarmEvent.kind == "fault_confirmed")).all()
        assert [(e.user_id, e.data.get("comment")) for e in confirmed] == [
            (boss, "视频确认配电房进水")]
        cmds = db.session.scalars(select(Command).where(
            Command.origin_kind == "rule", Command.origin_id == rule_id)).all()
        console = results["console lists the rule and its firing log"]
        shown = set(console["commands"])
        rule = db.session.get(LinkageRule, rule_id)
        assert console["kinds"] == [a["kind"] for a in rule.actions[:-1]]   # as it was
        assert rule.actions[-1] == {"kind": "alarm", "level": "warning",   # added in the form
                                    "message": "控制台追加：请到现场确认", "clear": True}
        assert console["saved"] == rule.actions
        assert shown == {c.id for c in cmds}
        by_device = {c.device_id: c.state for c in cmds}
        codes = dict(db.session.execute(select(Device.id, Device.code)).all())
        states = {codes[d]: s for d, s in by_device.items()}
        assert {k: states[k] for k in ("LC-PDF-PUMP", "LC-PDF-SIREN", "LC-PDF-LIGHT")} == {
            "LC-PDF-PUMP": "confirmed", "LC-PDF-SIREN": "confirmed", "LC-PDF-LIGHT": "confirmed"}
    for name in ("phone-linkage-popup", "phone-linkage-confirmed", "desktop-linkage"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 5000, name
    assert not poller.errors, poller.errors[:3]
