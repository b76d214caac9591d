"""The two-person rule's second person is told: a command on a protected circuit puts one
outbox row per possible approver (never the requester), delivered through the alarm
channels by the notify worker; a row still due after the decision is suppressed."""
from __future__ import annotations

import requests
from rq import SimpleWorker
from sqlalchemy import select

from backend.extensions import db, redis
from backend.jobs import get_queue
from backend.models import Notification, NotifyProfile
from tests.control_world import runner, send, settled, world  # noqa: F401  (fixtures)
from tests.test_poller import run_poll, sim, sim_api, site  # noqa: F401


def _deliver_all(app):
    with app.app_context():
        q = get_queue("notify", redis.raw())
        SimpleWorker([q], connection=redis.raw()).work(burst=True)


def test_approvers_are_told_through_the_alarm_channels(app, client, world, sim,  # noqa: F811
                                                        notify_standin):
    with app.app_context():
        for name in ("m1", "m2", "ad"):
            db.session.add(NotifyProfile(user_id=world["users"][name],
                                         channels=["wechat_template"], oa_openid=f"oa-{name}"))
        db.session.commit()
    r = send(client, world, "m1", "QF-JQ1-WL4", "open", reason="门禁检修")
    assert r.status_code == 202 and r.json["state"] == "awaiting_approval"
    with app.app_context():
        rows = db.session.scalars(select(Notification).where(
            Notification.command_id == r.json["id"])).all()
        told = sorted(n.user_id for n in rows)
    # managers and admins of the site may approve; staff s1/s2 have no grant; not m1
    assert told == sorted([world["users"]["m2"], world["users"]["ad"]])
    _deliver_all(app)
    msgs = requests.get(notify_standin.url + "/_standin/messages",
                        params={"channel": "wechat_template"}, timeout=5).json()
    to = sorted(m["recipient"] for m in msgs)
    assert to == ["oa-ad", "oa-m2"], msgs
    assert all("待审批" in str(m) and "门禁检修" in str(m) for m in msgs)
    # decided before a (re)delivery: suppressed, nothing more is sent
    ok = client.post(f"/api/v1/commands/{r.json['id']}/approve", json={},
                     headers=world["h"]["m2"])
    assert ok.status_code == 200
    assert settled(client, world, r.json["id"])["state"] == "confirmed"
    with app.app_context():
        n = db.session.get(Notification, rows[0].id)
        n.status, n.channel_index = "pending", 0
        db.session.commit()
        from backend.notify import outbox
        outbox.enqueue([n.id])
    _deliver_all(app)
    with app.app_context():
        assert db.session.get(Notification, rows[0].id).status == "suppressed"
    assert len(requests.get(notify_standin.url + "/_standin/messages",
                            params={"channel": "wechat_template"}, timeout=5).json()) == 2
    sim.sim.devices["QF-JQ1-WL4"].command("close", "hand")
