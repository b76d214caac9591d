"""Notification settings through the HTTP API: profiles (own and managed users),
mini-program subscribe grants, Web Push subscriptions and the VAPID public key."""
import base64

import pytest

from backend.extensions import db
from backend.models import AuditEntry, Role, SubscribeGrant, WebPushSubscription
from tests.factories import auth, make_site, make_user

ME = "/api/v1/me/notify-profile"
PUSH = "/api/v1/me/webpush-subscriptions"
KEYS = {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhaziA"
                  "-tPmgMIJJgo", "auth": "tBHItJI5svbpez7KI4CCXg"}


@pytest.fixture
def w(ctx):
    a, b = make_site("A", "甲所"), make_site("B", "乙所")
    staff = make_user("st", Role.staff, [a])
    shared = make_user("both", Role.staff, [a, b])
    return {"staff_id": staff.id, "shared_id": shared.id, "staff": auth(staff),
            "other": auth(make_user("st2", Role.staff, [a])),
            "h": auth(make_user("adm", Role.admin, [a])),
            "admin_b": auth(make_user("adm_b", Role.admin, [b])),
            "root": auth(make_user("root", Role.admin, [], superadmin=True))}


def test_own_profile_defaults_then_saves(client, w):
    r = client.get(ME, headers=w["staff"])
    assert r.status_code == 200
    assert r.json["channels"] == ["wechat_template", "wxa_subscribe", "webpush", "sms"]
    assert r.json["oa_openid"] is None and r.json["user_id"] == w["staff_id"]
    assert db.session.query(AuditEntry).count() == 0             # reading creates nothing
    r = client.put(ME, headers=w["staff"], json={"channels": ["sms", "webpush"],
                                                 "oa_openid": "o" * 28})
    assert r.status_code == 200, r.json
    assert r.json["channels"] == ["sms", "webpush"] and r.json["mp_openid"] is None
    r = client.put(ME, headers=w["staff"], json={"mp_openid": "m" * 28})
    assert r.json["channels"] == ["sms", "webpush"] and r.json["mp_openid"] == "m" * 28
    r = client.put(ME, headers=w["staff"], json={"oa_openid": None})
    assert r.json["oa_openid"] is None
    entries = db.session.query(AuditEntry).order_by(AuditEntry.id).all()
    assert [(e.action, e.entity_type, e.entity_id) for e in entries] == [
        ("create", "notify_profile", w["staff_id"]), ("update", "notify_profile", w["staff_id"]),
        ("update", "notify_profile", w["staff_id"])]


@pytest.mark.parametrize("body, field", [
    ({"channels": ["sms", "sms"]}, "channels"),
    ({"channels": ["pigeon"]}, "channels"),
    ({"channels": "sms"}, "channels"),
    ({"oa_openid": "x" * 65}, "oa_openid"),
    ({"mp_openid": ""}, "mp_openid"),
    ({"user_id": 5}, "user_id"),
])
def test_profile_validation_names_the_field(client, w, body, field):
    r = client.put(ME, headers=w["staff"], json=body)
    assert r.status_code == 422, r.json
    assert field in r.json["errors"], r.json


def test_admin_manages_profiles_like_the_users_api(client, w):
    url = f"/api/v1/users/{w['staff_id']}/notify-profile"
    r = client.put(url, headers=w["h"], json={"channels": ["sms"]})
    assert r.status_code == 200 and r.json["channels"] == ["sms"]
    assert client.get(url, headers=w["h"]).json["channels"] == ["sms"]
    assert client.get(ME, headers=w["staff"]).json["channels"] == ["sms"]
    # A user who also belongs to a site the admin does not administer: readable, not managed.
    shared = f"/api/v1/users/{w['shared_id']}/notify-profile"
    assert client.get(shared, headers=w["h"]).status_code == 200
    r = client.put(shared, headers=w["h"], json={"channels": ["sms"]})
    assert r.status_code == 403 and r.json["error"] == "user_outside_your_sites"
    assert client.put(shared, headers=w["root"], json={"channels": ["sms"]}).status_code == 200
    # Another site's admin does not learn the user exists; staff may not use this at all.
    assert client.get(url, headers=w["admin_b"]).status_code == 404
    assert client.put(url, headers=w["admin_b"], json={"channels": []}).status_code == 404
    assert client.get(url, headers=w["other"]).status_code == 403
    assert client.get("/api/v1/users/999999/notify-profile", headers=w["h"]).status_code == 404


def test_subscribe_grants_accumulate_per_template(client, w):
    url = "/api/v1/me/subscribe-grants"
    r = client.post(url, headers=w["staff"], json={"template_id": "tmpl-a"})
    assert r.status_code == 201 and r.json["remaining"] == 1, r.json
    r = client.post(url, headers=w["staff"], json={"template_id": "tmpl-a", "count": 3})
    assert r.json["remaining"] == 4
    client.post(url, headers=w["staff"], json={"template_id": "tmpl-b", "count": 50})
    client.post(url, headers=w["other"], json={"template_id": "tmpl-a"})
    r = client.get(url, headers=w["staff"])
    assert [(g["template_id"], g["remaining"]) for g in r.json] == [("tmpl-a", 4),
                                                                    ("tmpl-b", 50)]
    for bad, field in (({"template_id": "t", "count": 0}, "count"),
                       ({"template_id": "t", "count": 51}, "count"),
                       ({"count": 1}, "template_id"), ({"template_id": "x" * 65}, "template_id")):
        r = client.post(url, headers=w["staff"], json=bad)
        assert r.status_code == 422 and field in r.json["errors"], (bad, r.json)
    assert db.session.get(SubscribeGrant, (w["staff_id"], "tmpl-a")).remaining == 4
    assert db.session.query(AuditEntry).filter_by(entity_type="subscribe_grant").count() == 4


def test_webpush_subscription_upsert_and_delete(client, w):
    sub = {"endpoint": "https://fcm.example.test/wp/abc", "expirationTime": None, "keys": KEYS}
    r = client.post(PUSH, headers={**w["staff"], "User-Agent": "Chromium/130"}, json=sub)
    assert r.status_code == 201, r.json
    assert "keys" not in r.json and r.json["endpoint"] == sub["endpoint"]
    # Same browser, keys rotated, now someone else signed in: one row, moved to them.
    r = client.post(PUSH, headers=w["other"], json={**sub, "keys": {**KEYS, "auth": "new"}})
    assert r.status_code == 200, r.json
    rows = db.session.query(WebPushSubscription).all()
    assert len(rows) == 1 and rows[0].auth == "new"
    other_id = rows[0].user_id
    assert other_id != w["staff_id"]
    # The previous user cannot remove it any more; the owner can, twice (idempotent).
    assert client.delete(PUSH, headers=w["staff"],
                         query_string={"endpoint": sub["endpoint"]}).status_code == 204
    assert db.session.query(WebPushSubscription).count() == 1
    for _ in range(2):
        r = client.delete(PUSH, headers=w["other"], query_string={"endpoint": sub["endpoint"]})
        assert r.status_code == 204
    db.session.expire_all()
    assert db.session.query(WebPushSubscription).count() == 0
    actions = [e.action for e in db.session.query(AuditEntry).filter_by(
        entity_type="webpush_subscription").order_by(AuditEntry.id)]
    assert actions == ["create", "update", "delete"]
    assert all("p256dh" not in str(e.after) for e in db.session.query(AuditEntry))


@pytest.mark.parametrize("body, field", [
    ({"endpoint": "ftp://x.test/a", "keys": KEYS}, "endpoint"),
    ({"endpoint": "not a url", "keys": KEYS}, "endpoint"),
    ({"endpoint": "https://x.test/a"}, "keys"),
    ({"endpoint": "https://x.test/a", "keys": {"p256dh": "k"}}, "keys"),
    ({"endpoint": "https://x.test/a", "keys": KEYS, "extra": 1}, "extra"),
])
def test_webpush_validation_names_the_field(client, w, body, field):
    r = client.post(PUSH, headers=w["staff"], json=body)
    assert r.status_code == 422, r.json
    assert field in r.json["errors"], r.json


def test_webpush_delete_needs_the_endpoint(client, w):
    r = client.delete(PUSH, headers=w["staff"])
    assert r.status_code == 422 and "endpoint" in r.json["errors"]


def test_webpush_public_key(client, w):
    r = client.get("/api/v1/webpush/public-key", headers=w["staff"])
    assert r.status_code == 200, r.json
    raw = base64.urlsafe_b64decode(r.json["public_key"] + "==")
    assert len(raw) == 65 and raw[0] == 4                    # uncompressed P-256 point
    assert client.get("/api/v1/webpush/public-key").status_code == 401
