"""The rest of the up direction (issue 15, docs/sitelink.md): commands with their events
and meter replacements flow up through the outbox and are stored once at the centre, with
identity by codes; the centre's energy figures are corrected by the site's replacements.

The two platforms of tests/sitelink_world.py: the site's code driven directly (the control
lifecycle, the energy operations), the centre behind real HTTP."""
from __future__ import annotations

import json
from datetime import timedelta

import requests
from sqlalchemy import select, text

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.alarms import lifecycle, timeline
from backend.alarms.evaluate import evaluate
from backend.clock import utcnow
from backend.control import execute, queue, reconcile
from backend.control import operations as control
from backend.energy import operations as energy_ops
from backend.extensions import db, redis
from backend.live.keys import site_channel
from backend.models import (
    Alarm,
    AlarmEvent,
    AuditEntry,
    Board,
    Command,
    Device,
    DeviceStatus,
    Role,
    Site,
    User,
)
from backend.sitelink import SCHEMA, credentials, outbox
from backend.sitelink.shipper import Shipper
from backend.telemetry.ingest import ingest
from tests.factories import make_user
from tests.sitelink_world import T0, drain, link, platforms  # noqa: F401  (fixtures)
from tests.test_sitelink import energy, raise_over_voltage


def _actor(name: str) -> Actor:
    return Actor.of(db.session.scalar(select(User).where(User.username == name)))


def _rows(app, sql: str) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(text(sql)).all()
        db.session.commit()
    return [tuple(r) for r in rows]


def test_commands_and_their_events_flow_up_once(link):  # noqa: F811
    w = link
    with w.centre.app_context():
        make_user("ops", Role.admin, [db.session.scalar(select(Site))])
    with w.site.app_context():
        site = db.session.scalar(select(Site))
        make_user("local-only", Role.admin, [site])      # the centre does not know this one
        make_user("ops", Role.admin, [site])
        for code in ("QF-AA1-WL1", "QF-AA1-WL3"):
            db.session.add(DeviceStatus(device_id=w.ids[code], online=True))
        db.session.commit()
        # A protected circuit: requested by one, approved by another, then cancelled.
        first = control.request(_actor("local-only"), w.ids["QF-AA1-WL1"],
                                {"action": "open", "reason": "检修"}, "k-1")
        db.session.commit()
        first_id = first.id
    drain(w, w.shipper())              # the centre holds it awaiting approval ...
    got = _rows(w.centre, "SELECT state FROM commands")
    assert got == [("awaiting_approval",)]
    with w.site.app_context():
        control.approve(_actor("ops"), first_id, "同意")
        db.session.commit()
        control.cancel(_actor("ops"), first_id, "改期")
        second = control.request(_actor("ops"), w.ids["QF-AA1-WL3"],
                                 {"action": "open", "reason": "食堂检修"}, "k-2")
        db.session.commit()
        control.cancel(_actor("local-only"), second.id, "不用了")
        db.session.commit()
    shipper = w.shipper()
    drain(w, shipper)                  # ... and then its later states, upserted

    q_cmd = ("SELECT {id}, d.code, c.action, c.state, c.reason, c.requested_by_name, "
             "c.error FROM commands c JOIN devices d ON d.id = c.device_id ORDER BY 1")
    site_cmds = _rows(w.site, q_cmd.format(id="c.id"))
    assert [c[3] for c in site_cmds] == ["cancelled", "cancelled"]
    assert _rows(w.centre, q_cmd.format(id="c.site_origin_id")) == site_cmds
    q_ev = ("SELECT c.{id}, e.{eid}, e.state, e.actor_name, e.reason FROM command_events e "
            "JOIN commands c ON c.id = e.command_id ORDER BY e.{eid}")
    site_events = _rows(w.site, q_ev.format(id="id", eid="id"))
    assert [e[2] for e in site_events if e[0] == first_id] == [
        "requested", "awaiting_approval", "queued", "cancelled"]
    assert _rows(w.centre, q_ev.format(id="site_origin_id", eid="origin_id")) == site_events
    # Identity by user names: ops is mapped to the centre's ops, local-only kept as a name.
    with w.centre.app_context():
        ops = db.session.scalar(select(User.id).where(User.username == "ops"))
        db.session.commit()
    people = _rows(w.centre, "SELECT site_origin_id, requested_by, requested_by_name, "
                             "approved_by FROM commands ORDER BY site_origin_id")
    assert people == [(first_id, None, "local-only", ops), (second.id, ops, "ops", None)]
    actors = _rows(w.centre, "SELECT DISTINCT actor_name, actor_id FROM command_events "
                             "ORDER BY 1")
    assert actors == [("local-only", None), ("ops", ops)]

    # A batch replayed by hand (everything from the start) is stored once.
    with w.site.app_context():
        items = outbox.next_batch(0)
    assert "command" in {it["kind"] for it in items}
    body = {"site_code": "DC-DEMO", "first_seq": items[0]["seq"], "last_seq": items[-1]["seq"],
            "schema": SCHEMA, "items": items}
    r = requests.post(f"{w.server.url}/api/v1/uplink/batches", json=body,
                      headers={"Authorization": f"Bearer {w.token}"}, timeout=10)
    assert r.status_code == 200 and r.json()["stored"] == 0
    assert _rows(w.centre, "SELECT count(*) FROM command_events") == [(len(site_events),)]


def _counter(w, code: str, minutes, value) -> None:
    with w.site.app_context():
        ingest([(w.ids[code], T0 + timedelta(minutes=m),
                 {"energy_import": value(m)}) for m in minutes])


def test_meter_replacements_flow_up_and_correct_the_centres_energy(link):  # noqa: F811
    w = link
    code = "PM-AA1-IN"
    _counter(w, code, range(0, 35, 5), lambda m: 5000.0 + m * 2)        # the old meter
    _counter(w, code, range(40, 75, 5), lambda m: 3.0 + (m - 40) * 2)   # the new one, from 3
    shipper = w.shipper()
    drain(w, shipper)
    before = energy(w.centre)
    assert before == energy(w.site)    # both read the drop without knowing of the swap
    with w.site.app_context():
        energy_ops.create_replacement(Actor.system("ops"), {
            "device_id": w.ids[code], "at": T0 + timedelta(minutes=37),
            "readings": {"energy_import": {"old_final": 5070.0, "new_initial": 0.0}},
            "note": "换表"})
        db.session.commit()
    corrected = energy(w.site)
    assert corrected[code] != before[code]           # the replacement changes the figures
    drain(w, shipper)
    assert energy(w.centre) == corrected              # and the centre's follow the site's
    q = ("SELECT {id}, d.code, r.at, r.readings::text, r.note, r.created_by_name "
         "FROM meter_replacements r JOIN devices d ON d.id = r.device_id")
    assert _rows(w.centre, q.format(id="r.origin_id")) == _rows(w.site, q.format(id="r.id"))
    kinds = _rows(w.centre, "SELECT kind, count(*) FROM uplink_received GROUP BY 1 ORDER BY 1")
    assert ("replacement", 1) in kinds


def test_forwarded_audit_rows_map_people_and_entities(link):  # noqa: F811
    w = link
    with w.centre.app_context():
        make_user("ops", Role.admin, [db.session.scalar(select(Site))])
        # The centre's QF-AA1-WL2 gets an id of its own (the imports gave both ends the same).
        db.session.execute(text("UPDATE devices SET code = 'QF-OLD' WHERE code = 'QF-AA1-WL2'"))
        old = db.session.scalar(select(Device).where(Device.code == "QF-OLD"))
        db.session.add(Device(site_id=old.site_id, code="QF-AA1-WL2", name="二监区", kind="breaker"))
        db.session.commit()
        c_dev = db.session.scalar(select(Device.id).where(Device.code == "QF-AA1-WL2"))
        c_ops = db.session.scalar(select(User.id).where(User.username == "ops"))
        c_board = db.session.scalar(select(Board.id).where(Board.code == "AA1"))
    with w.site.app_context():
        ops = make_user("ops", Role.admin, [db.session.scalar(select(Site))])
        site_only = Device(site_id=1, code="PM-SITE-ONLY", name="本地新表", kind="meter")
        db.session.add(site_only)
        db.session.commit()
        s_board = db.session.scalar(select(Board.id).where(Board.code == "AA1"))
        actor = Actor.of(ops)
        audit.record(actor, "update", "device", w.ids["QF-AA1-WL2"], site_id=1,
                     before={"name": "a"}, after={"name": "b"})
        audit.record(actor, "update", "device", site_only.id, site_id=1,
                     before={"name": "a"}, after={"name": "b"})
        audit.record(actor, "update", "user", ops.id, site_id=None,
                     before={"display_name": "a"}, after={"display_name": "b"})
        audit.record(actor, "delete", "board", 9999, site_id=1,      # gone: by its code
                     before={"code": "AA1", "name": "x"})
        audit.record(Actor.system("ops"), "update", "board", s_board, site_id=1,
                     before={"name": "a"}, after={"name": "b"})       # a system actor
        db.session.commit()
        s_ids = {"dev": w.ids["QF-AA1-WL2"], "only": site_only.id, "ops": ops.id}
    alarm_id = raise_over_voltage(w)
    with w.site.app_context():
        lifecycle.acknowledge(Actor.of(db.session.get(User, s_ids["ops"])), [alarm_id])
    drain(w, w.shipper())
    with w.centre.app_context():
        c_alarm = db.session.scalar(select(Alarm.id).where(Alarm.origin_id == alarm_id))
        db.session.commit()
    got = _rows(w.centre, "SELECT entity_type, action, user_id, username, entity_id, "
                          "origin_entity_id FROM audit_log WHERE origin_id IS NOT NULL "
                          "AND username = 'ops' ORDER BY origin_id")
    assert got == [
        ("device", "update", c_ops, "ops", c_dev, s_ids["dev"]),
        ("device", "update", c_ops, "ops", None, s_ids["only"]),   # not at the centre
        ("user", "update", c_ops, "ops", c_ops, s_ids["ops"]),
        ("board", "delete", c_ops, "ops", c_board, 9999),
        ("board", "update", None, "ops", c_board, s_board),
        ("alarm", "acknowledge", c_ops, "ops", c_alarm, alarm_id),
    ]


def test_rows_of_a_rolled_back_savepoint_are_not_sent_up(link):  # noqa: F811
    w = link
    alarm_id = raise_over_voltage(w)
    with w.site.app_context():
        timeline.add_event(alarm_id, "comment", utcnow(), text="before the savepoint")
        try:
            with db.session.begin_nested():
                timeline.add_event(alarm_id, "comment", utcnow(), text="rolled back")
                audit.record(Actor.system("duty"), "comment", "alarm", alarm_id, site_id=1,
                             after={"comment": "rolled back"})
                db.session.flush()
                raise RuntimeError("an automation action failed")
        except RuntimeError:
            pass
        timeline.add_event(alarm_id, "comment", utcnow(), text="kept")
        db.session.commit()
        site_events = db.session.execute(text(
            "SELECT id, kind, data::text FROM alarm_events ORDER BY id")).all()
        db.session.commit()
    assert "rolled back" not in str(site_events)
    drain(w, w.shipper())
    got = _rows(w.centre, "SELECT origin_id, kind, data::text FROM alarm_events ORDER BY id")
    assert got == [tuple(r) for r in site_events]
    assert "kept" in str(got) and "before the savepoint" in str(got)
    assert _rows(w.centre, "SELECT count(*) FROM audit_log WHERE after::text LIKE "
                           "'%rolled back%'") == [(0,)]


def _ours(pubsub, timeout: float, until: int = 0) -> list[dict]:
    """The alarm and command events received on the channel (another test run's readings
    may share a Redis db on a shared machine), reading until ``until`` of them came or
    nothing more comes within ``timeout``."""
    got = []
    while (msg := pubsub.get_message(timeout=timeout)) is not None:
        if msg["type"] == "message":
            event = json.loads(msg["data"])
            if event["type"] in ("alarm", "command"):
                got.append(event)
        if until and len(got) >= until:
            break
    return got


def test_first_credential_closes_the_centres_own_open_alarms(link):  # noqa: F811
    w = link
    code = "QF-AA1-WL1"
    with w.centre.app_context():
        admin = db.session.scalar(select(User).where(User.username == "central-admin"))
        ids = {d.code: d.id for d in db.session.scalars(select(Device))}   # the centre's
        credentials.revoke(Actor.of(admin), w.site_id)     # the centre polls it again ...
        db.session.commit()
        ingest([(ids[code], utcnow(), {"voltage_a": 285.0, "voltage_b": 230.0,
                                       "voltage_c": 230.0})])
        evaluate([ids[code]])                            # ... and raises its own alarm
        db.session.commit()
        own = db.session.scalar(select(Alarm).where(Alarm.device_id == ids[code]))
        assert own.state == "active" and own.origin_id is None
        db.session.add(DeviceStatus(device_id=ids["QF-AA1-WL3"], online=True))
        db.session.commit()
        queued = control.request(Actor.of(admin), ids["QF-AA1-WL3"],
                                 {"action": "open", "reason": "检修"}, "k-centre").id
        db.session.commit()
        # Listening on the site's live channel, as an open PWA's stream does.
        pubsub = redis.current().pubsub()
        pubsub.subscribe(site_channel(w.site_id))
        pubsub.get_message(timeout=1)                   # subscribe confirmation
        token = credentials.create(Actor.of(admin), w.site_id)["token"]
        before_commit = _ours(pubsub, 0.2)
        db.session.commit()
        live = _ours(pubsub, 2)
        pubsub.close()
        cancelled = db.session.get(Command, queued).state
        own = db.session.get(Alarm, own.id)
        events = db.session.scalars(select(AlarmEvent.kind).where(
            AlarmEvent.alarm_id == own.id).order_by(AlarmEvent.id)).all()
        closed_audit = db.session.scalar(select(AuditEntry.id).where(
            AuditEntry.entity_type == "alarm", AuditEntry.entity_id == own.id,
            AuditEntry.action == "close"))
        db.session.commit()
    assert own.state == "closed" and events[-1] == "closed" and closed_audit
    assert cancelled == "cancelled"        # the centre's own command, never sent
    # Both went out on the site's live stream once committed (nothing before): the alarm
    # as the normal close path publishes it, the command as every transition does.
    assert before_commit == []
    alarms_live = [e["data"] for e in live if e["type"] == "alarm"]
    assert [(a["id"], a["state"], a["site_id"]) for a in alarms_live] == [
        (own.id, "closed", w.site_id)]
    assert alarms_live[0]["closed_at"] and alarms_live[0]["rule"] == own.rule
    assert [(e["data"]["id"], e["data"]["state"]) for e in live if e["type"] == "command"] \
        == [(queued, "cancelled")]
    # The site box's alarm for the same device and rule is stored beside it.
    site_alarm = raise_over_voltage(w, code)
    drain(w, Shipper(w.server.url, token))
    got = _rows(w.centre, "SELECT origin_id, state FROM alarms ORDER BY id")
    assert got == [(None, "closed"), (site_alarm, "active")]


def test_the_centre_leaves_forwarded_commands_to_the_site(link):  # noqa: F811
    """A forwarded queued command is the site's: the centre's reconciler neither pushes it
    to its own executor nor expires it, and the executor skips it."""
    w = link
    with w.site.app_context():
        db.session.add(DeviceStatus(device_id=w.ids["QF-AA1-WL3"], online=True))
        make_user("ops", Role.admin, [db.session.scalar(select(Site))])
        cmd = control.request(_actor("ops"), w.ids["QF-AA1-WL3"],
                              {"action": "open", "reason": "检修"}, "k-1")
        db.session.commit()
        site_cmd = cmd.id
    drain(w, w.shipper())
    with w.centre.app_context():
        db.session.execute(text("UPDATE commands SET expires_at = now() - interval '1 hour'"))
        db.session.commit()
        counts = reconcile.reconcile()
        mirrored = db.session.scalar(select(Command).where(Command.site_origin_id == site_cmd))
        state, cid = mirrored.state, mirrored.id
        queued = redis.current().llen(queue.QUEUE_KEY)
        db.session.commit()
        assert execute.execute(cid, None) == "skipped"
    assert counts == {"expired": 0, "pushed": 0, "settled": 0}
    assert state == "queued" and queued == 0


def test_commands_and_replacements_made_during_a_cut_arrive_once(link):  # noqa: F811
    """The link cut with the new kinds: made while the centre is away, a shipper restart
    in between; once back, each arrives once and the energy figures agree."""
    w = link
    code = "PM-AA1-IN"
    _counter(w, code, range(0, 35, 5), lambda m: 7000.0 + m * 3)
    drain(w, w.shipper())
    w.server.stop()
    with w.site.app_context():
        make_user("ops", Role.admin, [db.session.scalar(select(Site))])
        db.session.add(DeviceStatus(device_id=w.ids["QF-AA1-WL3"], online=True))
        db.session.commit()
        cmd = control.request(_actor("ops"), w.ids["QF-AA1-WL3"],
                              {"action": "open", "reason": "断网时操作"}, "k-cut")
        db.session.commit()
        control.cancel(_actor("ops"), cmd.id, "取消")
        db.session.commit()
    _counter(w, code, range(40, 75, 5), lambda m: 1.0 + (m - 40) * 3)
    with w.site.app_context():
        energy_ops.create_replacement(_actor("ops"), {
            "device_id": w.ids[code], "at": T0 + timedelta(minutes=37),
            "readings": {"energy_import": {"old_final": 7105.0, "new_initial": 0.0}}})
        db.session.commit()
    shipper = w.shipper()
    with w.site.app_context():
        shipper.step()
        assert outbox.status()["state"] == "down"
    shipper = w.shipper()                 # restarted during the cut
    w.server.start()
    drain(w, shipper)
    q_ev = ("SELECT c.{id}, e.{eid}, e.state, e.actor_name FROM command_events e "
            "JOIN commands c ON c.id = e.command_id ORDER BY e.{eid}")
    site_events = _rows(w.site, q_ev.format(id="id", eid="id"))
    assert [e[2] for e in site_events] == ["requested", "queued", "cancelled"]
    assert _rows(w.centre, q_ev.format(id="site_origin_id", eid="origin_id")) == site_events
    assert _rows(w.centre, "SELECT count(*) FROM meter_replacements") == [(1,)]
    assert energy(w.centre) == energy(w.site)
    with w.site.app_context():
        last = outbox.state().last_seq
        db.session.commit()
    seqs = _rows(w.centre, "SELECT seq FROM uplink_received ORDER BY seq")
    assert seqs == [(s,) for s in range(1, last + 1)]
