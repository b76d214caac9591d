"""The centre's view of each site's link (issue 15, docs/sitelink.md): the sites list
gives every site its link (local, up, down, stopped) for the caller's sites, and commands
from the centre to a site box's devices are refused with a stable code while its link is
down (delivered while it is up: tests/test_sitelink_commands.py).

The two platforms of tests/sitelink_world.py; "down" is reached by the setting
GW_UPLINK_DOWN_AFTER_SECONDS, never by waiting."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.accounts.security import Actor
from backend.control import operations as control
from backend.extensions import db
from backend.clock import utcnow
from backend.models import Command, Device, DeviceStatus, Role, Site, User
from backend.sitelink import credentials, outbox
from backend.telemetry.ingest import ingest
from tests.factories import auth, make_site, make_user
from tests.sitelink_world import drain, feed_energy, link, platforms  # noqa: F401  (fixtures)


def _headers(app, name="central-admin"):
    with app.app_context():
        h = auth(db.session.scalar(select(User).where(User.username == name)))
        db.session.commit()
    return h


def _links(w, name="central-admin") -> dict:
    got = w.centre.test_client().get("/api/v1/sites?page_size=100", headers=_headers(w.centre, name))
    assert got.status_code == 200, got.get_json()
    return {s["code"]: s["link"] for s in got.get_json()}


@pytest.fixture
def down_after(link):  # noqa: F811
    """Set GW_UPLINK_DOWN_AFTER_SECONDS at the centre for one test."""
    def set_(seconds):
        link.centre.config["GW_UPLINK_DOWN_AFTER_SECONDS"] = seconds
    yield set_
    link.centre.config.pop("GW_UPLINK_DOWN_AFTER_SECONDS", None)


def test_the_sites_list_shows_each_sites_link(link, down_after):  # noqa: F811
    w = link
    with w.centre.app_context():
        other = make_site("KS-2", "二号看守所")          # polled by the centre itself
        make_user("ks2-staff", Role.staff, [other])
    links = _links(w)
    assert links["KS-2"]["remote"] is False and links["KS-2"]["state"] == "local"
    assert links["DC-DEMO"]["remote"] is True
    assert links["DC-DEMO"]["state"] == "down"             # no batch yet
    assert links["DC-DEMO"]["last_batch_at"] is None
    feed_energy(w, 0, 10)
    drain(w, w.shipper())
    with w.site.app_context():
        last = outbox.state().last_seq
        db.session.commit()
    links = _links(w)
    dc = links["DC-DEMO"]
    assert dc["state"] == "up" and dc["watermark"] == last and dc["last_error"] is None
    assert dc["last_batch_age_seconds"] >= 0
    down_after(0)                                          # any age is now too old
    assert _links(w)["DC-DEMO"]["state"] == "down"
    # Only the caller's sites.
    assert list(_links(w, "ks2-staff")) == ["KS-2"]
    # One site read alone carries it too.
    one = w.centre.test_client().get(f"/api/v1/sites/{w.site_id}", headers=_headers(w.centre))
    assert one.get_json()["link"]["remote"] is True


def test_a_refused_batch_shows_the_site_stopped(link):  # noqa: F811
    w = link
    with w.site.app_context():
        dev = Device(site_id=1, code="PM-SITE-ONLY", name="本地新表", kind="meter")
        db.session.add(dev)
        db.session.commit()
        ingest([(dev.id, utcnow(), {"energy_import": 5.0})])
    shipper = w.shipper()
    for _ in range(2):
        with w.site.app_context():
            shipper.step()
    dc = _links(w)["DC-DEMO"]
    assert dc["state"] == "stopped" and "PM-SITE-ONLY" in dc["last_error"]


def test_commands_to_a_site_box_are_refused(link, down_after):  # noqa: F811
    w = link
    code = "QF-AA1-WL3"
    with w.centre.app_context():
        dev_id = db.session.scalar(select(Device.id).where(Device.code == code))  # the centre's
        db.session.add(DeviceStatus(device_id=dev_id, online=True))
        db.session.commit()
    c = w.centre.test_client()
    h = {**_headers(w.centre), "Idempotency-Key": "k-1"}
    url = f"/api/v1/devices/{dev_id}/commands"
    body = {"action": "open", "reason": "检修"}
    r = c.post(url, json=body, headers=h)                 # never heard from: down
    assert r.status_code == 409 and r.get_json()["error"] == "site_link_down"
    assert "链路中断" in r.get_json()["message_zh"]
    feed_energy(w, 0, 5)
    drain(w, w.shipper())
    r = c.get(f"/api/v1/devices/{dev_id}/settings", headers=h)     # up: the box reads
    assert r.status_code == 409 and r.get_json()["error"] == "site_remote_control"
    assert "站点端操作" in r.get_json()["message_zh"]
    down_after(0)
    r = c.post(url, json=body, headers=h)
    assert r.status_code == 409 and r.get_json()["error"] == "site_link_down"
    with w.centre.app_context():
        refused_left_nothing = db.session.scalar(select(Command.id).limit(1)) is None
        db.session.commit()
    assert refused_left_nothing
    down_after(300)
    r = c.post(url, json=body, headers=h)                 # up: for the box to run
    assert r.status_code == 202 and r.get_json()["delivery"] == "pending"
    # Revoked: the site is the centre's again, and the same request passes this check
    # (refused further on only if the device is not ready).
    with w.centre.app_context():
        admin = db.session.scalar(select(User).where(User.username == "central-admin"))
        credentials.revoke(Actor.of(admin), w.site_id)
        db.session.commit()
    r = c.post(url, json=body, headers={**h, "Idempotency-Key": "k-2"})
    assert r.status_code == 202, r.get_json()


def test_a_forwarded_command_is_not_approved_at_the_centre(link):  # noqa: F811
    w = link
    with w.site.app_context():
        site = db.session.scalar(select(Site))
        make_user("ops", Role.admin, [site])
        db.session.add(DeviceStatus(device_id=w.ids["QF-AA1-WL1"], online=True))
        db.session.commit()
        ops = db.session.scalar(select(User).where(User.username == "ops"))
        cmd = control.request(Actor.of(ops), w.ids["QF-AA1-WL1"],
                              {"action": "open", "reason": "检修"}, "k-1")
        db.session.commit()
        site_cmd = cmd.id
    drain(w, w.shipper())
    with w.centre.app_context():
        mirrored = db.session.scalar(select(Command.id).where(Command.site_origin_id == site_cmd))
        db.session.commit()
    c = w.centre.test_client()
    for verb, body in (("approve", {}), ("reject", {"comment": "不行"}), ("cancel", {})):
        r = c.post(f"/api/v1/commands/{mirrored}/{verb}", json=body, headers=_headers(w.centre))
        assert r.status_code == 409 and r.get_json()["error"] == "site_remote_control", verb
