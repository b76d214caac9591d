"""The PWA end to end: the built app (pwa/dist) served by the real backend, the example
facility served by the simulator and polled live, Debian's Chromium driven by
playwright-core (pwa/e2e/run.mjs).

Checks: installable (Page.getInstallabilityErrors is empty), log in, live values change
(SSE), a trip blinks on the one-line diagram, device history, an expired session comes
back to the same page, offline keeps the last data with a banner, an injected fault's
alarm appears in the alarm list live and blinks on its circuit, is opened and
acknowledged, the service worker shows a push as a notification, log out, the desktop
layout and the site switcher, and a staff user of another site sees none of it. Remote
switching (a control runner beside the poll jobs, as in a poll process): a manager opens a
lighting circuit from the topology and sees it confirmed; a protected circuit waits for a
second manager's approval (in a second browser) and then switches; a staff user without a
grant is refused with the Chinese reason. Settings: a manager opens 保护参数 of a breaker
whose residual-current protection is off, turns 漏电保护 on with a reason and sees it
confirmed, before -> after (the command's before and read-back checked in the database).
Group switching: the manager closes a whole board (整箱合闸) from the topology and sees
each breaker's result live (the protected one waits for approval or is refused).
Scenes: the manager runs a scene from 我的 → 场景: the sheet lists both actions, the one on
a protected circuit marked; without a reason it is refused on the page; then each action's
progress live (one confirmed, one waiting for approval), checked in the database.
Screenshots at 390x844 and 1280x800 go to test-artifacts/pwa/ (gitignored).

Skipped unless the PWA is built and its npm dependencies are installed (``make test``
does both) and Chromium is present.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from backend.accounts.security import Actor
from backend.control.runner import ControlRunner
from backend.extensions import db
from backend.facility.transfer import import_yaml
from backend.field.session import SESSION
from backend.models import Command, Device, Gateway, Role, Scene, SceneRun, Site, User
from simulator.engine import SimConfig, SimulatorThread
from simulator.fleet import from_facility
from tests.factories import PASSWORD, make_site, make_user
from workers.jobs import poll

ROOT = Path(__file__).resolve().parent.parent
PWA = ROOT / "pwa"
FACILITY = ROOT / "examples" / "facility.yaml"
ARTIFACTS = ROOT / "test-artifacts" / "pwa"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.skipif(not (PWA / "dist" / "index.html").is_file(),
                       reason="PWA not built (make pwa, or make test)"),
    pytest.mark.skipif(not (PWA / "node_modules" / "playwright-core").is_dir(),
                       reason="PWA npm dependencies not installed (npm ci in pwa/)"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed"),
    pytest.mark.skipif(shutil.which("node") is None, reason="node not installed"),
]


class Poller:
    """What RQ cron + the poll worker do in production, in a thread: fast polls every
    ``interval`` seconds (one by default), normal polls every ``normal_every``-th time."""

    def __init__(self, app, interval: float = 1.0, normal_every: int = 2):
        self.app, self.stop, self.errors = app, threading.Event(), []
        self.interval, self.normal_every = interval, normal_every
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        n = 0
        while not self.stop.is_set():
            try:
                with self.app.app_context():
                    poll.poll_shard("fast")
                    if n % self.normal_every == 0:
                        poll.poll_shard("normal")
            except Exception as exc:  # noqa: BLE001 - reported by the test
                self.errors.append(repr(exc))
            n += 1
            self.stop.wait(self.interval)


@pytest.fixture
def platform(app):
    fleet = from_facility(FACILITY)
    for g in fleet.gateways:
        g.port = 0
    config = SimConfig(tick=0.2, seed=5, start_time=11 * 3600, reclose_delay=5, http_port=0)
    with SimulatorThread(fleet, config) as sim, app.app_context():
        result = import_yaml(Actor.system("test"), FACILITY.read_text(encoding="utf-8"))
        for gw in db.session.scalars(select(Gateway)):
            gw.port = sim.sim.gateways[gw.code].port
            gw.timeout_ms = 500
        demo = db.session.get(Site, result["site_id"])
        other = make_site("DC2", "二号看守所")
        make_user("boss", Role.manager, sites=[demo, other])
        make_user("other", Role.staff, sites=[other])
        make_user("boss2", Role.manager, sites=[demo, other])   # the second person
        make_user("staff1", Role.staff, sites=[demo])            # no control grant
        ids = dict(db.session.execute(select(Device.code, Device.id)).all())
        device = ids["QF-AA1-WL1"]
        scene = Scene(site_id=demo.id, name="离开办公区", actions=[
            {"kind": "command", "device_id": ids["QF-AA1-WL4"], "action": "open"},
            {"kind": "command", "device_id": ids["QF-AA1-WL6"], "action": "close"}])
        db.session.add(scene)
        db.session.commit()
        poll.reset_for_tests()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        serving = threading.Thread(target=server.serve_forever, daemon=True)
        serving.start()
        poller = Poller(app)
        poller.thread.start()
        runner = ControlRunner(app, SESSION)
        runner.start()
        try:
            yield {"base": f"http://127.0.0.1:{server.server_port}", "sim": sim.sim.http_url,
                   "device": device, "scene": scene.id, "other_site": other.name, "poller": poller, "ids": ids,
                   "runner": runner}
        finally:
            runner.stop()
            poller.stop.set()
            poller.thread.join(10)
            server.shutdown()
            poll.reset_for_tests()


def test_pwa_end_to_end_in_chromium(app, platform):
    time.sleep(2)   # a first fast and normal poll cycle
    env = {**os.environ, "GW_BASE_URL": platform["base"], "GW_SIM_URL": platform["sim"],
           "GW_ARTIFACTS": str(ARTIFACTS), "GW_PASSWORD": PASSWORD,
           "GW_DEVICE_ID": str(platform["device"]), "GW_MANAGER": "boss", "GW_OTHER": "other",
           "GW_OTHER_SITE_NAME": platform["other_site"], "CHROMIUM": CHROMIUM,
           "GW_APPROVER": "boss2", "GW_STAFF": "staff1",
           "GW_LIGHTING_DEVICE": str(platform["ids"]["QF-AL1-WL1"]),
           "GW_PROTECTED_DEVICE": str(platform["ids"]["QF-JQ1-WL4"]),
           "GW_STAFF_DEVICE": str(platform["ids"]["QF-AL1-WL2"]),
           "GW_RCD_DEVICE": str(platform["ids"]["QF-AA1-WL3"]),
           "GW_SCENE": str(platform["scene"])}
    out = subprocess.run(["node", "e2e/run.mjs"], cwd=PWA, env=env, capture_output=True,
                         text=True, timeout=600)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    report = json.loads(lines[-1]) if lines else {"ok": False, "error": out.stdout[-3000:]}
    assert report["ok"], (f"step {report.get('step')!r} failed: {report.get('error')}\n"
                          f"{out.stderr[-4000:]}\npoll errors: {platform['poller'].errors[:3]}")
    assert out.returncode == 0, out.stderr[-3000:]
    results = report["results"]
    assert results["installable"]["errors"] == []
    live = results["device live values"]
    assert live["before"] != live["after"]                  # the value changed on screen
    assert re.search(r"\d\d:\d\d:\d\d", results["offline keeps the last data"]["banner"])
    alarm = results["alarm appears live, blinks, is acknowledged"]
    assert alarm["state"] == "已确认" and alarm["level"] in ("warning", "alarm")
    assert "确认" in alarm["timeline"]
    assert results["push notification from the service worker"]["url"] == f"/alarms/{alarm['alarm']}"
    lighting = results["manager opens a lighting circuit from the topology"]
    assert lighting["state"] == "已确认" and lighting["circuit"] == "open"
    rcd = results["manager turns residual protection on"]
    assert (rcd["state"], rcd["before"], rcd["after"]) == ("已确认", "关闭", "开启")
    assert "读取于" in rcd["readAt"]
    refused = results["staff without a grant is refused"]
    assert refused["reason"] == "您没有该回路的控制权限"
    scene = results["manager runs a scene"]
    assert [x["protected"] for x in scene["listed"]] == ["false", "true"] and scene["waiting"] == "1"
    assert "分闸" in scene["listed"][0]["text"] and "QF-AA1-WL4" in scene["listed"][0]["text"]
    assert sorted(r["state"] for r in scene["rows"]) == ["awaiting_approval", "confirmed"]
    assert "已确认" in str(scene["rows"]) and "待审批" in str(scene["rows"])
    board = results["manager closes a whole board from the topology"]
    assert board["count"] == {"devices": "4", "protected": "1"}
    shown = {r["device"]: r for r in board["rows"]}
    ids = platform["ids"]
    for code in ("QF-JQ1-WL1", "QF-JQ1-WL2", "QF-JQ1-WL3"):       # closed already: confirmed
        assert shown[ids[code]]["status"] == "confirmed", board
    # the protected one was opened moments ago: it waits for approval, or is refused as
    # switched too recently (the minimum interval), in Chinese
    protected_row = shown[ids["QF-JQ1-WL4"]]
    assert protected_row["status"] in ("awaiting_approval", "refused"), board
    if protected_row["status"] == "refused":
        assert "距该设备上次操作不足" in protected_row["text"], board
    with app.app_context():
        boss2 = db.session.scalar(select(User.id).where(User.username == "boss2"))
        cmds = db.session.scalars(select(Command).order_by(Command.id)).all()
        single = {c.device_id: c for c in cmds if c.batch_id is None and c.origin_kind is None}
        assert single[ids["QF-AL1-WL1"]].state == "confirmed"
        protected = single[ids["QF-JQ1-WL4"]]
        assert (protected.state, protected.approved_by) == ("confirmed", boss2)
        assert ids["QF-AL1-WL2"] not in single                     # the refusal made none
        rcd = single[ids["QF-AA1-WL3"]]                 # the settings page's one command
        assert (rcd.action, rcd.state, rcd.settings) == ("settings", "confirmed",
                                                         {"residual_protection": True})
        assert rcd.before == {"residual_protection": False}
        assert rcd.observed == {"residual_protection": True}
        assert len(single) == 3
        batch = [c for c in cmds if c.batch_id is not None]        # one batch, one per device
        assert len({c.batch_id for c in batch}) == 1
        assert {c.device_id: c.state for c in batch if c.device_id != ids["QF-JQ1-WL4"]} == {
            ids[f"QF-JQ1-WL{n}"]: "confirmed" for n in (1, 2, 3)}
        assert all(c.action == "close" for c in batch)
        # the scene: one run of boss, its commands boss's own, one confirmed, one waiting
        run = db.session.scalar(select(SceneRun))
        boss = db.session.scalar(select(User.id).where(User.username == "boss"))
        assert (run.scene_id, run.run_by, run.reason) == (platform["scene"], boss, "e2e 离开办公区")
        made = {c.device_id: c for c in cmds if c.origin_kind == "scene"}
        assert {d: c.state for d, c in made.items()} == {ids["QF-AA1-WL4"]: "confirmed",
                                                          ids["QF-AA1-WL6"]: "awaiting_approval"}
        assert all(c.requested_by == boss for c in made.values())
        wl4 = [c.state for c in batch if c.device_id == ids["QF-JQ1-WL4"]]
        assert wl4 == (["awaiting_approval"] if protected_row["status"] == "awaiting_approval"
                       else []), wl4
    for name in ("phone-overview", "phone-facility-tripped", "phone-device", "phone-offline",
                 "phone-alarms", "phone-facility-alarm", "phone-alarm-detail",
                 "phone-alarm-acknowledged", "phone-me", "desktop-overview", "desktop-facility",
                 "desktop-alarms", "desktop-alarm-detail", "phone-other-site",
                 "phone-control-sheet", "phone-control-confirmed", "phone-awaiting-approval",
                 "phone-scene-confirm", "phone-scene-progress",
                 "desktop-approval", "phone-approved-confirmed", "phone-control-refused",
                 "phone-settings", "phone-settings-confirmed", "phone-board-confirm",
                 "phone-board-results"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 5000, name
    assert not platform["poller"].errors, platform["poller"].errors[:3]
