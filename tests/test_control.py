"""Remote switching end to end: the API, the control runner on the poll session, the
simulator's breakers (real pymodbus servers), read-back, refusals and the audit log."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from backend.extensions import db, redis
from backend.live.keys import site_stream
from backend.models import AuditEntry, Circuit, Command
from tests.control_world import (  # noqa: F401  (fixtures)
    command_row,
    grant,
    runner,
    send,
    settled,
    states,
    world,
)
from tests.sim_world import wait_for
from tests.test_poller import latest, run_poll, sim, sim_api, site  # noqa: F401


def sim_state(sim, code):   # noqa: F811
    return sim.sim.devices[code].closed


def test_manager_opens_and_closes_a_lighting_breaker_with_read_back(app, client, world, sim):  # noqa: F811
    app.config["GW_CONTROL_MIN_INTERVAL_SECONDS"] = 0
    try:
        r = send(client, world, "m1", "QF-AL1-WL1", "open", reason="更换灯具")
        assert r.status_code == 202, r.json
        assert r.json["state"] == "queued" and r.json["target"] == {"switch_state": "open"}
        done = settled(client, world, r.json["id"])
        assert done["state"] == "confirmed", done
        assert states(done) == ["requested", "queued", "sent", "confirmed"]
        assert done["observed"] == {"switch_state": "open"}
        assert done["events"][0]["actor_name"] == "m1" and done["reason"] == "更换灯具"
        assert sim_state(sim, "QF-AL1-WL1") is False
        # the device's latest values: what it confirms, and what was commanded
        lv = client.get(f"/api/v1/devices/{world['ids']['QF-AL1-WL1']}/latest",
                        headers=world["h"]["m1"]).json
        assert lv["values"]["switch_state"]["v"] == "open"
        assert lv["commanded"]["action"] == "open" and lv["commanded"]["state"] == "confirmed"
        r = send(client, world, "m1", "QF-AL1-WL1", "close")
        assert settled(client, world, r.json["id"])["state"] == "confirmed"
        assert sim_state(sim, "QF-AL1-WL1") is True
    finally:
        app.config.pop("GW_CONTROL_MIN_INTERVAL_SECONDS")
    with app.app_context():
        audits = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity_type == "command").order_by(AuditEntry.id)).all()
        assert [a.action for a in audits] == ["command", "command_result"] * 2
        events = [json.loads(f["data"]) for _, f in
                  redis.xrange(site_stream(world["site"])) if f["type"] == "command"]
        assert [e["state"] for e in events][:4] == ["queued", "sent", "confirmed", "queued"]


def test_the_same_idempotency_key_returns_the_same_command(app, client, world, sim):  # noqa: F811
    writes = []
    dev = sim.sim.devices["QF-AL1-WL2"]
    original = dev.command
    dev.command = lambda name, source="remote": writes.append(name) or original(name, source)
    try:
        first = send(client, world, "m1", "QF-AL1-WL2", "open", key="k-1")
        again = send(client, world, "m1", "QF-AL1-WL2", "open", key="k-1")
        assert first.status_code == again.status_code == 202
        assert first.json["id"] == again.json["id"]
        assert settled(client, world, first.json["id"])["state"] == "confirmed"
        assert send(client, world, "m1", "QF-AL1-WL2", "open", key="k-1").json["id"] == \
            first.json["id"]
        other = send(client, world, "m1", "QF-AL1-WL2", "close", key="k-1")
        assert other.status_code == 409 and other.json["error"] == "idempotency_key_reused"
        assert writes == ["open"]
    finally:
        dev.command = original
        dev.command("close", "hand")


def test_refused_at_once_with_a_code_and_a_chinese_reason(app, client, world, sim):  # noqa: F811
    r = send(client, world, "s1", "QF-AL1-WL1", "open")
    assert r.status_code == 403 and r.json["error"] == "control_not_granted"
    assert r.json["message_zh"] == "您没有该回路的控制权限"
    r = send(client, world, "m1", "ENV-PDF-LV", "open")
    assert r.status_code == 422 and r.json["error"] == "action_not_supported"
    assert "action" in r.json["errors"]
    r = client.post(f"/api/v1/devices/{world['ids']['QF-AL1-WL1']}/commands",
                    json={"action": "open", "reason": "x"}, headers=world["h"]["m1"])
    assert r.status_code == 422 and "Idempotency-Key" in r.json["errors"]
    # another command in flight for the device (select-before-operate)
    sim_api(sim, "POST", "/api/devices/QF-AL1-WL2", {"latency_ms": 200})
    try:
        first = send(client, world, "m1", "QF-AL1-WL2", "open")
        r = send(client, world, "m2", "QF-AL1-WL2", "close")
        assert r.status_code == 409 and r.json["error"] == "command_in_progress"
        assert settled(client, world, first.json["id"])["state"] == "confirmed"
    finally:
        sim_api(sim, "POST", "/api/devices/QF-AL1-WL2", {"latency_ms": 0})
    # switched less than the minimum interval ago
    r = send(client, world, "m1", "QF-AL1-WL2", "close")
    assert r.status_code == 409 and r.json["error"] == "switched_too_recently"
    assert "秒" in r.json["message_zh"]
    # offline: the gateway stops answering, a poll marks its devices offline
    sim_api(sim, "POST", "/api/gateways/GW-JQ1", {"silent": True})
    jq1 = world["ids"]["QF-JQ1-WL1"]

    def offline():
        run_poll(app, "fast")
        return client.get(f"/api/v1/devices/{jq1}/status",
                          headers=world["h"]["m1"]).json["online"] is False
    wait_for(offline, timeout=20)
    r = send(client, world, "m1", "QF-JQ1-WL1", "open")
    assert r.status_code == 409 and r.json["error"] == "device_offline", r.json
    sim.sim.devices["QF-AL1-WL2"].command("close", "hand")


def test_staff_control_what_they_are_granted(app, client, world, sim):  # noqa: F811
    with app.app_context():
        circuit = db.session.scalar(select(Circuit.id).where(Circuit.code == "AP-JQ1-WL1"))
    # a grant on the lighting circuit covers what it feeds (board AL-JQ1-1 and its circuits)
    r = client.put(f"/api/v1/users/{world['users']['s1']}/control-grants",
                   json={"grants": [{"scope": "circuit", "target_id": circuit}]},
                   headers=world["h"]["ad"])
    assert r.status_code == 200, r.json
    assert r.json["grants"] == [{"site_id": world["site"], "scope": "circuit",
                                 "target_id": circuit}]
    r = send(client, world, "s1", "QF-AL1-WL1", "open")
    assert r.status_code == 202, r.json
    assert settled(client, world, r.json["id"], "s1")["state"] == "confirmed"
    r = send(client, world, "s1", "QF-AA1-WL3", "open")         # the kitchen: not granted
    assert r.status_code == 403 and r.json["error"] == "control_not_granted"
    assert send(client, world, "s2", "QF-AL1-WL1", "close").status_code == 403
    # staff may not manage grants; an unknown target is named
    r = client.put(f"/api/v1/users/{world['users']['s2']}/control-grants",
                   json={"grants": []}, headers=world["h"]["s1"])
    assert r.status_code == 403
    r = client.put(f"/api/v1/users/{world['users']['s2']}/control-grants",
                   json={"grants": [{"scope": "board", "target_id": 999999}]},
                   headers=world["h"]["ad"])
    assert r.status_code == 422 and "grants.0.target_id" in r.json["errors"]
    sim.sim.devices["QF-AL1-WL1"].command("close", "hand")


def test_manual_and_maintenance_refuse_at_execution_and_nothing_is_written(app, client,
                                                                             world, sim):  # noqa: F811
    writes = []
    dev = sim.sim.devices["QF-AL1-WL1"]
    original = dev.write
    dev.write = lambda *a: writes.append(a) or original(*a)
    try:
        for mode in ("manual", "maintenance"):
            sim_api(sim, "POST", "/api/devices/QF-AL1-WL1", {"mode": mode})
            r = send(client, world, "m1", "QF-AL1-WL1", "open")
            assert r.status_code == 202
            done = settled(client, world, r.json["id"])
            assert done["state"] == "refused" and done["error"] == f"mode_{mode}", done
            assert ("手动" if mode == "manual" else "维修") in done["message_zh"]
            assert states(done) == ["requested", "queued", "refused"]
        assert writes == [] and dev.closed is True
    finally:
        dev.write = original
        sim_api(sim, "POST", "/api/devices/QF-AL1-WL1", {"mode": "auto"})


def test_a_breaker_that_does_not_operate_fails_state_not_confirmed(app, client, world, sim):  # noqa: F811
    app.config["GW_CONTROL_READBACK_MS"] = 800
    sim_api(sim, "POST", "/api/devices/QF-AL1-WL1", {"stuck": True})
    try:
        r = send(client, world, "m1", "QF-AL1-WL1", "open")
        done = settled(client, world, r.json["id"])
        assert done["state"] == "failed" and done["error"] == "not_confirmed", done
        assert done["observed"] == {"switch_state": "closed"}
        assert "状态未确认" in done["message_zh"]
    finally:
        app.config.pop("GW_CONTROL_READBACK_MS")
        sim_api(sim, "POST", "/api/devices/QF-AL1-WL1", {"stuck": False})


def test_protected_circuit_waits_for_a_second_person(app, client, world, sim):  # noqa: F811
    r = send(client, world, "m1", "QF-JQ1-WL4", "open", reason="门禁检修")
    assert r.status_code == 202 and r.json["state"] == "awaiting_approval"
    cid = r.json["id"]
    pending = client.get("/api/v1/commands?awaiting_my_approval=true",
                         headers=world["h"]["m2"]).json
    assert [c["id"] for c in pending] == [cid]
    assert client.get("/api/v1/commands?awaiting_my_approval=true",
                      headers=world["h"]["m1"]).json == []
    own = client.post(f"/api/v1/commands/{cid}/approve", json={}, headers=world["h"]["m1"])
    assert own.status_code == 403 and own.json["error"] == "own_command"
    staff = client.post(f"/api/v1/commands/{cid}/approve", json={}, headers=world["h"]["s1"])
    assert staff.status_code == 403 and staff.json["error"] == "control_not_granted"
    assert sim.sim.devices["QF-JQ1-WL4"].closed is True          # nothing before approval
    assert client.get(f"/api/v1/commands/{cid}", headers=world["h"]["m2"]).json["can_approve"]
    ok = client.post(f"/api/v1/commands/{cid}/approve", json={"comment": "同意"},
                     headers=world["h"]["m2"])
    assert ok.status_code == 200, ok.json
    done = settled(client, world, cid)
    assert done["state"] == "confirmed" and done["approved_by"] == world["users"]["m2"]
    assert states(done) == ["requested", "awaiting_approval", "queued", "sent", "confirmed"]
    assert sim.sim.devices["QF-JQ1-WL4"].closed is False
    sim.sim.devices["QF-JQ1-WL4"].command("close", "hand")


def test_rejected_cancelled_and_expired_approvals(app, client, world):  # noqa: F811
    app.config["GW_CONTROL_MIN_INTERVAL_SECONDS"] = 0
    try:
        cid = send(client, world, "m1", "QF-JQ1-WL4", "open").json["id"]
        r = client.post(f"/api/v1/commands/{cid}/reject", json={"comment": "不在检修时段"},
                        headers=world["h"]["m2"])
        assert r.status_code == 200 and r.json["state"] == "rejected"
        assert "不在检修时段" in r.json["message_zh"]
        again = client.post(f"/api/v1/commands/{cid}/approve", json={},
                            headers=world["h"]["m2"])
        assert again.status_code == 409 and again.json["error"] == "not_awaiting_approval"
        cid = send(client, world, "m1", "QF-JQ1-WL4", "open").json["id"]
        r = client.post(f"/api/v1/commands/{cid}/cancel", json={}, headers=world["h"]["m1"])
        assert r.status_code == 200 and r.json["state"] == "cancelled"
        r = client.post(f"/api/v1/commands/{cid}/cancel", json={}, headers=world["h"]["m1"])
        assert r.status_code == 409 and r.json["error"] == "not_cancellable"
        app.config["GW_CONTROL_APPROVAL_SECONDS"] = 0
        cid = send(client, world, "m1", "QF-JQ1-WL4", "open").json["id"]
        r = client.post(f"/api/v1/commands/{cid}/approve", json={}, headers=world["h"]["m2"])
        assert r.status_code == 409
        assert settled(client, world, cid)["error"] == "approval_expired"
    finally:
        app.config.pop("GW_CONTROL_MIN_INTERVAL_SECONDS")
        app.config.pop("GW_CONTROL_APPROVAL_SECONDS", None)


def test_a_command_not_started_in_time_expires_rather_than_running_late(app, client, world,  # noqa: F811
                                                                        runner, sim):  # noqa: F811
    runner.stop()                                   # no executor for a while
    r = send(client, world, "m1", "QF-AL1-WL1", "open")
    with app.app_context():
        cmd = db.session.get(Command, r.json["id"])
        cmd.expires_at = cmd.requested_at          # its expiry has passed
        db.session.commit()
    from backend.control.runner import ControlRunner
    from backend.field.session import SESSION

    second = ControlRunner(app, SESSION)
    second.start()
    try:
        done = settled(client, world, r.json["id"])
        assert done["state"] == "expired" and done["error"] == "expired"
        assert "过期" in done["message_zh"]
        assert sim.sim.devices["QF-AL1-WL1"].closed is True
    finally:
        second.stop()


def test_killed_between_write_and_read_back_is_reconciled_without_a_second_write(
        app, client, world, runner, sim, monkeypatch):  # noqa: F811
    from backend.control import device_io, execute
    from backend.control.reconcile import reconcile
    from backend.field.session import SESSION

    runner.stop()
    writes = []
    dev = sim.sim.devices["QF-AL1-WL1"]
    original = dev.write
    dev.write = lambda *a: writes.append(a) or original(*a)

    async def write_then_die(conn, profile, unit, writes, expect, readback_s):
        await conn.write_coil(writes[0].address, bool(writes[0].words[0]), unit)
        raise RuntimeError("killed")            # the process dies before its read-back

    monkeypatch.setattr(execute, "write_and_confirm", write_then_die)
    try:
        r = send(client, world, "m1", "QF-AL1-WL1", "open")
        with app.app_context():
            try:
                execute.execute(r.json["id"], SESSION)
            except RuntimeError:
                pass
            db.session.remove()
        assert command_row(app, r.json["id"]).state == "sent"
        monkeypatch.setattr(execute, "write_and_confirm", device_io.write_and_confirm)
        wait_for(lambda: dev.closed is False)
        run_poll(app, "fast")                       # the device's state, polled after it
        with app.app_context():
            assert reconcile()["settled"] == 0      # its executor might still be running
            redis.delete(f"gw:control:executing:{r.json['id']}")
            cmd = db.session.get(Command, r.json["id"])
            cmd.sent_at -= timedelta(seconds=10)    # its read-back window has passed
            db.session.commit()
            assert reconcile()["settled"] == 1
        done = settled(client, world, r.json["id"])
        assert done["state"] == "confirmed" and done["observed"] == {"switch_state": "open"}
        assert len(writes) == 1                     # never written twice
        with app.app_context():
            assert reconcile()["settled"] == 0
    finally:
        dev.write = original
        dev.command("close", "hand")


def test_a_gateway_polled_by_another_process_gets_the_command_through_that_process(
        app, client, world, runner, sim):  # noqa: F811
    """Two poll processes: B is polling GW-JQ1 (slowly) when a command for one of its
    breakers arrives at A; A hands it to B, whose runner writes it between two of its own
    poll exchanges on the same connection."""
    from backend.control.runner import ControlRunner
    from backend.field.session import FieldSession

    other = FieldSession()
    other._owner_id = "box2:poller-1"
    second = ControlRunner(app, other)
    sim_api(sim, "POST", "/api/gateways/GW-JQ1", {"latency_ms": 120})
    try:
        with app.app_context():
            port = sim.sim.gateways["GW-JQ1"].port
            gateways = [(gw, iv) for gw, iv in other.gateways(0, 1) if gw.address.port == port]
            started = other.start(gateways, "fast")
            assert started.gateways                     # B holds GW-JQ1 now
        second.start()
        r = send(client, world, "m1", "QF-AL1-WL1", "open")
        done = settled(client, world, r.json["id"])
        assert done["state"] == "confirmed", done
        assert (r.json["id"], "handed_over") in runner.executed
        assert (r.json["id"], "confirmed") in second.executed
        with app.app_context():
            assert other.wait_idle(10)
            assert other.finished()                     # B's poll finished too
    finally:
        second.stop()
        sim_api(sim, "POST", "/api/gateways/GW-JQ1", {"latency_ms": 0})
        other.reset()
        sim.sim.devices["QF-AL1-WL1"].command("close", "hand")


def test_settings_read_from_the_device_and_written_with_read_back_and_audit(app, client,
                                                                            world, sim):  # noqa: F811
    """The tender's example: turn residual-current protection on later (后期把漏电保护开启)."""
    dev_id = world["ids"]["QF-AA1-WL3"]                # no rated IΔn: monitoring only
    r = client.get(f"/api/v1/devices/{dev_id}/settings", headers=world["h"]["s1"])
    assert r.status_code == 200, r.json
    assert r.json["values"]["residual_protection"] is False
    described = {s["name"]: s for s in r.json["settings"]}
    assert described["over_voltage_trip"]["min"] == 240 and not described["rated_current"][
        "writable"]
    bad = client.put(f"/api/v1/devices/{dev_id}/settings",
                     json={"values": {"over_voltage_trip": 500, "rated_current": 10,
                                      "no_such": 1}, "reason": "x"},
                     headers={**world["h"]["m1"], "Idempotency-Key": "bad"})
    assert bad.status_code == 422 and bad.json["error"] == "invalid_setting"
    assert set(bad.json["errors"]) == {"values.over_voltage_trip", "values.rated_current",
                                       "values.no_such"}
    r = client.put(f"/api/v1/devices/{dev_id}/settings",
                   json={"values": {"residual_protection": True}, "reason": "开启漏电保护"},
                   headers={**world["h"]["m1"], "Idempotency-Key": "rcd-on"})
    assert r.status_code == 202 and r.json["action"] == "settings", r.json
    done = settled(client, world, r.json["id"])
    assert done["state"] == "confirmed", done
    assert done["before"] == {"residual_protection": False}
    assert done["observed"] == {"residual_protection": True}
    with app.app_context():
        result = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity_type == "command", AuditEntry.action == "command_result")).one()
        assert result.before == {"residual_protection": False}
        assert result.after["observed"] == {"residual_protection": True}
    # the breaker now protects: a residual current above its rated IΔn trips it
    try:
        sim_api(sim, "POST", "/api/devices/QF-AA1-WL3", {"set": {"leakage": 45}})
        wait_for(lambda: sim.sim.devices["QF-AA1-WL3"].trip_cause == "residual_current")
    finally:
        sim_api(sim, "POST", "/api/devices/QF-AA1-WL3",
                {"clear": True, "settings": {"residual_protection": False}})
        sim.sim.devices["QF-AA1-WL3"].command("close", "hand")


def test_no_answer_exception_and_read_back_timeout_each_end_the_command(app, client, world,  # noqa: F811
                                                                        sim):  # noqa: F811
    from simulator.devices import ILLEGAL_VALUE

    app.config["GW_CONTROL_READBACK_MS"] = 600
    app.config["GW_CONTROL_MIN_INTERVAL_SECONDS"] = 0
    dev = sim.sim.devices["QF-AL1-WL1"]
    original = dev.write
    try:
        # silent before anything is written: failed, no_answer, nothing written
        dev.silent = True
        done = settled(client, world, send(client, world, "m1", "QF-AL1-WL1", "open").json["id"])
        assert (done["state"], done["error"]) == ("failed", "no_answer"), done
        assert states(done) == ["requested", "queued", "failed"] and dev.closed is True
        dev.silent = False
        # the device answers the write with a Modbus exception
        dev.write = lambda *a: ILLEGAL_VALUE
        done = settled(client, world, send(client, world, "m1", "QF-AL1-WL1", "open").json["id"])
        assert (done["state"], done["error"]) == ("failed", "device_exception"), done
        assert "Modbus exception 3" in done["message"]
        # it takes the write, then stops answering: its state is unknown
        def write_then_fall_silent(*a):
            rc = original(*a)
            dev.silent = True
            return rc
        dev.write = write_then_fall_silent
        done = settled(client, world, send(client, world, "m1", "QF-AL1-WL1", "open").json["id"])
        assert (done["state"], done["error"]) == ("timed_out", "readback_timeout"), done
        assert states(done)[-2:] == ["sent", "timed_out"]
    finally:
        dev.write = original
        dev.silent = False
        app.config.pop("GW_CONTROL_READBACK_MS")
        app.config.pop("GW_CONTROL_MIN_INTERVAL_SECONDS")
        dev.command("close", "hand")
    # a disabled device is refused at once
    r = client.put(f"/api/v1/devices/{world['ids']['QF-AL1-WL2']}", json={"enabled": False},
                   headers=world["h"]["ad"])
    assert r.status_code == 200, r.json
    r = send(client, world, "m1", "QF-AL1-WL2", "open")
    assert r.status_code == 409 and r.json["error"] == "device_disabled"
