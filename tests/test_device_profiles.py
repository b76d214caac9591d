"""Device models added as data: an uploaded profile with a byte-packed status register
(switch state in the low byte, the local mode in the high byte) and holding-register
controls (0xFF00 close, 0x0000 open), validated, versioned, audited and used end to end
against a simulated breaker that speaks it."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from backend.control.runner import ControlRunner
from backend.extensions import db
from backend.field import catalog
from backend.field.session import SESSION
from backend.models import AuditEntry, Board, Circuit, Device, DeviceStatus, Gateway, Role, Site
from simulator.engine import SimConfig, SimulatorThread
from simulator.fleet import DeviceSpec, FleetSpec, GatewaySpec
from tests.authz_world import ACME_PROFILE
from tests.control_world import states
from tests.factories import auth, make_user
from tests.sim_world import wait_for
from tests.test_poller import run_poll
from workers.jobs import poll


@pytest.fixture
def users(app):
    with app.app_context():
        site = Site(code="P1", name="型号所")
        db.session.add(site)
        db.session.commit()
        root = make_user("root", Role.admin, [], superadmin=True)
        admin = make_user("adm", Role.admin, [site])
        manager = make_user("mgr", Role.manager, [site])
        catalog.forget()
        return {"site": site.id, "root": auth(root), "admin": auth(admin),
                "manager": auth(manager)}


def upload(client, headers, text):
    return client.post("/api/v1/device-profiles", data=text.encode(),
                       content_type="application/yaml", headers=headers)


def test_upload_validates_versions_audits_and_downloads(app, client, users):
    assert upload(client, users["admin"], ACME_PROFILE).status_code == 403
    bad = upload(client, users["root"], ACME_PROFILE.replace("mask: 0xFF00", "mask: 0x1FF00"))
    assert bad.status_code == 422 and bad.json["error"] == "profile_invalid"
    assert any("mode.mask" in e for e in bad.json["errors"]["profile"]), bad.json
    clash = upload(client, users["root"], ACME_PROFILE.replace(
        "mask: 0x00FF,\n", "mask: 0x01FF,\n"))
    assert clash.status_code == 422
    assert any("overlaps" in e for e in clash.json["errors"]["profile"]), clash.json
    builtin = upload(client, users["root"], ACME_PROFILE.replace("name: acme-mcb",
                                                                 "name: gw-breaker"))
    assert builtin.status_code == 409 and builtin.json["error"] == "profile_builtin"
    r = upload(client, users["root"], ACME_PROFILE)
    assert r.status_code == 201, r.json
    assert r.json["version"] == 1 and r.json["controls"] == ["close", "open"]
    assert upload(client, users["root"], ACME_PROFILE).json["version"] == 1   # unchanged
    v2 = ACME_PROFILE.replace("ACME MCB-2", "ACME MCB-2b")
    assert upload(client, users["root"], v2).json["version"] == 2
    listed = {p["name"]: p for p in client.get("/api/v1/device-profiles",
                                               headers=users["admin"]).json}
    assert listed["acme-mcb"]["source"] == "uploaded" and listed["acme-mcb"]["version"] == 2
    assert listed["gw-breaker"]["source"] == "builtin"
    down = client.get("/api/v1/device-profiles/acme-mcb", headers=users["admin"])
    assert down.status_code == 200 and down.mimetype == "application/yaml"
    assert down.get_data(as_text=True) == v2
    assert client.get("/api/v1/device-profiles/nope", headers=users["admin"]).status_code == 404
    with app.app_context():
        rows = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity_type == "device_profile").order_by(AuditEntry.id)).all()
        assert [r.after["version"] for r in rows] == [1, 2]
    # a device may only name a profile that loads and describes its kind
    gw = client.post("/api/v1/gateways", json={"site_id": users["site"], "code": "G",
                                               "name": "g", "host": "127.0.0.1"},
                     headers=users["admin"]).json
    body = {"site_id": users["site"], "code": "Q1", "name": "q", "kind": "breaker",
            "gateway_id": gw["id"], "unit_id": 1}
    r = client.post("/api/v1/devices", json={**body, "profile": "nope"}, headers=users["admin"])
    assert r.status_code == 422 and "profile" in r.json["errors"]
    r = client.post("/api/v1/devices", json={**body, "profile": "gw-env"},
                    headers=users["admin"])
    assert r.status_code == 422 and "env_sensor" in r.json["errors"]["profile"][0]
    r = client.post("/api/v1/devices", json={**body, "profile": "acme-mcb"},
                    headers=users["admin"])
    assert r.status_code == 201, r.json


def test_an_uploaded_profile_end_to_end_against_a_simulated_breaker(app, client, users,
                                                                     tmp_path):
    assert upload(client, users["root"], ACME_PROFILE).status_code == 201
    (tmp_path / "acme-mcb.yaml").write_text(ACME_PROFILE, encoding="utf-8")
    fleet = FleetSpec()
    fleet.gateways.append(GatewaySpec("GA", "127.0.0.1", 0))
    fleet.devices.append(DeviceSpec("QA1", "breaker", "GA", 1, "acme-mcb", None, "1P+N", 16.0,
                                    "C", None, 3.7))
    config = SimConfig(tick=0.1, seed=3, start_time=12 * 3600, http_port=0,
                       profile_dirs=(str(tmp_path),))
    with SimulatorThread(fleet, config) as sim:
        breaker = sim.sim.devices["QA1"]
        with app.app_context():
            gw = Gateway(site_id=users["site"], code="GA", name="GA", host="127.0.0.1",
                         port=sim.sim.gateways["GA"].port, timeout_ms=500)
            board = Board(site_id=users["site"], code="B", name="箱", level=2)
            db.session.add_all([gw, board])
            db.session.flush()
            circuit = Circuit(site_id=users["site"], board_id=board.id, code="WL1", name="照明",
                              category="lighting")
            db.session.add(circuit)
            db.session.flush()
            dev = Device(site_id=users["site"], code="QA1", name="ACME", kind="breaker",
                         gateway_id=gw.id, unit_id=1, profile="acme-mcb", circuit_id=circuit.id)
            db.session.add(dev)
            db.session.commit()
            dev_id = dev.id
        poll.reset_for_tests()
        runner = ControlRunner(app, SESSION)
        runner.start()
        try:
            run_poll(app, "fast")
            latest = client.get(f"/api/v1/devices/{dev_id}/latest", headers=users["manager"])
            values = {k: v["v"] for k, v in latest.json["values"].items()}
            assert values["switch_state"] == "closed" and values["mode"] == "auto", values
            with app.app_context():
                assert db.session.get(DeviceStatus, dev_id).online is True
            r = client.post(f"/api/v1/devices/{dev_id}/commands",
                            json={"action": "open", "reason": "型号测试"},
                            headers={**users["manager"], "Idempotency-Key": uuid.uuid4().hex})
            assert r.status_code == 202, r.json
            done = wait_for(lambda: (c := client.get(
                f"/api/v1/commands/{r.json['id']}", headers=users["manager"]).json)["state"]
                not in ("queued", "sent") and c, timeout=10)
            assert done["state"] == "confirmed", done
            assert done["observed"] == {"switch_state": "open"} and breaker.closed is False
            breaker.set_mode("manual")               # the lock flag in the high byte
            run_poll(app, "fast")
            app.config["GW_CONTROL_MIN_INTERVAL_SECONDS"] = 0
            r = client.post(f"/api/v1/devices/{dev_id}/commands",
                            json={"action": "close", "reason": "型号测试"},
                            headers={**users["manager"], "Idempotency-Key": uuid.uuid4().hex})
            done = wait_for(lambda: (c := client.get(
                f"/api/v1/commands/{r.json['id']}", headers=users["manager"]).json)["state"]
                not in ("queued", "sent") and c, timeout=10)
            assert done["state"] == "refused" and done["error"] == "mode_manual"
            assert states(done)[-1] == "refused" and breaker.closed is False
        finally:
            app.config.pop("GW_CONTROL_MIN_INTERVAL_SECONDS", None)
            runner.stop()
            poll.reset_for_tests()

