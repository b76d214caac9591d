"""Loads switched and dimmed through their own controllers (profile gw-load): a group
command over every load of an area with one controller on its local manual switch (19
confirmed, 1 refused, nothing written to it), dimming with read-back."""
from __future__ import annotations

import time
import uuid

import pytest

from backend.control.runner import ControlRunner
from backend.extensions import db
from backend.field.session import SESSION
from backend.models import Area, Device, Gateway, Role, Site
from simulator.engine import SimConfig, SimulatorThread
from simulator.fleet import DeviceSpec, FleetSpec, GatewaySpec
from tests.factories import auth, make_user
from tests.test_poller import run_poll
from workers.jobs import poll


@pytest.fixture(scope="module")
def load_sim():
    fleet = FleetSpec()
    fleet.gateways.append(GatewaySpec("GL", "127.0.0.1", 0))
    for n in range(1, 21):
        fleet.devices.append(DeviceSpec(f"LC{n:02d}", "load", "GL", n, "gw-load",
                                        rated_power=0.4))
    with SimulatorThread(fleet, SimConfig(tick=0.1, seed=2, start_time=20 * 3600,
                                          http_port=0)) as thread:
        yield thread


@pytest.fixture
def loads(app, load_sim):
    with app.app_context():
        site = Site(code="L20", name="灯控所")
        db.session.add(site)
        db.session.flush()
        area = Area(site_id=site.id, code="JQ9", name="九监区")
        gw = Gateway(site_id=site.id, code="GL", name="灯控网关", host="127.0.0.1",
                     port=load_sim.sim.gateways["GL"].port, timeout_ms=500)
        db.session.add_all([area, gw])
        db.session.flush()
        ids = {}
        for dev in load_sim.sim.devices.values():
            row = Device(site_id=site.id, code=dev.code, name=f"照明{dev.unit_id}", kind="load",
                         area_id=area.id, gateway_id=gw.id, unit_id=dev.unit_id,
                         profile="gw-load")
            db.session.add(row)
            db.session.flush()
            ids[dev.code] = row.id
        db.session.commit()
        manager = make_user("m1", Role.manager, [site])
        w = {"ids": ids, "area": area.id, "h": auth(manager)}
    poll.reset_for_tests()
    run_poll(app, "fast")
    runner = ControlRunner(app, SESSION)
    runner.start()
    yield w
    runner.stop()
    for dev in load_sim.sim.devices.values():
        dev.set_mode("auto")
        dev.command("on", "hand")
        dev.level = 100.0
    poll.reset_for_tests()



def _settled(client, headers, path, count, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        rows = client.get(path, headers=headers).json
        if (len(rows) == count and all(c["state"] not in ("queued", "sent") for c in rows)) \
                or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def test_every_load_of_an_area_off_with_one_on_its_manual_switch(app, client, loads, load_sim):
    manual = load_sim.sim.devices["LC07"]
    manual.set_mode("manual")
    writes = []
    original = manual.write
    manual.write = lambda *a: writes.append(a) or original(*a)
    try:
        r = client.post("/api/v1/commands/batches",
                        json={"area_id": loads["area"], "action": "off", "reason": "熄灯"},
                        headers={**loads["h"], "Idempotency-Key": uuid.uuid4().hex})
        assert r.status_code == 202, r.json
        assert len(r.json["commands"]) == 20 and r.json["refused"] == []
        rows = _settled(client, loads["h"],
                        f"/api/v1/commands?batch_id={r.json['batch_id']}&page_size=50", 20)
        states = sorted(c["state"] for c in rows)
        assert states == ["confirmed"] * 19 + ["refused"], states
        refused = next(c for c in rows if c["state"] == "refused")
        assert refused["device_id"] == loads["ids"]["LC07"] and refused["error"] == "mode_manual"
        assert writes == [] and manual.on is True
        assert sum(d.on for d in load_sim.sim.devices.values()) == 1
    finally:
        manual.write = original


def test_dimming_a_load_is_confirmed_by_reading_the_level_back(app, client, loads, load_sim):
    dev_id = loads["ids"]["LC03"]
    post = lambda body: client.post(  # noqa: E731
        f"/api/v1/devices/{dev_id}/commands", json={"reason": "调暗", **body},
        headers={**loads["h"], "Idempotency-Key": uuid.uuid4().hex})
    missing = post({"action": "dim"})
    assert missing.status_code == 422 and missing.json["error"] == "value_required"
    assert post({"action": "dim", "value": 150}).status_code == 422
    assert post({"action": "open"}).json["error"] == "action_not_supported"
    r = post({"action": "dim", "value": 40})
    assert r.status_code == 202 and r.json["target"] == {"dim_level": 40.0}, r.json
    done = _settled(client, loads["h"], f"/api/v1/devices/{dev_id}/commands", 1)[0]
    assert done["state"] == "confirmed" and done["observed"] == {"dim_level": 40}, done
    assert load_sim.sim.devices["LC03"].level == 40.0
    run_poll(app, "fast")
    latest = client.get(f"/api/v1/devices/{dev_id}/latest", headers=loads["h"]).json
    assert latest["values"]["dim_level"]["v"] == 40
    assert latest["commanded"]["action"] == "dim"
