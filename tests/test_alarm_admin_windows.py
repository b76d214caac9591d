"""Maintenance windows through the HTTP API, and ``active_windows`` for the alarm engine."""
from datetime import datetime, timedelta, timezone

import pytest

from backend.alarms.maintenance import active_windows
from backend.extensions import db
from backend.models import AuditEntry, Board, Circuit, Role
from tests.factories import auth, make_site, make_user

URL = "/api/v1/maintenance-windows"
T0 = datetime(2030, 5, 1, 8, 0, tzinfo=timezone.utc)


def iso(dt):
    return dt.isoformat()


@pytest.fixture
def w(ctx):
    a, b = make_site("A", "甲所"), make_site("B", "乙所")
    board = Board(site_id=a.id, code="AA1", name="总柜", level=1)
    board_b = Board(site_id=b.id, code="BB1", name="乙所总柜", level=1)
    db.session.add_all([board, board_b])
    db.session.flush()
    circuit = Circuit(site_id=a.id, code="C1", name="照明", board_id=board.id)
    db.session.add(circuit)
    db.session.commit()
    return {"site": a.id, "site_b": b.id, "board": board.id, "board_b": board_b.id,
            "circuit": circuit.id,
            "manager": auth(make_user("mg", Role.manager, [a])),
            "staff": auth(make_user("st", Role.staff, [a])),
            "admin_b": auth(make_user("adm_b", Role.admin, [b]))}


def body(w, **over):
    out = {"site_id": w["site"], "board_id": w["board"], "starts_at": iso(T0),
           "ends_at": iso(T0 + timedelta(hours=4)), "reason": "更换进线断路器"}
    out.update(over)
    return {k: v for k, v in out.items() if v is not ...}


def test_manager_creates_lists_updates_and_deletes(client, w):
    r = client.post(URL, headers=w["manager"], json=body(w))
    assert r.status_code == 201, r.json
    wid = r.json["id"]
    assert r.json["created_by"] is not None and r.json["circuit_id"] is None
    c = client.post(URL, headers=w["manager"],
                    json=body(w, board_id=..., circuit_id=w["circuit"],
                              starts_at="2030-05-02T08:00:00",          # no zone: UTC
                              ends_at="2030-05-02T18:00:00+08:00")).json
    assert c["starts_at"].startswith("2030-05-02T08:00:00")
    r = client.get(URL, headers=w["staff"], query_string={"board_id": w["board"]})
    assert [x["id"] for x in r.json] == [wid]
    r = client.get(URL, headers=w["staff"],
                   query_string={"active_at": iso(T0 + timedelta(hours=1))})
    assert [x["id"] for x in r.json] == [wid]
    r = client.get(URL, headers=w["staff"], query_string={"active_at": "2030-05-02T09:00:00Z"})
    assert [x["id"] for x in r.json] == [c["id"]]
    assert len(client.get(URL, headers=w["staff"], query_string={"page_size": 1}).json) == 1
    r = client.put(f"{URL}/{wid}", headers=w["manager"],
                   json={"ends_at": iso(T0 + timedelta(hours=6))})
    assert r.status_code == 200, r.json
    assert client.delete(f"{URL}/{wid}", headers=w["manager"]).status_code == 204
    actions = [(e.action, e.entity_type) for e in
               db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions == [("create", "maintenance_window"), ("create", "maintenance_window"),
                       ("update", "maintenance_window"), ("delete", "maintenance_window")]


@pytest.mark.parametrize("over, field", [
    ({"circuit_id": 1}, "board_id"),                                    # both
    ({"board_id": None}, "board_id"),                                   # neither
    ({"ends_at": iso(T0)}, "ends_at"),                                  # not after start
    ({"ends_at": iso(T0 - timedelta(hours=1))}, "ends_at"),
    ({"ends_at": iso(T0 + timedelta(days=30, seconds=1))}, "ends_at"),  # too long
    ({"starts_at": "tomorrow"}, "starts_at"),
    ({"starts_at": ...}, "starts_at"),
    ({"reason": "x" * 256}, "reason"),
])
def test_validation_names_the_field(client, w, over, field):
    r = client.post(URL, headers=w["manager"], json=body(w, **over))
    assert r.status_code == 422, r.json
    assert field in r.json["errors"], r.json


def test_thirty_days_is_allowed(client, w):
    r = client.post(URL, headers=w["manager"],
                    json=body(w, ends_at=iso(T0 + timedelta(days=30))))
    assert r.status_code == 201, r.json


def test_update_is_checked_against_the_stored_values(client, w):
    wid = client.post(URL, headers=w["manager"], json=body(w)).json["id"]
    r = client.put(f"{URL}/{wid}", headers=w["manager"],
                   json={"starts_at": iso(T0 + timedelta(hours=5))})
    assert r.status_code == 422 and "ends_at" in r.json["errors"]
    r = client.put(f"{URL}/{wid}", headers=w["manager"], json={"circuit_id": w["circuit"]})
    assert r.status_code == 422 and "circuit_id" in r.json["errors"]
    r = client.put(f"{URL}/{wid}", headers=w["manager"],
                   json={"circuit_id": w["circuit"], "board_id": None})
    assert r.status_code == 200 and r.json["board_id"] is None


def test_roles_and_other_sites(client, w):
    assert client.post(URL, headers=w["staff"], json=body(w)).status_code == 403
    assert client.post(URL, headers=w["admin_b"], json=body(w)).status_code == 404
    r = client.post(URL, headers=w["manager"], json=body(w, board_id=w["board_b"]))
    assert r.status_code == 422 and "board_id" in r.json["errors"]
    wid = client.post(URL, headers=w["manager"], json=body(w)).json["id"]
    assert client.get(f"{URL}/{wid}", headers=w["admin_b"]).status_code == 404
    assert client.delete(f"{URL}/{wid}", headers=w["admin_b"]).status_code == 404
    assert client.get(URL, headers=w["admin_b"]).json == []


def test_active_windows_for_the_engine(client, w):
    client.post(URL, headers=w["manager"], json=body(w))
    client.post(URL, headers=w["manager"],
                json=body(w, board_id=..., circuit_id=w["circuit"],
                          starts_at=iso(T0 + timedelta(hours=4)),
                          ends_at=iso(T0 + timedelta(hours=8))))
    at = T0 + timedelta(hours=1)
    rows = active_windows([w["site"], w["site_b"]], at)
    assert [(r.site_id, r.board_id, r.circuit_id) for r in rows] == [(w["site"], w["board"],
                                                                       None)]
    # The end is exclusive, the start inclusive: a hand-over at hour 4 is seamless.
    rows = active_windows([w["site"]], T0 + timedelta(hours=4))
    assert [(r.board_id, r.circuit_id) for r in rows] == [(None, w["circuit"])]
    assert active_windows([w["site_b"]], at) == [] and active_windows([], at) == []
