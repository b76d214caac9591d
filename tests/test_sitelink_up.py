"""The rest of the up direction (issue 15, docs/sitelink.md): commands with their events
and meter replacements flow up through the outbox and are stored once at the centre, with
identity by codes; the centre's energy figures are corrected by the site's replacements.

The two platforms of tests/sitelink_world.py: the site's code driven directly (the control
lifecycle, the energy operations), the centre behind real HTTP."""
from __future__ import annotations

from datetime import timedelta

import requests
from sqlalchemy import select, text

from backend.accounts.security import Actor
from backend.control import operations as control
from backend.energy import operations as energy_ops
from backend.extensions import db
from backend.models import DeviceStatus, Role, Site, User
from backend.sitelink import SCHEMA, outbox
from backend.telemetry.ingest import ingest
from tests.factories import make_user
from tests.sitelink_world import T0, drain, link, platforms  # noqa: F401  (fixtures)
from tests.test_sitelink import energy


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
