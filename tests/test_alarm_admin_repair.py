"""Repair orders through the HTTP API: creation from an alarm, status transitions, the
alarm timeline, photos (checked by their bytes), scoping and audit."""
import io
from datetime import datetime, timezone

import pytest

from backend import photos
from backend.extensions import db
from backend.models import Alarm, AlarmEvent, AuditEntry, Device, Role
from tests.factories import auth, make_site, make_user

URL = "/api/v1/repair-orders"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64


@pytest.fixture
def w(ctx):
    a, b = make_site("A", "甲所"), make_site("B", "乙所")
    dev = Device(site_id=a.id, code="QF1", name="断路器", kind="breaker")
    dev_b = Device(site_id=b.id, code="QF9", name="乙所断路器", kind="breaker")
    db.session.add_all([dev, dev_b])
    db.session.flush()
    now = datetime.now(timezone.utc)
    alarm = Alarm(site_id=a.id, device_id=dev.id, rule="overload", level="alarm",
                  state="active", message="QF1 过载 1.25 In", raised_at=now)
    alarm_b = Alarm(site_id=b.id, device_id=dev_b.id, rule="overload", level="alarm",
                    state="active", message="乙所过载", raised_at=now)
    db.session.add_all([alarm, alarm_b])
    db.session.commit()
    staff = make_user("st", Role.staff, [a])
    return {"site": a.id, "site_b": b.id, "alarm": alarm.id, "alarm_b": alarm_b.id,
            "staff_id": staff.id, "staff": auth(staff),
            "fitter_id": make_user("fitter", Role.staff, [a]).id,
            "outsider_id": make_user("out", Role.staff, [b]).id,
            "admin_b": auth(make_user("adm_b", Role.admin, [b]))}


def create(client, w, **body):
    return client.post(URL, headers=w["staff"], json=body)


def timeline(alarm_id):
    db.session.expire_all()
    return [e.data for e in db.session.query(AlarmEvent).filter_by(alarm_id=alarm_id)
            .order_by(AlarmEvent.id)]


def test_order_from_an_alarm_through_to_done(client, w):
    r = create(client, w, alarm_id=w["alarm"], assignee_id=w["fitter_id"])
    assert r.status_code == 201, r.json
    order = r.json
    assert order["title"] == "QF1 过载 1.25 In" and order["site_id"] == w["site"]
    assert order["status"] == "open" and order["created_by"] == w["staff_id"]
    oid = order["id"]
    r = client.patch(f"{URL}/{oid}", headers=w["staff"],
                     json={"status": "in_progress", "note": "到场"})
    assert r.status_code == 200 and r.json["started_at"] and not r.json["done_at"]
    r = client.patch(f"{URL}/{oid}", headers=w["staff"], json={"status": "done"})
    assert r.status_code == 200 and r.json["done_at"]
    r = client.patch(f"{URL}/{oid}", headers=w["staff"], json={"status": "in_progress"})
    assert r.status_code == 409 and r.json["error"] == "repair_order_done"
    r = client.patch(f"{URL}/{oid}", headers=w["staff"], json={"note": "补记"})
    assert r.status_code == 409
    assert client.patch(f"{URL}/{oid}", headers=w["staff"],
                        json={"status": "done"}).status_code == 200     # no change: fine
    events = timeline(w["alarm"])
    assert [(e["action"], e["status"]) for e in events] == [
        ("created", "open"), ("updated", "in_progress"), ("updated", "done")]
    assert all(e["order_id"] == oid for e in events)
    assert events[0]["assignee_id"] == w["fitter_id"]
    assert events[1]["changed"] == ["note", "status"]
    audits = db.session.query(AuditEntry).filter_by(entity_type="repair_order") \
        .order_by(AuditEntry.id).all()
    assert [a.action for a in audits] == ["create", "update", "update"]
    assert audits[0].user_id == w["staff_id"] and audits[2].after["status"] == "done"


def test_transitions(client, w):
    oid = create(client, w, site_id=w["site"], title="配电房巡检").json["id"]
    r = client.patch(f"{URL}/{oid}", headers=w["staff"], json={"status": "open"})
    assert r.status_code == 200                                 # unchanged
    r = client.patch(f"{URL}/{oid}", headers=w["staff"], json={"status": "done"})
    assert r.status_code == 200 and r.json["started_at"] is None   # open -> done
    oid = create(client, w, site_id=w["site"], title="二").json["id"]
    client.patch(f"{URL}/{oid}", headers=w["staff"], json={"status": "in_progress"})
    r = client.patch(f"{URL}/{oid}", headers=w["staff"], json={"status": "open"})
    assert r.status_code == 409 and r.json["error"] == "invalid_transition"
    r = client.patch(f"{URL}/{oid}", headers=w["staff"], json={"status": "closed"})
    assert r.status_code == 422 and "status" in r.json["errors"]
    assert timeline(w["alarm"]) == []                           # no alarm: no timeline


@pytest.mark.parametrize("body, status, field", [
    ({"title": "x"}, 422, "site_id"),                            # no alarm, no site
    ({"site_id": "site"}, 422, "title"),                              # no alarm, no title
    ({"site_id": "site", "title": "x" * 256}, 422, "title"),
    ({"site_id": "site", "title": "x", "assignee_id": "outsider_id"}, 422, "assignee_id"),
    ({"alarm_id": "alarm", "site_id": "site_b"}, 422, "site_id"),
    ({"alarm_id": "alarm", "status": "done"}, 422, "status"),    # status is not writable
    ({"alarm_id": 999999}, 404, "alarm_id"),
    ({"alarm_id": "alarm_b"}, 404, "alarm_id"),                  # another site's alarm
])
def test_create_validation(client, w, body, status, field):
    body = {k: w[v] if isinstance(v, str) and v in w else v for k, v in body.items()}
    r = create(client, w, **body)
    assert r.status_code == status, r.json
    assert field in r.json["errors"], r.json


def test_scoping_and_filters(client, w):
    oid = create(client, w, alarm_id=w["alarm"]).json["id"]
    create(client, w, site_id=w["site"], title="巡检", assignee_id=w["fitter_id"])
    assert client.get(f"{URL}/{oid}", headers=w["admin_b"]).status_code == 404
    assert client.patch(f"{URL}/{oid}", headers=w["admin_b"],
                        json={"status": "done"}).status_code == 404
    assert client.get(URL, headers=w["admin_b"]).json == []
    r = client.post(URL, headers=w["admin_b"], json={"site_id": w["site"], "title": "x"})
    assert r.status_code == 404
    got = client.get(URL, headers=w["staff"], query_string={"alarm_id": w["alarm"]}).json
    assert [o["id"] for o in got] == [oid]
    got = client.get(URL, headers=w["staff"], query_string={"assignee_id": w["fitter_id"]}).json
    assert [o["title"] for o in got] == ["巡检"]
    assert len(client.get(URL, headers=w["staff"], query_string={"status": "open"}).json) == 2
    assert client.get(URL, headers=w["staff"], query_string={"status": "done"}).json == []


def upload(client, w, oid, data, name="p.png", headers=None):
    return client.post(f"{URL}/{oid}/photos", headers=headers or w["staff"],
                       data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_photos_round_trip(client, w):
    oid = create(client, w, alarm_id=w["alarm"]).json["id"]
    ids = []
    for data, ctype in ((PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp")):
        r = upload(client, w, oid, data, name="../../etc/现场.bin")
        assert r.status_code == 201, r.json
        assert r.json["content_type"] == ctype and r.json["size"] == len(data)
        assert r.json["filename"] == "现场.bin"
        ids.append(r.json["id"])
    r = client.get(f"{URL}/{oid}/photos", headers=w["staff"])
    assert [p["id"] for p in r.json] == ids and "data" not in r.json[0]
    r = client.get(f"{URL}/{oid}/photos/{ids[1]}", headers=w["staff"])
    assert r.status_code == 200 and r.data == JPEG and r.mimetype == "image/jpeg"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"{URL}/{oid}/photos/{ids[1]}",
                      headers=w["admin_b"]).status_code == 404
    assert client.delete(f"{URL}/{oid}/photos/{ids[0]}", headers=w["staff"]).status_code == 204
    assert client.get(f"{URL}/{oid}/photos/{ids[0]}", headers=w["staff"]).status_code == 404
    other = create(client, w, site_id=w["site"], title="另一单").json["id"]
    assert client.get(f"{URL}/{other}/photos/{ids[1]}", headers=w["staff"]).status_code == 404
    actions = [(a.action, a.entity_type) for a in db.session.query(AuditEntry)
               .filter_by(entity_type="repair_photo").order_by(AuditEntry.id)]
    assert actions == [("create", "repair_photo")] * 3 + [("delete", "repair_photo")]
    assert [e["action"] for e in timeline(w["alarm"])].count("photo_added") == 3


def test_photo_checks(client, w):
    oid = create(client, w, alarm_id=w["alarm"]).json["id"]
    r = upload(client, w, oid, b"GIF89a" + b"\x00" * 20, name="fake.png")
    assert r.status_code == 422 and r.json["error"] == "photo_type_not_allowed"
    assert "file" in r.json["errors"]
    r = upload(client, w, oid, b"")
    assert r.status_code == 422 and r.json["error"] == "photo_empty"
    r = upload(client, w, oid, PNG + b"\x00" * photos.MAX_PHOTO_BYTES)
    assert r.status_code == 413 and r.json["error"] == "photo_too_large"
    r = client.post(f"{URL}/{oid}/photos", headers=w["staff"], data={"other": "x"},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.json["errors"]
    assert upload(client, w, oid, PNG, headers=w["admin_b"]).status_code == 404
    assert client.get(f"{URL}/{oid}/photos", headers=w["staff"]).json == []
