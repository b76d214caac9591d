"""Audit rows of user management carry the sites they concern, so each site's admin reads
them (issue 18, item 9)."""
from __future__ import annotations

from backend.models import Role
from tests.factories import auth, make_site, make_user
from tests.test_auth import login


def audit_of(client, header, **query) -> list[dict]:
    r = client.get("/api/v1/audit", headers=header, query_string={"entity_type": "user",
                                                                   **query})
    assert r.status_code == 200, r.json
    return r.json


def test_site_admins_read_the_user_rows_of_their_sites(client, ctx, root):
    a, b, c = make_site("A", "甲"), make_site("B", "乙"), make_site("C", "丙")
    admin_a = auth(make_user("admin_a", Role.admin, [a]))
    admin_b = auth(make_user("admin_b", Role.admin, [b]))
    admin_c = auth(make_user("admin_c", Role.admin, [c]))

    r = client.post("/api/v1/users", headers=admin_a, json={
        "username": "duty", "password": "a-good-password", "role": "staff",
        "site_ids": [a.id]})
    assert r.status_code == 201, r.json
    uid = r.json["id"]
    [created] = audit_of(client, admin_a, entity_id=uid)
    assert created["action"] == "create" and created["site_ids"] == [a.id]
    assert audit_of(client, admin_b, entity_id=uid) == []

    # A system administrator moves the grant from A to B: both admins see it.
    r = client.put(f"/api/v1/users/{uid}", headers=root, json={"site_ids": [b.id]})
    assert r.status_code == 200, r.json
    for header in (admin_a, admin_b):
        rows = audit_of(client, header, entity_id=uid, action="update")
        assert [row["site_ids"] for row in rows] == [[a.id, b.id]]
        assert rows[0]["after"]["site_ids"] == [b.id]
    assert audit_of(client, admin_c, entity_id=uid) == []

    # Filtering by site finds rows that concern it among others.
    assert {row["action"] for row in audit_of(client, root, site_id=a.id)} == {
        "create", "update"}
    assert {row["action"] for row in audit_of(client, admin_b, site_id=b.id,
                                              entity_id=uid)} == {"update"}

    # Logins and deletion too.
    assert login(client, "duty", "a-good-password").status_code == 200
    assert [row["site_ids"] for row in audit_of(client, admin_b, action="login")] == [[b.id]]
    assert client.delete(f"/api/v1/users/{uid}", headers=admin_b).status_code == 204
    [deleted] = audit_of(client, admin_b, entity_id=uid, action="delete")
    assert deleted["site_ids"] == [b.id]
    assert audit_of(client, admin_a, entity_id=uid, action="delete") == []
