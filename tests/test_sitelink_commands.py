"""Commands from the centre to a site box's devices (issue 15, docs/sitelink.md): accepted
at the centre while the link is up and taken by the box into its own lifecycle (its
rights, device state, approvals, executor), exactly once; refused while the link is down;
a request the box refuses or sees too late ends at the centre with the box's code.

The two platforms of tests/sitelink_world.py (the centre behind real HTTP); the box's
executor writes to the pymodbus simulator of tests/test_poller.py."""
from __future__ import annotations

import uuid

import pytest
import requests
from sqlalchemy import select, text

from backend.accounts.security import Actor
from backend.control import execute, reconcile
from backend.control import operations as control
from backend.control import settings as control_settings
from backend.errors import DomainError
from backend.extensions import db
from backend.field.session import SESSION
from backend.models import CentralCommand, DeviceStatus, Gateway, Role, Site, User
from backend.sitelink import command_down
from tests.factories import auth, make_user
from tests.sitelink_world import drain, feed_energy, link, platforms  # noqa: F401  (fixtures)
from tests.test_poller import sim  # noqa: F401  (fixture)

CODE = "QF-AA1-WL3"            # an unprotected breaker of the example facility


def _rows(app, sql: str, **params) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(text(sql), params).all()
        db.session.commit()
    return [tuple(r) for r in rows]


@pytest.fixture
def world(link, sim):  # noqa: F811
    """The link up, a centre manager known at the box (configuration down), the box's
    gateways on the simulator and its devices online."""
    w = link
    with w.centre.app_context():
        mgr = make_user("mgr", Role.manager, [db.session.scalar(select(Site))])
        w.headers = auth(mgr)
        w.c_ids = dict(db.session.execute(text("SELECT code, id FROM devices")).all())
    with w.site.app_context():
        for gw in db.session.scalars(select(Gateway)):
            gw.port = sim.sim.gateways[gw.code].port
            gw.timeout_ms = 300
        for device_id in w.ids.values():
            db.session.merge(DeviceStatus(device_id=device_id, online=True))
        db.session.commit()
    feed_energy(w, 0, 5)
    w.ship = w.shipper()
    drain(w, w.ship)
    assert _rows(w.site, "SELECT role FROM users WHERE username = 'mgr'") == [("manager",)]
    yield w
    w.centre.config.pop("GW_UPLINK_DOWN_AFTER_SECONDS", None)


def _send(w, code=CODE, action="open", key=None):
    return w.centre.test_client().post(
        f"/api/v1/devices/{w.c_ids[code]}/commands", json={"action": action, "reason": "检修"},
        headers={**w.headers, "Idempotency-Key": key or uuid.uuid4().hex})


def _detail(w, command_id) -> dict:
    r = w.centre.test_client().get(f"/api/v1/commands/{command_id}", headers=w.headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _step(w) -> None:
    with w.site.app_context():
        w.ship.step()


def _box_command(w, central_id) -> int | None:
    got = _rows(w.site, "SELECT id FROM commands WHERE central_id = :c", c=central_id)
    return got[0][0] if got else None


def test_a_centre_manager_switches_a_box_device_and_sees_it_confirmed(world):
    w = world
    r = _send(w, key="k-1")
    assert r.status_code == 202, r.get_json()
    first = r.get_json()
    assert first["state"] == "requested" and first["delivery"] == "pending"
    again = _send(w, key="k-1")                       # the same Idempotency-Key: the same
    assert again.status_code == 202 and again.get_json()["id"] == first["id"]
    busy = _send(w)                                   # one waiting for the box already
    assert busy.status_code == 409 and busy.get_json()["error"] == "command_in_progress"
    audited = _rows(w.centre, "SELECT action, u.username FROM audit_log a JOIN users u "
                              "ON u.id = a.user_id WHERE entity_type = 'command' "
                              "AND entity_id = :i", i=first["id"])
    assert audited == [("command", "mgr")]

    _step(w)                                          # the box takes it
    box_id = _box_command(w, first["id"])
    assert box_id is not None
    people = _rows(w.site, "SELECT c.state, c.requested_by_name, u.username FROM commands c "
                           "JOIN users u ON u.id = c.requested_by WHERE c.id = :i", i=box_id)
    assert people == [("queued", "mgr", "mgr")]
    with w.site.app_context():
        assert execute.execute(box_id, SESSION) == "confirmed"
    drain(w, w.ship)
    got = _detail(w, first["id"])
    assert got["state"] == "confirmed" and got["delivery"] == "delivered"
    assert got["observed"] == {"switch_state": "open"}
    assert {"queued", "sent", "confirmed"} <= {e["state"] for e in got["events"]}
    # The centre's own row mirrors the box's command: no second row for it.
    assert _rows(w.centre, "SELECT count(*) FROM commands") == [(1,)]
    assert _rows(w.centre, "SELECT site_origin_id FROM commands") == [(box_id,)]
    # Audited at the box too (the command by mgr), and that audit row flowed up.
    assert _rows(w.centre, "SELECT count(*) FROM audit_log WHERE origin_id IS NOT NULL AND "
                           "entity_type = 'command' AND action = 'command'") == [(1,)]


def test_the_link_cut_refuses_site_link_down(world):
    w = world
    w.centre.config["GW_UPLINK_DOWN_AFTER_SECONDS"] = 0    # no batch for too long: down
    r = _send(w)
    assert r.status_code == 409 and r.get_json()["error"] == "site_link_down"
    assert _rows(w.centre, "SELECT count(*) FROM commands") == [(0,)]


def test_a_request_the_box_refuses_ends_with_its_code(world):
    w = world
    # At the box the manager was made staff by a local admin (kept, not overwritten):
    # the box's rights decide, not the centre's.
    with w.site.app_context():
        db.session.execute(text("UPDATE users SET role = 'staff' WHERE username = 'mgr'"))
        db.session.commit()
    no_right = _send(w).get_json()["id"]
    _step(w)
    got = _detail(w, no_right)
    assert got["state"] == "failed" and got["error"] == "control_not_granted"
    assert got["delivery"] == "delivered" and got["message_zh"]
    assert _box_command(w, no_right) is None
    with w.site.app_context():
        db.session.execute(text("UPDATE users SET role = 'manager' WHERE username = 'mgr'"))
        db.session.execute(text("UPDATE device_status SET online = false WHERE device_id = :d"),
                           {"d": w.ids[CODE]})
        db.session.commit()
    offline = _send(w).get_json()["id"]
    _step(w)
    assert _detail(w, offline)["error"] == "device_offline"
    with w.site.app_context():     # renamed and deactivated by a local admin (kept)
        db.session.execute(text("UPDATE devices SET code = 'QF-LOCAL' WHERE id = :d"),
                           {"d": w.ids["QF-AA1-WL2"]})
        db.session.commit()
    unknown = _send(w, code="QF-AA1-WL2").get_json()["id"]
    _step(w)
    with w.site.app_context():
        db.session.execute(text("UPDATE users SET is_active = false WHERE username = 'mgr'"))
        db.session.commit()
    inactive = _send(w, code="QF-AA1-WL4").get_json()["id"]
    _step(w)
    assert _detail(w, unknown)["error"] == "site_device_unknown"
    assert "QF-AA1-WL2" in _detail(w, unknown)["message_zh"]
    assert _detail(w, inactive)["error"] == "site_user_unknown"
    refusals = _rows(w.site, "SELECT entity_id, after->>'error' FROM audit_log WHERE "
                             "entity_type = 'central_command' ORDER BY id")
    assert refusals == [(no_right, "control_not_granted"), (offline, "device_offline"),
                        (unknown, "site_device_unknown"), (inactive, "site_user_unknown")]
    assert _rows(w.site, "SELECT count(*) FROM commands") == [(0,)]


def test_a_late_request_is_expired_at_the_box(world):
    w = world
    late = _send(w).get_json()["id"]
    with w.centre.app_context():
        db.session.execute(text("UPDATE commands SET requested_at = now() - interval "
                                "'10 minutes' WHERE id = :i"), {"i": late})
        db.session.commit()
    _step(w)
    got = _detail(w, late)
    assert got["state"] == "expired" and got["error"] == "expired"
    assert "120" in got["message"]
    assert _box_command(w, late) is None
    assert _rows(w.site, "SELECT count(*) FROM commands") == [(0,)]


def test_a_request_delivered_twice_is_executed_once(world):
    w = world
    cid = _send(w).get_json()["id"]
    auth_h = {"Authorization": f"Bearer {w.token}"}
    url = f"{w.server.url}/api/v1/uplink/commands"
    listed = [requests.get(url, headers=auth_h, timeout=10).json()["commands"]
              for _ in range(2)]
    assert [[c["id"] for c in got] for got in listed] == [[cid], [cid]]
    with w.site.app_context():
        made = [command_down.take(req) for got in listed for req in got]
        rows = db.session.scalars(select(CentralCommand)).all()
        db.session.commit()
    assert made == [True, False] and len(rows) == 1
    box_id = _box_command(w, cid)
    assert _rows(w.site, "SELECT count(*) FROM commands") == [(1,)]
    # Its states flow up before the box's answer: the centre's row is linked by them.
    drain(w, w.ship)
    assert _rows(w.centre, "SELECT id, site_origin_id, delivery, state FROM commands") == [
        (cid, box_id, "delivered", "queued")]
    with w.site.app_context():
        assert execute.execute(box_id, SESSION) == "confirmed"
        assert execute.execute(box_id, SESSION) == "skipped"       # taken once
        db.session.commit()
    # The answer posted twice (a lost acknowledgement): nothing changes the second time.
    body = {"results": [{"id": cid, "command_id": box_id}]}
    answers = [requests.post(f"{url}/results", json=body, headers=auth_h, timeout=10).json()
               for _ in range(2)]
    assert answers == [{"answered": 0}, {"answered": 0}]      # linked by the batch already
    drain(w, w.ship)
    assert _rows(w.centre, "SELECT count(*), max(state) FROM commands") == [(1, "confirmed")]
    assert requests.get(url, headers=auth_h, timeout=10).json()["commands"] == []
    with w.site.app_context():
        unreported = db.session.scalar(select(CentralCommand.id).where(
            CentralCommand.reported_at.is_(None)))
        db.session.commit()
    assert unreported is None                      # the shipper reported it meanwhile


def test_the_box_never_answers_for_another_site(world):
    w = world
    with w.centre.app_context():
        ids = db.session.scalars(select(User.id)).all()
        db.session.commit()
    r = requests.post(f"{w.server.url}/api/v1/uplink/commands/results",
                      json={"results": [{"id": 999999, "error": "x"}]},
                      headers={"Authorization": f"Bearer {w.token}"}, timeout=10)
    assert r.status_code == 200 and r.json() == {"answered": 0} and ids
    r = requests.get(f"{w.server.url}/api/v1/uplink/commands",
                     headers={"Authorization": "Bearer nope"}, timeout=10)
    assert r.status_code == 401 and r.json()["error"] == "site_credential_invalid"
    assert _rows(w.centre, "SELECT count(*) FROM commands") == [(0,)]


def test_one_never_taken_expires_at_the_centre_and_automation_is_the_boxs(world):
    w = world
    cid = _send(w).get_json()["id"]
    with w.centre.app_context():
        db.session.execute(text("UPDATE commands SET requested_at = now() - interval "
                                "'10 minutes' WHERE id = :i"), {"i": cid})
        db.session.commit()
        assert reconcile.reconcile()["expired"] == 1
        # A schedule or rule run here (no person): the box runs its own copy of them.
        with pytest.raises(DomainError) as refused:
            control.request(Actor.system("schedule"), w.c_ids["QF-AA1-WL2"],
                            {"action": "open", "reason": "定时"}, "sched-1")
        db.session.rollback()
    assert refused.value.error == "site_remote_control"
    got = _detail(w, cid)
    assert got["state"] == "expired" and got["error"] == "expired"
    _step(w)                                   # no longer listed: the box never sees it
    assert _rows(w.site, "SELECT count(*) FROM central_commands") == [(0,)]


def test_a_protected_circuit_waits_for_approval_at_the_box_and_a_batch_is_delivered(world):
    w = world
    with w.site.app_context():
        make_user("ops", Role.admin, [db.session.scalar(select(Site))])   # the box's own
    r = w.centre.test_client().post(
        "/api/v1/commands/batches", headers={**w.headers, "Idempotency-Key": "b-1"},
        json={"device_ids": [w.c_ids["QF-AA1-WL1"], w.c_ids[CODE]], "action": "open",
              "reason": "检修"})
    assert r.status_code in (200, 201, 202), r.get_json()
    sent = {c["device_id"]: c for c in r.get_json()["commands"]}
    assert r.get_json()["refused"] == [] and len(sent) == 2
    assert {c["delivery"] for c in sent.values()} == {"pending"}
    protected = sent[w.c_ids["QF-AA1-WL1"]]["id"]
    _step(w)
    box_id = _box_command(w, protected)
    drain(w, w.ship)
    got = _detail(w, protected)
    assert got["state"] == "awaiting_approval" and got["can_approve"] is False
    refused = w.centre.test_client().post(f"/api/v1/commands/{protected}/approve", json={},
                                          headers=w.headers)
    assert refused.status_code == 409 and refused.get_json()["error"] == "site_remote_control"
    with w.site.app_context():
        ops = db.session.scalar(select(User).where(User.username == "ops"))
        control.approve(Actor.of(ops), box_id, "同意")
        db.session.commit()
        assert execute.execute(box_id, SESSION) == "confirmed"
    drain(w, w.ship)
    got = _detail(w, protected)
    assert got["state"] == "confirmed"
    assert [e["state"] for e in got["events"] if e["state"] == "awaiting_approval"]
    assert _rows(w.centre, "SELECT count(*) FROM commands") == [(2,)]


def test_a_box_command_and_a_waiting_centre_one_for_one_device_do_not_stop_the_stream(world):
    w = world
    with w.site.app_context():
        mgr = db.session.scalar(select(User).where(User.username == "mgr"))
        local = control.request(Actor.of(mgr), w.ids[CODE], {"action": "open",
                                                             "reason": "本地"}, "local-1")
        db.session.commit()
        local_id = local.id
    waiting = _send(w).get_json()["id"]          # the centre does not know of it yet
    drain(w, w.ship)                             # the box's queued one mirrored beside it
    assert _rows(w.centre, "SELECT site_origin_id, state FROM commands ORDER BY id") == [
        (None, "failed"), (local_id, "queued")]
    got = _detail(w, waiting)
    assert got["error"] == "command_in_progress"    # the box refused it: one in flight there


def test_a_settings_change_is_delivered_and_written_at_the_box(world, sim):  # noqa: F811
    w = world
    r = w.centre.test_client().put(
        f"/api/v1/devices/{w.c_ids[CODE]}/settings", headers={**w.headers,
                                                              "Idempotency-Key": "s-1"},
        json={"values": {"residual_protection": True}, "reason": "开启漏电保护"})
    assert r.status_code == 202 and r.get_json()["delivery"] == "pending", r.get_json()
    cid = r.get_json()["id"]
    _step(w)
    box_id = _box_command(w, cid)
    with w.site.app_context():
        try:
            assert execute.execute(box_id, SESSION) == "confirmed"
        finally:
            db.session.rollback()
    drain(w, w.ship)
    got = _detail(w, cid)
    assert got["state"] == "confirmed" and got["action"] == "settings"
    assert got["settings"] == {"residual_protection": True}
    assert got["before"] == {"residual_protection": False}
    with w.site.app_context():               # the simulator's breaker as the next test expects
        mgr = db.session.scalar(select(User).where(User.username == "mgr"))
        undo = control_settings.request_change(
            Actor.of(mgr), w.ids[CODE], {"values": {"residual_protection": False},
                                         "reason": "复原"}, "undo-1")
        db.session.commit()
        assert execute.execute(undo.id, SESSION) == "confirmed"
