"""Alarm recipients through the HTTP API: validation, duplicates, scoping and audit."""
import pytest

from backend.extensions import db
from backend.models import Area, AuditEntry, Role
from tests.factories import auth, make_site, make_user

URL = "/api/v1/alarm-recipients"


@pytest.fixture
def w(ctx):
    a, b = make_site("A", "甲所"), make_site("B", "乙所")
    area = Area(site_id=a.id, code="AR1", name="一监区")
    area_b = Area(site_id=b.id, code="BR1", name="乙所监区")
    db.session.add_all([area, area_b])
    db.session.commit()
    staff = make_user("st", Role.staff, [a])
    return {"site": a.id, "area": area.id, "area_b": area_b.id, "staff_id": staff.id,
            "manager_id": make_user("mg", Role.manager, [a]).id,
            "outsider_id": make_user("out", Role.staff, [b]).id,
            "h": auth(make_user("adm", Role.admin, [a])), "staff": auth(staff),
            "manager": auth(make_user("mg2", Role.manager, [a])),
            "admin_b": auth(make_user("adm_b", Role.admin, [b]))}


def post(client, w, **body):
    return client.post(URL, headers=w["h"], json={"site_id": w["site"], **body})


def test_crud_with_defaults_filters_and_audit(client, w):
    r = post(client, w, user_id=w["staff_id"])
    assert r.status_code == 201, r.json
    assert (r.json["tier"], r.json["min_level"], r.json["area_id"]) == (1, "warning", None)
    first = r.json["id"]
    second = post(client, w, user_id=w["manager_id"], area_id=w["area"], tier=2,
                  min_level="alarm").json["id"]
    r = client.get(URL, headers=w["staff"], query_string={"tier": 2})
    assert [x["id"] for x in r.json] == [second]
    r = client.get(URL, headers=w["staff"], query_string={"user_id": w["staff_id"]})
    assert [x["id"] for x in r.json] == [first]
    r = client.put(f"{URL}/{first}", headers=w["h"], json={"tier": 3, "min_level": "alarm"})
    assert r.status_code == 200 and r.json["tier"] == 3
    assert client.delete(f"{URL}/{second}", headers=w["h"]).status_code == 204
    entries = db.session.query(AuditEntry).order_by(AuditEntry.id).all()
    assert [(e.action, e.entity_type) for e in entries] == [
        ("create", "alarm_recipient"), ("create", "alarm_recipient"),
        ("update", "alarm_recipient"), ("delete", "alarm_recipient")]
    assert entries[2].before == {"min_level": "warning", "tier": 1}


@pytest.mark.parametrize("over, field", [
    ({"tier": 0}, "tier"), ({"tier": 6}, "tier"), ({"min_level": "info"}, "min_level"),
    ({"user_id": None}, "user_id"), ({"area_id": "area_b"}, "area_id"),
    ({"user_id": "outsider_id"}, "user_id"), ({"user_id": 999999}, "user_id"),
])
def test_validation_names_the_field(client, w, over, field):
    body = {"user_id": w["staff_id"]}
    body.update({k: w.get(v, v) if isinstance(v, str) else v for k, v in over.items()})
    r = post(client, w, **body)
    assert r.status_code == 422, r.json
    assert field in r.json["errors"], r.json


def test_duplicate_is_409_per_site_and_area(client, w):
    assert post(client, w, user_id=w["staff_id"]).status_code == 201
    r = post(client, w, user_id=w["staff_id"], tier=2)
    assert r.status_code == 409 and r.json["error"] == "duplicate_alarm_recipient"
    other = post(client, w, user_id=w["staff_id"], area_id=w["area"])
    assert other.status_code == 201                     # an area is another target
    r = client.put(f"{URL}/{other.json['id']}", headers=w["h"], json={"area_id": None})
    assert r.status_code == 409


def test_roles_and_other_sites(client, w):
    body = {"site_id": w["site"], "user_id": w["staff_id"]}
    assert client.post(URL, headers=w["manager"], json=body).status_code == 403
    assert client.post(URL, headers=w["admin_b"], json=body).status_code == 404
    rid = post(client, w, user_id=w["staff_id"]).json["id"]
    assert client.get(f"{URL}/{rid}", headers=w["staff"]).status_code == 200
    assert client.get(f"{URL}/{rid}", headers=w["admin_b"]).status_code == 404
    assert client.put(f"{URL}/{rid}", headers=w["admin_b"], json={"tier": 2}).status_code == 404
    assert client.get(URL, headers=w["admin_b"]).json == []
