"""The example facility against the simulator, with a control runner beside the poll jobs
(as in a poll process), users of every role and helpers to send and follow commands."""
from __future__ import annotations

import time
import uuid

import pytest

from backend.control.runner import ControlRunner
from backend.extensions import db
from backend.field.session import SESSION
from backend.models import Command, ControlGrant, Role, Site
from tests.factories import auth, make_user
from tests.test_poller import run_poll, sim, sim_api, site  # noqa: F401  (fixtures)


@pytest.fixture
def runner(app, site):  # noqa: F811
    r = ControlRunner(app, SESSION)
    r.start()
    yield r
    r.stop()


@pytest.fixture
def world(app, site, runner):  # noqa: F811
    """Users of the example site; one fast poll so every device is known online."""
    with app.app_context():
        s = db.session.get(Site, site["site_id"])
        users = {name: make_user(name, role, [s]) for name, role in
                 (("m1", Role.manager), ("m2", Role.manager), ("s1", Role.staff),
                  ("s2", Role.staff), ("ad", Role.admin))}
        w = {"site": s.id, "ids": site["ids"], "runner": runner,
             "users": {k: u.id for k, u in users.items()},
             "h": {k: auth(u) for k, u in users.items()}}
    run_poll(app, "fast")
    return w


def send(client, w, who, code, action, *, key=None, reason="测试", value=None):
    body = {"action": action, "reason": reason}
    if value is not None:
        body["value"] = value
    headers = {**w["h"][who], "Idempotency-Key": key or uuid.uuid4().hex}
    return client.post(f"/api/v1/devices/{w['ids'][code]}/commands", json=body, headers=headers)


def settled(client, w, command_id, who="m1", timeout=10.0) -> dict:
    """The command once it has left every in-flight state."""
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/api/v1/commands/{command_id}", headers=w["h"][who])
        assert r.status_code == 200, r.json
        if r.json["state"] not in ("requested", "awaiting_approval", "queued", "sent") \
                or time.monotonic() > deadline:
            return r.json
        time.sleep(0.05)


def grant(app, w, who, scope, target_id):
    with app.app_context():
        db.session.add(ControlGrant(user_id=w["users"][who], site_id=w["site"], scope=scope,
                                    target_id=target_id))
        db.session.commit()


def states(detail) -> list[str]:
    return [e["state"] for e in detail["events"]]


def command_row(app, command_id) -> Command:
    with app.app_context():
        return db.session.get(Command, command_id)
