from backend.accounts import throttle
from backend.models import Role
from tests.factories import PASSWORD, auth, make_site, make_user


def login(client, username, password=PASSWORD, ip="10.1.1.1"):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_login_me_refresh_logout(client, ctx):
    site = make_site()
    make_user("duty1", Role.staff, [site])
    r = login(client, "duty1")
    assert r.status_code == 200, r.json
    body = r.json
    assert body["user"]["username"] == "duty1" and body["user"]["site_ids"] == [site.id]
    assert "password" not in body["user"] and "password_hash" not in body["user"]
    access = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/api/v1/auth/me", headers=access).json["role"] == "staff"

    # refresh rotates; an access token is not a refresh token and vice versa
    old_refresh = {"Authorization": f"Bearer {body['refresh_token']}"}
    assert client.post("/api/v1/auth/refresh", headers=access).status_code == 401
    assert client.get("/api/v1/auth/me", headers=old_refresh).status_code == 401
    r = client.post("/api/v1/auth/refresh", headers=old_refresh)
    assert r.status_code == 200
    new = r.json
    new_access = {"Authorization": f"Bearer {new['access_token']}"}
    assert client.get("/api/v1/auth/me", headers=new_access).status_code == 200

    # logout revokes the access token and the refresh token of its login
    assert client.post("/api/v1/auth/logout", headers=new_access).status_code == 204
    r = client.get("/api/v1/auth/me", headers=new_access)
    assert r.status_code == 401 and r.json["error"] == "token_revoked"
    r = client.post("/api/v1/auth/refresh",
                    headers={"Authorization": f"Bearer {new['refresh_token']}"})
    assert r.status_code == 401 and r.json["error"] == "token_revoked"


def test_wrong_password_and_unknown_user_look_the_same(client, ctx):
    make_user("duty1")
    a = login(client, "duty1", "nope-nope-nope")
    b = login(client, "ghost", "nope-nope-nope")
    assert a.status_code == b.status_code == 401
    assert a.json == b.json
    assert a.json["error"] == "invalid_credentials"


def test_failures_delay_one_address_for_one_account_only(client, ctx, app, raw_redis):
    """Wrong passwords from A delay A, progressively; B logs in (issue 18, item 9)."""
    settings = app.config["GW_SETTINGS"]
    make_user("duty")
    for _ in range(settings.login_free_failures):
        assert login(client, "duty", "wrong-password", ip="10.0.0.1").status_code == 401
    r = login(client, "duty", ip="10.0.0.1")        # right password, but A must wait
    assert r.status_code == 429 and r.json["error"] == "login_delayed"
    first = int(r.headers["Retry-After"])
    assert first == settings.login_delay_seconds
    assert login(client, "duty", ip="10.0.0.2").status_code == 200     # B is not locked out
    assert login(client, "DUTY", "wrong-password", ip="10.0.0.1").status_code == 429

    retries = [first]
    for _ in range(3):     # the delay runs out (its key expires): the next failure waits longer
        raw_redis.delete(throttle.delay_key("duty", "10.0.0.1"))
        assert login(client, "duty", "wrong-password", ip="10.0.0.1").status_code == 401
        r = login(client, "duty", "wrong-password", ip="10.0.0.1")
        assert r.status_code == 429 and r.json["error"] == "login_delayed"
        retries.append(int(r.headers["Retry-After"]))
    assert retries == [settings.login_delay_seconds * 2 ** i for i in range(4)]

    raw_redis.delete(throttle.delay_key("duty", "10.0.0.1"))
    assert login(client, "duty", ip="10.0.0.1").status_code == 200     # a success resets A
    assert login(client, "duty", "wrong-password", ip="10.0.0.1").status_code == 401


def test_delay_is_capped(app):
    settings = app.config["GW_SETTINGS"]
    assert throttle.delay_after(settings, settings.login_free_failures - 1) == 0
    assert throttle.delay_after(settings, 10_000) == settings.login_max_delay_seconds


def test_login_throttled_per_address(client, ctx, app):
    limit = app.config["GW_SETTINGS"].login_max_failures_per_ip
    for i in range(limit):
        assert login(client, f"user{i}", "wrong-password", ip="10.2.2.2").status_code == 401
    r = login(client, "someone", "x-password", ip="10.2.2.2")
    assert r.status_code == 429 and r.json["error"] == "login_throttled"
    assert "address" in r.json["message"] and int(r.headers["Retry-After"]) > 0
    assert login(client, "someone", "x-password", ip="10.3.3.3").status_code == 401


def test_change_own_password_invalidates_old_tokens(client, ctx):
    make_user("mgr", Role.manager)
    tokens = login(client, "mgr").json
    old = {"Authorization": f"Bearer {tokens['access_token']}"}
    r = client.put("/api/v1/auth/me/password", headers=old,
                   json={"current_password": "wrong-one", "new_password": "a-new-password-1"})
    assert r.status_code == 422 and "current_password" in r.json["errors"]
    r = client.put("/api/v1/auth/me/password", headers=old,
                   json={"current_password": PASSWORD, "new_password": "short"})
    assert r.status_code == 422 and r.json["error"] == "weak_password"
    r = client.put("/api/v1/auth/me/password", headers=old,
                   json={"current_password": PASSWORD, "new_password": "a-new-password-1"})
    assert r.status_code == 200
    assert client.get("/api/v1/auth/me", headers=old).status_code == 401
    fresh = {"Authorization": f"Bearer {r.json['access_token']}"}
    assert client.get("/api/v1/auth/me", headers=fresh).status_code == 200
    assert login(client, "mgr").status_code == 401
    assert login(client, "mgr", "a-new-password-1").status_code == 200


def test_password_is_argon2(ctx):
    user = make_user("x1", password="some-password-9")
    assert user.password_hash.startswith("$argon2")


def test_disabled_user_tokens_stop_working(client, ctx):
    site = make_site()
    admin = make_user("adm", Role.admin, [site])
    staff = make_user("duty1", Role.staff, [site])
    h = auth(staff)
    assert client.get("/api/v1/auth/me", headers=h).status_code == 200
    r = client.put(f"/api/v1/users/{staff.id}", headers=auth(admin), json={"is_active": False})
    assert r.status_code == 200, r.json
    assert client.get("/api/v1/auth/me", headers=h).status_code == 401
    assert login(client, "duty1").status_code == 401


def test_bad_input_is_422_naming_the_field(client):
    r = client.post("/api/v1/auth/login", json={"username": "a", "password": "b", "extra": 1})
    assert r.status_code == 422 and "extra" in r.json["errors"]
    r = client.post("/api/v1/auth/login", data="not json", content_type="application/json")
    assert r.status_code in (400, 422) and r.json["error"] in ("bad_request", "validation_error")
