"""The mini-program's WeChat login (issue 14): wx.login code -> our login or a binding
ticket, binding to an existing account, unbinding, the documented jscode2session errors,
throttling and subscribe grants; all through wechatpy against the stand-in (standins/)."""
from __future__ import annotations

from datetime import datetime

import requests
from sqlalchemy import select

from backend.extensions import db
from backend.models import AuditEntry, NotifyProfile, Role, WeChatBinding
from tests.factories import PASSWORD, auth, make_site, make_user

MP = "wx-test-mp"     # tests/alarm_world.py NOTIFY_CONFIG
IP = "10.9.0.1"


def wx_login(standin, openid="mp-openid-1", unionid=None, risky=False) -> str:
    """What wx.login gives the phone of ``openid`` (a one-time code from the stand-in)."""
    r = requests.post(standin.url + "/_standin/wxa/login", timeout=5,
                      json={"appid": MP, "openid": openid, "unionid": unionid, "risky": risky})
    assert r.status_code == 201
    return r.json()["code"]


def login(client, code, ip=IP):
    return client.post("/api/v1/auth/wechat/login", json={"code": code},
                       environ_base={"REMOTE_ADDR": ip})


def bind(client, ticket, username="duty1", password=PASSWORD, ip=IP):
    return client.post("/api/v1/auth/wechat/bind", environ_base={"REMOTE_ADDR": ip},
                       json={"ticket": ticket, "username": username, "password": password})


def bearer(body):
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_unknown_identity_binds_once_then_logs_in(client, ctx, notify_standin):
    site = make_site()
    make_user("duty1", Role.staff, [site])
    r = login(client, wx_login(notify_standin))
    assert r.status_code == 200, r.json
    assert r.json["bound"] is False and "access_token" not in r.json
    ticket = r.json["bind_ticket"]
    assert r.json["expires_in"] == 300

    r = bind(client, ticket)
    assert r.status_code == 200, r.json
    assert r.json["user"]["username"] == "duty1"
    me = client.get("/api/v1/auth/me", headers=bearer(r.json))
    assert me.status_code == 200 and me.json["username"] == "duty1"
    # the subscribe messages now reach this openid
    assert db.session.get(NotifyProfile, me.json["id"]).mp_openid == "mp-openid-1"

    # the ticket is used up; the next wx.login code logs straight in
    r2 = bind(client, ticket)
    assert r2.status_code == 401 and r2.json["error"] == "wechat_ticket_invalid"
    r = login(client, wx_login(notify_standin))
    assert r.status_code == 200 and r.json["bound"] is True
    assert r.json["user"]["username"] == "duty1"
    assert client.get("/api/v1/auth/me", headers=bearer(r.json)).status_code == 200
    actions = db.session.execute(select(AuditEntry.action, AuditEntry.entity_type)
                                 .order_by(AuditEntry.id)).all()
    assert ("create", "wechat_binding") in actions
    assert actions.count(("login", "user")) == 2


def test_wrong_password_keeps_the_ticket_and_counts_for_the_throttle(client, ctx, app,
                                                                     notify_standin):
    settings = app.config["GW_SETTINGS"]
    make_user("duty1")
    ticket = login(client, wx_login(notify_standin)).json["bind_ticket"]
    for _ in range(settings.login_free_failures):
        r = bind(client, ticket, password="wrong-password")
        assert r.status_code == 401 and r.json["error"] == "invalid_credentials"
    r = bind(client, ticket)           # right password now, but this address must wait
    assert r.status_code == 429 and r.json["error"] == "login_delayed"
    assert int(r.headers["Retry-After"]) == settings.login_delay_seconds
    # as the password login: another address is not locked out, and the ticket still works
    r = bind(client, ticket, ip="10.9.0.2")
    assert r.status_code == 200, r.json
    assert db.session.scalar(select(WeChatBinding.openid)) == "mp-openid-1"


def test_password_login_and_binding_share_one_throttle(client, ctx, app, notify_standin):
    settings = app.config["GW_SETTINGS"]
    make_user("duty1")
    for _ in range(settings.login_free_failures):
        r = client.post("/api/v1/auth/login", environ_base={"REMOTE_ADDR": IP},
                        json={"username": "duty1", "password": "wrong-password"})
        assert r.status_code == 401
    ticket = login(client, wx_login(notify_standin)).json["bind_ticket"]
    r = bind(client, ticket)
    assert r.status_code == 429 and r.json["error"] == "login_delayed"


def test_expired_and_unknown_tickets(client, ctx, notify_standin, raw_redis):
    make_user("duty1")
    ticket = login(client, wx_login(notify_standin)).json["bind_ticket"]
    keys = raw_redis.keys("gw:wechat:bind-ticket:*")
    assert len(keys) == 1 and ticket not in keys[0]       # kept by its hash only
    raw_redis.delete(keys[0])                              # what its 300 s TTL does
    r = bind(client, ticket)
    assert r.status_code == 401 and r.json["error"] == "wechat_ticket_invalid"
    r = bind(client, "not-a-ticket")
    assert r.status_code == 401 and r.json["error"] == "wechat_ticket_invalid"
    assert db.session.scalar(select(WeChatBinding.id)) is None


def test_one_binding_per_account_and_per_identity(client, ctx, notify_standin):
    make_user("duty1")
    make_user("duty2")
    first = login(client, wx_login(notify_standin, "phone-a")).json["bind_ticket"]
    assert bind(client, first).status_code == 200
    second = login(client, wx_login(notify_standin, "phone-b")).json["bind_ticket"]
    r = bind(client, second)                        # duty1 is bound already
    assert r.status_code == 409 and r.json["error"] == "wechat_already_bound"
    assert bind(client, second, "duty2").status_code == 200     # the ticket survived


def test_the_documented_jscode2session_errors(client, ctx, notify_standin):
    r = login(client, "CODE_made_up")
    assert r.status_code == 422 and r.json["error"] == "wechat_code_invalid"
    code = wx_login(notify_standin)
    assert login(client, code).status_code == 200
    r = login(client, code)                          # a code is good once (40163)
    assert r.status_code == 422 and r.json["error"] == "wechat_code_invalid"

    r = login(client, wx_login(notify_standin, risky=True))
    assert r.status_code == 403 and r.json["error"] == "wechat_user_blocked"

    requests.post(notify_standin.url + "/_standin/faults", timeout=5,
                  json={"channel": "wechat_session", "errcode": 45011})
    r = login(client, wx_login(notify_standin))
    assert r.status_code == 429 and r.json["error"] == "wechat_rate_limited"
    assert r.headers["Retry-After"] == "60"
    requests.post(notify_standin.url + "/_standin/faults", timeout=5,
                  json={"channel": "wechat_session", "http_status": 500})
    r = login(client, wx_login(notify_standin))
    assert r.status_code == 503 and r.json["error"] == "wechat_unavailable"
    assert login(client, wx_login(notify_standin)).status_code == 200


def test_not_configured_and_bad_input(client, ctx, app):
    r = login(client, "CODE_x")
    assert r.status_code == 503 and r.json["error"] == "wechat_not_configured"
    r = client.post("/api/v1/auth/wechat/login", json={"code": ""})
    assert r.status_code == 422 and "code" in r.json["errors"]
    r = client.post("/api/v1/auth/wechat/bind", json={"ticket": "x"})
    assert r.status_code == 422


def test_official_account_openid_found_by_unionid(client, ctx, notify_standin):
    make_user("duty1")
    for openid, unionid in (("oa-other", "union-other"), ("oa-duty1", "union-duty1")):
        requests.post(notify_standin.url + "/_standin/wechat/followers", timeout=5,
                      json={"openid": openid, "unionid": unionid})
    ticket = login(client, wx_login(notify_standin, unionid="union-duty1")).json["bind_ticket"]
    body = bind(client, ticket).json
    profile = db.session.get(NotifyProfile, body["user"]["id"])
    assert (profile.mp_openid, profile.oa_openid) == ("mp-openid-1", "oa-duty1")
    status = client.get("/api/v1/me/wechat", headers=bearer(body)).json
    assert status["bound"] is True and status["official_account_linked"] is True

    # unbinding clears what the binding set, and only that
    assert client.delete("/api/v1/me/wechat", headers=bearer(body)).status_code == 204
    db.session.expire_all()
    profile = db.session.get(NotifyProfile, body["user"]["id"])
    assert (profile.mp_openid, profile.oa_openid) == (None, None)
    assert client.get("/api/v1/me/wechat", headers=bearer(body)).json["bound"] is False
    r = login(client, wx_login(notify_standin, unionid="union-duty1"))
    assert r.json["bound"] is False                       # bind again to log in
    assert client.delete("/api/v1/me/wechat", headers=bearer(body)).status_code == 204


def test_admin_unbinds_a_managed_user_only(client, ctx, notify_standin):
    a, b = make_site("A", "甲"), make_site("B", "乙")
    duty = make_user("duty1", Role.staff, [a])
    admin_a, admin_b = make_user("adm_a", Role.admin, [a]), make_user("adm_b", Role.admin, [b])
    bind(client, login(client, wx_login(notify_standin)).json["bind_ticket"])
    url = f"/api/v1/users/{duty.id}/wechat"
    assert client.get(url, headers=auth(admin_a)).json["bound"] is True
    assert client.delete(url, headers=auth(admin_b)).status_code == 404
    assert client.delete(url, headers=auth(duty)).status_code == 403
    assert client.delete(url, headers=auth(admin_a)).status_code == 204
    assert db.session.scalar(select(WeChatBinding.id)) is None
    row = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type ==
                                                     "wechat_binding",
                                                     AuditEntry.action == "delete"))
    assert row.username == "adm_a" and row.before["openid"] == "mp-openid-1"
    assert login(client, wx_login(notify_standin)).json["bound"] is False


def test_disabled_account_cannot_log_in_with_wechat(client, ctx, notify_standin):
    duty = make_user("duty1")
    bind(client, login(client, wx_login(notify_standin)).json["bind_ticket"])
    duty.is_active = False
    db.session.commit()
    r = login(client, wx_login(notify_standin))
    assert r.status_code == 401 and r.json["error"] == "account_disabled"


def test_subscribe_grants_accept_reject_ban_and_left(client, ctx, notify_standin):
    duty = make_user("duty1")
    headers = auth(duty)
    url = "/api/v1/me/subscribe-grants"
    r = client.post(url, headers=headers, json={"template_id": "SUB-ALARM"})
    assert r.status_code == 201 and r.json["remaining"] == 1
    r = client.post(url, headers=headers, json={"template_id": "SUB-ALARM",
                                                 "result": "reject"})
    assert r.json["remaining"] == 1 and r.json["last_result"] == "reject"
    client.post(url, headers=headers, json={"template_id": "SUB-ALARM", "count": 2})
    status = client.get("/api/v1/me/wechat", headers=headers).json
    assert status["subscribe_template_id"] == "SUB-ALARM" and status["grants_left"] == 3
    r = client.post(url, headers=headers, json={"template_id": "SUB-ALARM", "result": "ban"})
    assert r.json["remaining"] == 0 and r.json["last_result"] == "ban"
    r = client.post(url, headers=headers, json={"template_id": "SUB-ALARM",
                                                 "result": "maybe"})
    assert r.status_code == 422 and "result" in r.json["errors"]


def test_a_sent_subscribe_message_uses_a_grant(client, ctx, notify_standin):
    """The count the user sees goes down when a subscribe message is sent."""
    from backend.notify import send
    from backend.notify.base import Message

    duty = make_user("duty1")
    bind(client, login(client, wx_login(notify_standin)).json["bind_ticket"])
    headers = auth(duty)
    client.post("/api/v1/me/subscribe-grants", headers=headers,
                json={"template_id": "SUB-ALARM", "count": 2})
    requests.post(notify_standin.url + "/_standin/grants", timeout=5,
                  json={"openid": "mp-openid-1", "template_id": "SUB-ALARM", "count": 2})
    grant = send.take_grant(duty.id)
    message = Message(alarm_id=1, title="过流告警", level="alarm", state="active",
                      site="一号所", location="配电室", value="63 A",
                      occurred_at=datetime(2026, 12, 2, 9, 30), url_path="pages/alarm/detail?id=1", web_url="")
    assert send.send("wxa_subscribe", duty.id, message, grant).outcome == "sent"
    db.session.commit()
    assert client.get("/api/v1/me/wechat", headers=headers).json["grants_left"] == 1
    sent = requests.get(notify_standin.url + "/_standin/messages?channel=wechat_subscribe",
                        timeout=5).json()
    assert [m["recipient"] for m in sent] == ["mp-openid-1"]
