"""The site box's uplink (issue 15 slice 1, docs/sitelink.md): exactly once, in order,
through a cut link and a shipper restart; revocation, replay, gap, a refused batch.

Two platforms in this process (tests/sitelink_world.py): the site's code driven directly
(telemetry ingest, the alarm evaluation, acknowledgement, the audit writer), the centre
behind real HTTP."""
from __future__ import annotations

import pytest
import requests
from sqlalchemy import select, text

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.alarms import lifecycle
from backend.alarms.evaluate import evaluate
from backend.clock import utcnow
from backend.energy import rollup
from backend.extensions import db
from backend.field.inventory import load_poll_gateways
from backend.models import Alarm, Device, User
from backend.sitelink import SCHEMA, batching, outbox
from backend.telemetry.ingest import ingest
from tests.factories import auth
from tests.sitelink_world import drain, feed_energy, link, platforms  # noqa: F401  (fixtures)


def readings(app, where: str = "") -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT d.code, r.metric_id, r.ts, r.value FROM readings r JOIN devices d "
            f"ON d.id = r.device_id {where} ORDER BY 1, 2, 3")).all()
        db.session.commit()
    return [tuple(r) for r in rows]


def energy(app) -> dict:
    with app.app_context():
        rollup.run()
        rows = db.session.execute(text(
            "SELECT d.code, round(sum(s.import_kwh)::numeric, 6) FROM energy_slots s "
            "JOIN devices d ON d.id = s.device_id GROUP BY 1 ORDER BY 1")).all()
        db.session.commit()
    return dict(rows)


def raise_over_voltage(w, code="QF-AA1-WL1") -> int:
    with w.site.app_context():
        ingest([(w.ids[code], utcnow(), {"voltage_a": 285.0, "voltage_b": 230.0,
                                         "voltage_c": 230.0})])
        evaluate([w.ids[code]])
        db.session.commit()
        alarm = db.session.scalars(select(Alarm).where(Alarm.device_id == w.ids[code])).one()
        return alarm.id


def site_audit(w, n: int) -> None:
    with w.site.app_context():
        for i in range(n):
            audit.record(Actor.system("duty"), "update", "device", w.ids["QF-AA1-WL2"],
                         site_id=1, before={"name": f"n{i}"}, after={"name": f"n{i + 1}"})
            db.session.commit()


def test_batching_core():
    assert batching.take([10, 10, 10], 2, 100) == 2
    assert batching.take([60, 60], 10, 100) == 1
    assert batching.take([500], 10, 100) == 1            # too big: alone, never skipped
    assert batching.watermark(3, [4, 5, 7]) == 5
    assert batching.check_batch(4, 6, [4, 5, 6]) is None
    assert batching.check_batch(4, 6, [4, 6]) is not None
    assert [batching.backoff(n, 1, 60) for n in (1, 2, 3, 7, 30)] == [1, 2, 4, 60, 60]


def test_standalone_queues_nothing(app):
    from tests.factories import make_site
    with app.app_context():
        site = make_site()
        dev = Device(site_id=site.id, code="M1", name="m", kind="meter")
        db.session.add(dev)
        db.session.commit()
        ingest([(dev.id, utcnow(), {"energy_import": 1.0})])
        audit.record(Actor.system(), "update", "device", dev.id, site_id=site.id,
                     before={"a": 1}, after={"a": 2})
        db.session.commit()
        assert db.session.scalar(text("SELECT count(*) FROM uplink_outbox")) == 0


def test_link_cut_exactly_once_in_order(link):  # noqa: F811
    w = link
    feed_energy(w, 0, 30)
    alarm_id = raise_over_voltage(w)
    site_audit(w, 2)
    drain(w, w.shipper())

    # The cut: the centre goes away; the site keeps working and queues.
    w.server.stop()
    shipper = w.shipper()
    feed_energy(w, 30, 60)
    with w.site.app_context():
        duty = db.session.scalar(select(User).where(User.username == "duty"))
        lifecycle.acknowledge(Actor.of(duty), [alarm_id], "on my way")
        db.session.commit()
    site_audit(w, 3)
    for _ in range(3):
        with w.site.app_context():
            shipper.step()
    with w.site.app_context():
        st = outbox.status()
    assert st["state"] == "down" and st["backlog"] >= 8 and st["last_error"]
    assert st["oldest_unsent_seconds"] is not None
    scraped = w.site.test_client().get("/metrics").get_data(as_text=True)
    line = next(x for x in scraped.splitlines() if x.startswith("gridwarden_uplink_backlog "))
    assert float(line.split()[1]) == st["backlog"]
    # The shipper restarts during the cut (a new one knows nothing), more data meanwhile.
    shipper = w.shipper()
    feed_energy(w, 60, 90)
    with w.site.app_context():
        shipper.step()
    w.server.start()
    drain(w, shipper)

    # Every reading exactly once (the readings' own key is (device, metric, ts)).
    assert readings(w.centre) == readings(w.site)
    # Alarms and every event of theirs once, in the site's order.
    with w.site.app_context():
        site_events = db.session.execute(text(
            "SELECT alarm_id, id, kind FROM alarm_events ORDER BY id")).all()
        site_alarms = db.session.execute(text(
            "SELECT a.id, a.rule, a.state, d.code FROM alarms a JOIN devices d "
            "ON d.id = a.device_id ORDER BY a.id")).all()
        site_audits = db.session.execute(text(
            "SELECT id, action, entity_type, after FROM audit_log WHERE entity_type = 'device' "
            "ORDER BY id")).all()
        last_seq = outbox.state().last_seq
        db.session.commit()
    with w.centre.app_context():
        c_events = db.session.execute(text(
            "SELECT a.origin_id, e.origin_id, e.kind FROM alarm_events e JOIN alarms a "
            "ON a.id = e.alarm_id ORDER BY e.id")).all()
        c_alarms = db.session.execute(text(
            "SELECT a.origin_id, a.rule, a.state, d.code FROM alarms a JOIN devices d "
            "ON d.id = a.device_id ORDER BY a.id")).all()
        c_audits = db.session.execute(text(
            "SELECT origin_id, action, entity_type, after FROM audit_log "
            "WHERE origin_id IS NOT NULL AND entity_type = 'device' ORDER BY id")).all()
        seqs = db.session.scalars(text("SELECT seq FROM uplink_received ORDER BY seq")).all()
        db.session.commit()
    assert [tuple(r) for r in c_events] == [tuple(r) for r in site_events]
    assert [e[2] for e in c_events][:1] == ["raised"] and "acknowledged" in [e[2] for e in c_events]
    assert [tuple(r) for r in c_alarms] == [tuple(r) for r in site_alarms]
    assert c_alarms[0][2] == "acknowledged"
    assert [tuple(r) for r in c_audits] == [tuple(r) for r in site_audits]
    assert len([a for a in c_audits if a[1] == "update"]) == 5   # and the import's creates
    assert seqs == list(range(1, last_seq + 1))
    # The centre's energy figures for the period equal the site's.
    site_energy = energy(w.site)
    assert site_energy and energy(w.centre) == site_energy
    # Both ends show the link.
    with w.site.app_context():
        st = outbox.status()
    assert st["state"] == "up" and st["backlog"] == 0 and st["acked_seq"] == last_seq
    c = w.centre.test_client()
    with w.centre.app_context():
        h = auth(db.session.scalar(select(User).where(User.username == "central-admin")))
    got = c.get(f"/api/v1/sites/{w.site_id}/uplink", headers=h).get_json()
    assert got["watermark"] == last_seq and got["remote"] and got["state"] == "up"


def _body(w, items, first=None):
    return {"site_code": "DC-DEMO", "first_seq": first or items[0]["seq"],
            "last_seq": items[-1]["seq"], "schema": SCHEMA, "items": items}


def test_replay_gap_and_revocation(link):  # noqa: F811
    w = link
    feed_energy(w, 0, 15)
    drain(w, w.shipper())
    with w.site.app_context():
        items = outbox.next_batch(0)
    url, h = f"{w.server.url}/api/v1/uplink/batches", {"Authorization": f"Bearer {w.token}"}
    before = readings(w.centre)
    r = requests.post(url, json=_body(w, items), headers=h, timeout=10)   # replayed by hand
    assert r.status_code == 200 and r.json()["stored"] == 0
    assert r.json()["skipped"] == len(items)
    assert readings(w.centre) == before
    gap = [{**items[0], "seq": items[-1]["seq"] + 5}]
    r = requests.post(url, json=_body(w, gap), headers=h, timeout=10)
    assert r.status_code == 409 and r.json()["error"] == "uplink_gap"
    assert r.json()["watermark"] == items[-1]["seq"]
    r = requests.post(url, json={**_body(w, items), "first_seq": 1, "last_seq": 99},
                      headers=h, timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "uplink_malformed"
    r = requests.post(url, json=_body(w, items), headers={"Authorization": "Bearer nope"},
                      timeout=10)
    assert r.status_code == 401 and r.json()["error"] == "site_credential_invalid"

    # Revoked: refused at once, and the site shows why.
    with w.centre.app_context():
        h_admin = auth(db.session.scalar(select(User).where(User.username == "central-admin")))
    c = w.centre.test_client()
    assert c.delete(f"/api/v1/sites/{w.site_id}/credentials", headers=h_admin).status_code == 200
    r = requests.get(f"{w.server.url}/api/v1/uplink/watermark", headers=h, timeout=10)
    assert r.status_code == 401 and r.json()["error"] == "site_credential_revoked"
    feed_energy(w, 15, 20)
    shipper = w.shipper()
    with w.site.app_context():
        shipper.step()
        st = outbox.status()
    assert st["state"] == "down" and "site_credential_revoked" in st["last_error"]
    assert st["backlog"] == 1                         # kept, never discarded
    listed = c.get(f"/api/v1/sites/{w.site_id}/credentials", headers=h_admin).get_json()
    assert [x["active"] for x in listed] == [False] and "token" not in listed[0]


def test_unknown_code_stops_the_stream_at_both_ends(link):  # noqa: F811
    w = link
    with w.site.app_context():
        dev = Device(site_id=1, code="PM-SITE-ONLY", name="本地新表", kind="meter")
        db.session.add(dev)
        db.session.commit()
        ingest([(dev.id, utcnow(), {"energy_import": 5.0})])
    feed_energy(w, 0, 10)
    shipper = w.shipper()
    for _ in range(3):
        with w.site.app_context():
            shipper.step()
    with w.site.app_context():
        st = outbox.status()
        h_site = auth(_admin(w.site))
        bad = db.session.scalar(text("SELECT seq FROM uplink_outbox WHERE kind = 'readings' "
                                     "ORDER BY seq LIMIT 1"))
        db.session.commit()
    assert st["state"] == "stopped" and "PM-SITE-ONLY" in st["last_error"]
    assert st["error_seq"] == bad and st["backlog"] >= 2
    got = w.site.test_client().get("/api/v1/uplink/status", headers=h_site).get_json()
    assert got["state"] == "stopped" and "PM-SITE-ONLY" in got["last_error"]
    with w.centre.app_context():
        h = auth(db.session.scalar(select(User).where(User.username == "central-admin")))
    link_view = w.centre.test_client().get(f"/api/v1/sites/{w.site_id}/uplink",
                                           headers=h).get_json()
    assert link_view["state"] == "stopped" and link_view["error_seq"] == bad
    assert "PM-SITE-ONLY" in link_view["last_error"] and link_view["watermark"] == 0
    assert readings(w.centre) == []                  # the whole batch was refused
    # Fixed at the centre (the device added there), resumed at the site: it flows.
    with w.centre.app_context():
        db.session.add(Device(site_id=w.site_id, code="PM-SITE-ONLY", name="本地新表",
                              kind="meter"))
        db.session.commit()
    r = w.site.test_client().post("/api/v1/uplink/resume", headers=h_site)
    assert r.status_code == 200 and r.get_json()["state"] == "down"
    drain(w, shipper)
    assert readings(w.centre) == readings(w.site)


def _admin(app):
    from backend.models import Role
    from tests.factories import make_user
    return make_user("site-admin", Role.admin, superadmin=True)


def test_old_backlog_raises_uplink_backlog_at_the_site(link):  # noqa: F811
    w = link
    w.site.config["GW_UPLINK_BACKLOG_ALARM_MINUTES"] = 0
    try:
        w.server.stop()
        feed_energy(w, 0, 5)
        shipper = w.shipper()
        with w.site.app_context():
            db.session.execute(text("UPDATE uplink_outbox SET created_at = now() - "
                                    "interval '1 minute'"))
            db.session.commit()
            shipper.step()
            open_ = db.session.scalars(select(Alarm.state).where(
                Alarm.rule == "uplink_backlog")).all()
            db.session.commit()
        assert open_ == ["active"]
        w.server.start()
        drain(w, shipper)
        with w.site.app_context():
            shipper.step()                    # idle: the backlog is checked again
            states = db.session.scalars(select(Alarm.state).where(
                Alarm.rule == "uplink_backlog")).all()
            db.session.commit()
        assert states == ["cleared"]
    finally:
        w.site.config.pop("GW_UPLINK_BACKLOG_ALARM_MINUTES")


def test_the_centre_does_not_poll_a_remote_site(link):  # noqa: F811
    with link.centre.app_context():
        assert load_poll_gateways() == []
    with link.site.app_context():
        assert load_poll_gateways() != []


@pytest.mark.parametrize("role", ["edge"])
def test_role_is_checked(role):
    from backend.config import ConfigError, Settings
    with pytest.raises(ConfigError, match="GW_ROLE"):
        Settings.from_env({"GW_ROLE": role})
    with pytest.raises(ConfigError, match="GW_CENTRAL_URL"):
        Settings.from_env({"GW_ROLE": "site"})
    with pytest.raises(ConfigError, match="http"):
        Settings.from_env({"GW_ROLE": "site", "GW_CENTRAL_URL": "ftp://x",
                           "GW_SITE_TOKEN": "t"})
    ok = Settings.from_env({"GW_ROLE": "site", "GW_CENTRAL_URL": "https://c.example/",
                            "GW_SITE_TOKEN": "t"})
    assert ok.central_url == "https://c.example" and ok.role == "site"
    assert ok.child_environ()["GW_ROLE"] == "site"
