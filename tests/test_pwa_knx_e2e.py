"""KNX lighting in Chromium: the built PWA served by the real backend, a real knxd on a
free UDP port, the simulator's KNX actuators on its bus and the KNX process in threads
(as tests/test_knx.py runs them). A manager sees the KNX groups on the topology (设施),
switches a dimmable light on and dims it to 40 % from the phone, both confirmed from the
state addresses; a wall switch (``knxtool groupswrite``) turns it off and the device page
shows it live; the console lists the KNX gateway as connected and refuses a bad group
address under its field in the device form (pwa/e2e/knx.mjs).
Screenshots go to test-artifacts/pwa/. Skipped like tests/test_pwa_e2e.py when the PWA is
not built, and like tests/test_knx.py without knxd."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from backend.extensions import db
from backend.models import Command, Role, Site
from backend.runtime.knx_process import KnxProcess
from simulator.knx import Actuator, KnxActuators
from tests.factories import PASSWORD, auth, make_user
from tests.test_knx import Knxd, LoopThread, _free_udp_port
from tests.test_knx import pytestmark as knx_marks
from tests.test_pwa_e2e import ARTIFACTS, CHROMIUM, PWA
from tests.test_pwa_e2e import pytestmark as pwa_marks

pytestmark = [*pwa_marks, knx_marks]

DIMMER = {"switch": "1/2/10", "switch_state": "1/2/11", "brightness": "1/2/12",
          "brightness_state": "1/2/13"}
CORRIDOR = {"switch": "1/2/3", "switch_state": "1/2/4"}


def _world(client, app, port) -> dict:
    with app.app_context():
        site = Site(code="KX", name="KNX看守所")
        db.session.add(site)
        db.session.flush()
        admin = make_user("root", Role.admin, [site])
        make_user("boss", Role.manager, [site])
        ad = auth(admin)
        site_id = site.id
        db.session.commit()

    def post(path, body):
        r = client.post(f"/api/v1/{path}", headers=ad, json={"site_id": site_id, **body})
        assert r.status_code == 201, r.json
        return r.json["id"]
    gw = post("knx-gateways", {"code": "KNX-GW1", "name": "一监区KNX网关", "host": "127.0.0.1",
                               "port": port, "local_ip": "127.0.0.1"})
    board = post("boards", {"code": "AL1", "name": "一监区照明箱", "level": 3})
    circuit = post("circuits", {"code": "AL1-WL1", "name": "监舍照明", "board_id": board,
                                "category": "lighting"})
    dimmer = post("devices", {"code": "KNX-L2", "name": "监舍调光照明", "kind": "knx_group",
                              "circuit_id": circuit, "knx_gateway_id": gw, "attributes": DIMMER})
    post("devices", {"code": "KNX-L1", "name": "走廊照明", "kind": "knx_group",
                     "knx_gateway_id": gw, "attributes": CORRIDOR})
    return {"site": site_id, "gw": gw, "dimmer": dimmer}


def _wait(check, timeout, what):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_a_manager_switches_and_dims_a_knx_light_and_sees_a_wall_switch_live(app, client,
                                                                           tmp_path,
                                                                           monkeypatch):
    # the dim follows the switching-on within seconds (the usual pause between two
    # switchings of one device is 5 s)
    monkeypatch.setitem(app.config, "GW_CONTROL_MIN_INTERVAL_SECONDS", 0)
    knxd = Knxd(_free_udp_port(), str(tmp_path / "knxd.sock"))
    knxd.start()
    acts = [Actuator("KNX-L2", **DIMMER), Actuator("KNX-L1", **CORRIDOR)]
    bus = KnxActuators(acts, "127.0.0.1", knxd.port)
    stop_bus = None

    async def run_bus():
        nonlocal stop_bus
        stop_bus = asyncio.Event()
        await bus.start()
        await stop_bus.wait()
        await bus.stop()
    bus_thread = LoopThread(run_bus)
    bus_thread.start()
    proc = proc_thread = server = None
    try:
        w = _world(client, app, knxd.port)
        proc = KnxProcess(app, probe_s=1, backoff_max=1, reconnect_wait_s=1)
        proc_thread = LoopThread(proc.run)
        proc_thread.start()
        with app.app_context():
            from backend.models import KnxGateway
            _wait(lambda: (db.session.expire_all(), db.session.get(KnxGateway, w["gw"])
                           .connected)[1], 20, "the KNX gateway connected")
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        env = {**os.environ, "GW_BASE_URL": f"http://127.0.0.1:{server.server_port}",
               "GW_ARTIFACTS": str(ARTIFACTS), "GW_PASSWORD": PASSWORD, "GW_MANAGER": "boss",
               "GW_ADMIN": "root", "GW_DEVICE_ID": str(w["dimmer"]),
               "GW_KNX_SOCK": knxd.sock, "CHROMIUM": CHROMIUM}
        out = subprocess.run(["node", "e2e/knx.mjs"], cwd=PWA, env=env, capture_output=True,
                             text=True, timeout=300)
        lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        report = json.loads(lines[-1]) if lines else {"ok": False, "error": out.stdout[-3000:]}
        if not report["ok"]:
            with app.app_context():
                # when each was requested, sent and settled (against the failure's time):
                # tells a slow confirmation from an event the page never received
                made = [(c.id, c.action, c.state, c.error, *(f"{t:%H:%M:%S.%f}"[:-3] if t else None
                         for t in (c.requested_at, c.sent_at, c.finished_at)))
                        for c in db.session.scalars(select(Command).order_by(Command.id))]
                made.append(("now", f"{datetime.now(UTC):%H:%M:%S.%f}"[:-3]))
            pytest.fail(f"step {report.get('step')!r} failed: {report.get('error')}\n"
                        f"{out.stderr[-4000:]}\ncommands: {made}")
        results = report["results"]
        # the topology showed both groups, the dimmer on its circuit
        assert results["topology shows the KNX groups"]["lights"] == {
            "KNX-L1": "off", "KNX-L2": "off"}
        # both commands confirmed from the state addresses, read back through knxd
        with app.app_context():
            cmds = db.session.scalars(select(Command).where(Command.device_id == w["dimmer"])
                                      .order_by(Command.id)).all()
            assert [(c.action, c.value, c.state, c.observed) for c in cmds] == [
                ("on", None, "confirmed", {"light": "on"}),
                ("dim", 40, "confirmed", {"brightness": 40})], cmds
            assert all(c.reason == "夜间巡查" for c in cmds)
        assert results["switched on and dimmed to 40 %"]["confirmed"] == {"value": "on",
                                                                         "level": "40"}
        # the wall switch's telegram turned the actuator off and the page showed it live
        assert acts[0].on is False
        seen = results["a wall switch turns it off, live"]
        # the page's latest telegram: the switch's, or the actuator's status after it
        assert seen["value"] == "off" and seen["address"] in ("1/2/10", "1/2/11", "1/2/13"), seen
        console = results["console lists the KNX gateway connected"]
        assert "已连接" in console["row"]
        assert "开关组地址" in console["addressError"], console
        assert "out of range" in console["addressError"], console
        with app.app_context():            # the bad address was not saved
            from backend.models import Device
            assert db.session.scalar(select(Device.attributes).where(
                Device.code == "KNX-L1"))["switch"] == "1/2/3"
        for name in ("phone-knx-topology", "phone-knx-dimmed", "phone-knx-wall-switch",
                     "desktop-knx-gateways", "desktop-knx-device-form"):
            assert (ARTIFACTS / f"{name}.png").stat().st_size > 5000, name
    finally:
        if server is not None:
            server.shutdown()
        if proc_thread is not None:
            proc_thread.loop.call_soon_threadsafe(proc.stop)
            proc_thread.join(15)
        if stop_bus is not None:
            bus_thread.loop.call_soon_threadsafe(stop_bus.set)
        bus_thread.join(10)
        knxd.stop()


@pytest.fixture(autouse=True)
def _artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
