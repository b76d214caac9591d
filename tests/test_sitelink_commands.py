"""Commands from the centre to a site box's devices (issue 15, docs/sitelink.md): accepted
at the centre while the link is up and taken by the box into its own lifecycle (its
rights, device state, approvals, executor), exactly once; refused while the link is down;
a request the box refuses or sees too late ends at the centre with the box's code.

The two platforms of tests/sitelink_world.py (the centre behind real HTTP); the box's
executor writes to the pymodbus simulator of tests/test_poller.py."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import select, text

from backend.accounts.security import Actor
from backend.automation import schedule_runner
from backend.automation.schedules import zone_of
from backend.control import execute, reconcile
from backend.control import operations as control
from backend.control import settings as control_settings
from backend.errors import DomainError
from backend.extensions import db
from backend.field.session import SESSION
from backend.models import (
    CentralCommand,
    Command,
    DeviceStatus,
    Gateway,
    Role,
    Schedule,
    Site,
    User,
)
from backend.sitelink import command_down, outbox
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


def test_a_box_command_mirrored_up_is_read_at_the_centre_never_acted_on(world):
    """The box's own command (made there, mirrored up) reads at the centre as any, for a
    user with rights on the site: the detail with its events, the lists; approving,
    rejecting and cancelling it stay the box's (site_remote_control)."""
    w = world
    with w.site.app_context():
        mgr = db.session.scalar(select(User).where(User.username == "mgr"))
        local = control.request(Actor.of(mgr), w.ids["QF-AA1-WL1"],   # protected: waits
                                {"action": "open", "reason": "本地检修"}, "local-read")
        db.session.commit()
        local_id, local_state = local.id, local.state
    assert local_state == "awaiting_approval"
    drain(w, w.ship)
    [(mirrored,)] = _rows(w.centre, "SELECT id FROM commands WHERE site_origin_id = :i",
                          i=local_id)
    got = _detail(w, mirrored)
    assert got["state"] == "awaiting_approval" and got["site_origin_id"] == local_id
    assert got["delivery"] is None and got["can_approve"] is False
    assert got["reason"] == "本地检修" and got["requested_by_name"] == "mgr"
    assert [e["state"] for e in got["events"]] == ["requested", "awaiting_approval"]
    c = w.centre.test_client()
    for path in ("/api/v1/commands", f"/api/v1/devices/{w.c_ids['QF-AA1-WL1']}/commands",
                 f"/api/v1/commands?site_id={w.site_id}&state=awaiting_approval"):
        r = c.get(path, headers=w.headers)
        assert r.status_code == 200, (path, r.get_json())
        assert [(x["id"], x["site_origin_id"]) for x in r.get_json()] == [
            (mirrored, local_id)], path
    # Another manager of the site reads it too, but it is not in their approvals to do:
    # the box's to approve.
    with w.centre.app_context():
        peer = auth(make_user("peer", Role.manager, [db.session.scalar(select(Site))]))
    assert _detail(w, mirrored)["id"] == c.get(f"/api/v1/commands/{mirrored}",
                                               headers=peer).get_json()["id"]
    assert [x["id"] for x in c.get("/api/v1/commands", headers=peer).get_json()] == [mirrored]
    assert c.get("/api/v1/commands?awaiting_my_approval=true", headers=peer).get_json() == []
    with w.centre.app_context():
        peer_can = control.detail(Actor.of(db.session.scalar(
            select(User).where(User.username == "peer"))), mirrored)["can_approve"]
        db.session.commit()
    assert peer_can is False
    for verb, body in (("approve", {}), ("reject", {"comment": "不行"}), ("cancel", {})):
        r = c.post(f"/api/v1/commands/{mirrored}/{verb}", json=body, headers=peer)
        assert r.status_code == 409 and r.get_json()["error"] == "site_remote_control", verb
    # Someone without rights on the site sees nothing of it.
    with w.centre.app_context():
        stranger = auth(make_user("stranger", Role.manager))
    r = c.get(f"/api/v1/commands/{mirrored}", headers=stranger)
    assert r.status_code == 404 and r.get_json()["error"] == "command_not_found"
    assert c.get("/api/v1/commands", headers=stranger).get_json() == []
    # Nothing changed at either end.
    assert _rows(w.centre, "SELECT state FROM commands") == [("awaiting_approval",)]
    assert _rows(w.site, "SELECT state FROM commands") == [("awaiting_approval",)]


def test_two_requests_racing_for_one_box_device_end_in_a_clean_409(world):
    """The service refuses a second command waiting for the box for one device; two
    requests racing past that check meet the partial unique index (migration
    0028_delivery_pending): the second is refused ``command_in_progress``, never a 500.
    The race made certain: the first request's row inserted and not yet committed when the
    second checks (it sees nothing), so the second blocks on the index until the first
    commits."""
    w = world
    engine = w.centre.extensions["gw_engine"]
    first = engine.connect()
    tx = first.begin()
    first.execute(text(
        "INSERT INTO commands (site_id, device_id, action, target, reason, state, "
        "idempotency_key, requested_by_name, requested_at, delivery) VALUES (:s, :d, 'open', "
        "'{}', '检修', 'requested', 'race-first', 'mgr', now(), 'pending')"),
        {"s": w.site_id, "d": w.c_ids[CODE]})
    got = {}
    second = threading.Thread(target=lambda: got.setdefault("r", _send(w, key="race-2")))
    second.start()
    try:
        # Wait until the second request is blocked on the first's uncommitted row.
        for _ in range(300):
            blocked = _rows(w.centre, "SELECT count(*) FROM pg_stat_activity WHERE "
                                      "datname = current_database() AND wait_event_type = "
                                      "'Lock' AND query LIKE 'INSERT INTO commands%'")
            if blocked[0][0] or not second.is_alive():
                break
            second.join(0.1)
        assert blocked == [(1,)], "the second request never reached the index"
    finally:
        tx.commit()
        first.close()
    second.join(30)
    r = got["r"]
    assert r.status_code == 409 and r.get_json()["error"] == "command_in_progress", \
        r.get_json()
    assert r.get_json()["message_zh"]
    assert _rows(w.centre, "SELECT idempotency_key, delivery, state FROM commands") == [
        ("race-first", "pending", "requested")]
    # The same check at once when nothing races (the first committed, then a second).
    again = _send(w)
    assert again.status_code == 409 and again.get_json()["error"] == "command_in_progress"


def test_a_synced_schedule_runs_at_the_cut_off_box_and_flows_up_once(world):
    """A schedule made at the centre reaches the box (configuration down); the link cut,
    it fires at the box (run_due at a chosen time, as tests/test_schedules.py does), its
    command runs and is audited there; once the link returns the command, its events and
    the audit rows arrive at the centre once, the command the box's (not re-run here)."""
    w = world
    with w.site.app_context():
        tz = zone_of(db.session.scalar(select(Site.id)))
        db.session.commit()
    occurrence = (datetime.now(timezone.utc) + timedelta(minutes=3)).replace(
        second=0, microsecond=0)
    r = w.centre.test_client().post("/api/v1/schedules", headers=w.headers, json={
        "site_id": w.site_id, "name": "断网定时分闸", "times": [
            occurrence.astimezone(tz).strftime("%H:%M")],
        "actions": [{"kind": "command", "device_id": w.c_ids[CODE], "action": "open"}]})
    assert r.status_code == 201, r.get_json()
    w.ship.config.every = 0                       # the configuration fetch due every step
    w.ship.config.force()
    for _ in range(3):
        _step(w)
    [(schedule_id, box_action)] = _rows(
        w.site, "SELECT id, actions::text FROM schedules WHERE name = '断网定时分闸'")
    assert f'"device_id": {w.ids[CODE]}' in box_action       # by code: the box's own id

    w.server.stop()                               # the link cut
    with w.site.app_context():                    # as if last checked before the occurrence
        db.session.get(Schedule, schedule_id).checked_until = occurrence - timedelta(minutes=1)
        db.session.commit()
        done = schedule_runner.run_due(occurrence + timedelta(seconds=5))
        box_cmd = db.session.scalar(select(Command).where(Command.origin_kind == "schedule"))
        box_id, by = box_cmd.id, (box_cmd.requested_by, box_cmd.requested_by_name)
        db.session.commit()
        assert execute.execute(box_id, SESSION) == "confirmed"
    assert done["ran"] == 1 and by == (None, f"schedule:{schedule_id}")
    for _ in range(3):                            # the shipper tries: the centre is away
        _step(w)
    with w.site.app_context():
        cut = outbox.status()
        db.session.commit()
    assert cut["state"] == "down" and cut["backlog"] > 0
    assert _rows(w.site, "SELECT status, occurrence = :o FROM schedule_runs",
                 o=occurrence) == [("ran", True)]
    box_audit = _rows(w.site, "SELECT id, action FROM audit_log WHERE entity_type = "
                              "'command' AND entity_id = :i ORDER BY id", i=box_id)
    assert box_audit and box_audit[0][1] == "command"
    box_events = _rows(w.site, "SELECT state FROM command_events WHERE command_id = :i "
                               "ORDER BY id", i=box_id)
    assert [s for (s,) in box_events] == ["requested", "queued", "sent", "confirmed"]
    assert _rows(w.centre, "SELECT count(*) FROM commands") == [(0,)]

    w.server.start()                              # the link back: everything once
    drain(w, w.ship)
    drain(w, w.shipper())                         # a second shipper (a restart) adds nothing
    [(cid, state, origin, delivery, by_name)] = _rows(
        w.centre, "SELECT id, state, origin_kind, delivery, requested_by_name FROM commands "
                  "WHERE site_origin_id = :i", i=box_id)
    assert (state, origin, delivery, by_name) == (
        "confirmed", "schedule", None, f"schedule:{schedule_id}")
    assert _rows(w.centre, "SELECT count(*) FROM commands") == [(1,)]
    assert _rows(w.centre, "SELECT state FROM command_events WHERE command_id = :i "
                           "ORDER BY at, id", i=cid) == box_events
    assert _rows(w.centre, "SELECT origin_id, action FROM audit_log WHERE entity_type = "
                           "'command' AND origin_id IS NOT NULL ORDER BY origin_id") == box_audit
    # The centre's own scheduler at the same moment runs nothing for the box's site: the
    # box runs its copy (a command of no person is not delivered, site_remote_control).
    with w.centre.app_context():
        centre_schedule = db.session.scalar(select(Schedule).where(
            Schedule.name == "断网定时分闸"))
        centre_schedule.checked_until = occurrence - timedelta(minutes=1)
        db.session.commit()
        schedule_runner.run_due(occurrence + timedelta(seconds=5))
        results = [r for (r,) in db.session.execute(text(
            "SELECT results FROM schedule_runs")).all()]
        db.session.commit()
    assert [x.get("error") for x in results[0]] == ["site_remote_control"], results
    assert _rows(w.centre, "SELECT count(*) FROM commands") == [(1,)]
    got = _detail(w, cid)                         # read at the centre, the box's command
    assert got["site_origin_id"] == box_id and got["observed"] == {"switch_state": "open"}
