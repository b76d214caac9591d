"""Configuration down, accounts (issue 15 slice 2, docs/sitelink.md): users and their grants
made at the centre log in at the site box, through a cut link; a password changed at the
centre reaches the site when the link returns; a revoked grant deactivates; a local
change made while cut off is kept and shown until a local admin resolves it.

Two platforms in this process (tests/sitelink_world.py): the centre behind real HTTP, its
users changed through its own API; the site box's real shipper fetching the configuration."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import requests
from sqlalchemy import select, text

from backend.extensions import db
from backend.models import ConfigUser, ControlGrant, Role, Site, User, WeChatBinding
from backend.runtime.up import child_environ, reset_metrics_dir
from tests.factories import PASSWORD, auth, make_user
from tests.sitelink_world import link, platforms  # noqa: F401  (fixtures)

NEW_PASSWORD = "a-new-secret-42"


def centre_admin(w) -> dict:
    with w.centre.app_context():
        admin = db.session.scalar(select(User).where(User.username == "central-admin"))
        return auth(admin)


def centre_call(w, method: str, path: str, json=None, status: int = 200) -> dict:
    r = getattr(w.centre.test_client(), method)(path, json=json, headers=centre_admin(w))
    assert r.status_code == status, r.get_json()
    return r.get_json()


def create_at_centre(w, username: str, role: str = "staff", sites=None) -> int:
    body = centre_call(w, "post", "/api/v1/users", {
        "username": username, "display_name": username, "password": PASSWORD, "role": role,
        "site_ids": [w.site_id] if sites is None else sites}, status=201)
    return body["id"]


def login(w, username: str, password: str):
    return w.site.test_client().post("/api/v1/auth/login",
                                     json={"username": username, "password": password})


def sync(w, shipper, steps: int = 4) -> dict:
    """Round trips of the site's shipper (its configuration fetch is due every step)."""
    for _ in range(steps):
        with w.site.app_context():
            shipper.step()
    return site_config(w)


def site_config(w) -> dict:
    with w.site.app_context():
        admin = db.session.scalar(select(User).where(User.username == "site-admin"))
        if admin is None:
            admin = make_user("site-admin", Role.admin, [db.session.scalar(select(Site))])
        headers = auth(admin)
    r = w.site.test_client().get("/api/v1/uplink/status", headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["config"]


def site_user(w, username: str) -> dict | None:
    with w.site.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        out = None if user is None else {
            "id": user.id, "role": user.role.value, "active": user.is_active,
            "sites": user.site_ids, "display_name": user.display_name,
            "grants": sorted(db.session.execute(select(ControlGrant.scope, ControlGrant.target_id)
                                                .where(ControlGrant.user_id == user.id)).all())}
        db.session.commit()
    return out


def shipper_for(w):
    s = w.shipper()
    s.config.every = 0            # due on every step: the test drives the round trips
    return s


def test_accounts_down_through_a_cut_link(link):  # noqa: F811
    w = link
    anna = create_at_centre(w, "anna")
    with w.centre.app_context():
        area = db.session.scalar(text("SELECT id FROM areas WHERE code = 'JQ1'"))
    centre_call(w, "put", f"/api/v1/users/{anna}/control-grants",
                {"grants": [{"scope": "area", "target_id": area}]})
    assert login(w, "anna", PASSWORD).status_code == 401       # not at the site yet

    shipper = shipper_for(w)
    cfg = sync(w, shipper)
    assert cfg["version"] >= 1 and cfg["last_error"] is None and cfg["local_changes"] == []
    assert login(w, "anna", PASSWORD).status_code == 200
    here = site_user(w, "anna")
    with w.site.app_context():
        site_area = db.session.scalar(text("SELECT id FROM areas WHERE code = 'JQ1'"))
        site_id = db.session.scalar(select(Site.id))
    assert here["active"] and here["sites"] == [site_id] and here["role"] == "staff"
    assert here["grants"] == [("area", site_area)]
    assert site_user(w, "central-admin") is not None          # a system admin may use it too
    assert site_user(w, "duty")["active"]                      # a local account: untouched
    link_view = centre_call(w, "get", f"/api/v1/sites/{w.site_id}/uplink")
    assert link_view["site_config_version"] == link_view["config_version"] == cfg["version"]

    # The cut: the site keeps the last version; its users still log in.
    w.server.stop()
    sync(w, shipper, steps=2)
    assert login(w, "anna", PASSWORD).status_code == 200
    # Meanwhile the password is changed at the centre: the site cannot know yet.
    centre_call(w, "put", f"/api/v1/users/{anna}", {"password": NEW_PASSWORD})
    cut = sync(w, shipper, steps=2)
    assert cut["version"] == cfg["version"]
    assert login(w, "anna", PASSWORD).status_code == 200

    # The link returns: the new password holds at the site, the old one is refused.
    w.server.start()
    back = sync(w, shipper)
    assert back["version"] > cfg["version"] and back["last_error"] is None
    assert login(w, "anna", PASSWORD).status_code == 401
    assert login(w, "anna", NEW_PASSWORD).status_code == 200
    link_view = centre_call(w, "get", f"/api/v1/sites/{w.site_id}/uplink")
    assert link_view["site_config_version"] == back["version"]

    # A revoked grant deactivates the user at the site; the account and its history stay.
    centre_call(w, "put", f"/api/v1/users/{anna}", {"site_ids": []})
    gone = sync(w, shipper)
    assert gone["version"] > back["version"]
    assert login(w, "anna", NEW_PASSWORD).status_code == 401
    here = site_user(w, "anna")
    assert here is not None and not here["active"] and here["sites"] == []
    with w.site.app_context():
        logins = db.session.scalar(text(
            "SELECT count(*) FROM audit_log WHERE action = 'login' AND user_id = :u"),
            {"u": here["id"]})
        applied = db.session.scalar(text(
            "SELECT count(*) FROM audit_log WHERE action = 'apply' AND entity_type = 'config'"))
        db.session.commit()
    assert logins >= 3 and applied >= 3


def test_config_endpoint_versions_and_credential(link):  # noqa: F811
    w = link
    url = f"{w.server.url}/api/v1/uplink/config"
    head = {"Authorization": f"Bearer {w.token}"}
    first = requests.get(url, headers=head, timeout=10).json()
    assert first["unchanged"] is False and first["kind"] == "config"
    names = [u["username"] for u in first["users"]]
    assert names == ["central-admin"]
    assert "password_hash" in first["users"][0]
    again = requests.get(url, params={"since": first["version"]}, headers=head, timeout=10).json()
    assert again == {"site_code": first["site_code"], "version": first["version"],
                     "digest": first["digest"], "kind": "config", "unchanged": True}
    # The same number with another digest (a centre restored from a backup): all of it.
    other = requests.get(url, params={"since": first["version"], "digest": "0" * 64},
                         headers=head, timeout=10).json()
    assert other["unchanged"] is False and other["users"] == first["users"]
    create_at_centre(w, "boris", sites=[])                     # no grant on the site: no change
    same = requests.get(url, params={"since": first["version"]}, headers=head, timeout=10).json()
    assert same["unchanged"] is True
    create_at_centre(w, "cyrus")
    moved = requests.get(url, params={"since": first["version"]}, headers=head, timeout=10).json()
    assert moved["version"] == first["version"] + 1
    assert [u["username"] for u in moved["users"]] == ["central-admin", "cyrus"]

    assert requests.get(url, params={"since": "x"}, headers=head, timeout=10).status_code == 422
    assert requests.get(url, timeout=10).json()["error"] == "site_credential_missing"
    centre_call(w, "delete", f"/api/v1/sites/{w.site_id}/credentials")
    refused = requests.get(url, headers=head, timeout=10)
    assert refused.status_code == 401 and refused.json()["error"] == "site_credential_revoked"


def test_local_change_while_cut_off_is_kept_until_resolved(link):  # noqa: F811
    w = link
    bob = create_at_centre(w, "bob")
    carl = create_at_centre(w, "carl")
    shipper = shipper_for(w)
    v1 = sync(w, shipper)["version"]
    assert site_user(w, "bob")["role"] == "staff"

    # Cut off, a local admin changes bob (an emergency: made a manager) and carl.
    w.server.stop()
    site_config(w)                                             # creates the local site-admin
    with w.site.app_context():
        local_admin = auth(db.session.scalar(select(User).where(User.username == "site-admin")))
    c = w.site.test_client()
    for uid, body in ((site_user(w, "bob")["id"], {"role": "manager"}),
                      (site_user(w, "carl")["id"], {"display_name": "Carl (site)"})):
        r = c.put(f"/api/v1/users/{uid}", json=body, headers=local_admin)
        assert r.status_code == 200, r.get_json()
    # ... and the centre changes bob differently (an admin).
    centre_call(w, "put", f"/api/v1/users/{bob}", {"role": "admin"})

    w.server.start()
    cfg = sync(w, shipper)
    assert cfg["version"] > v1
    assert site_user(w, "bob")["role"] == "manager"            # kept, not overwritten
    assert site_user(w, "carl")["display_name"] == "Carl (site)"
    changes = {ch["username"]: ch for ch in cfg["local_changes"]}
    assert cfg["conflicts"] == 1 and set(changes) == {"bob", "carl"}
    seen = centre_call(w, "get", f"/api/v1/sites/{w.site_id}/uplink")
    assert seen["site_config_conflicts"] == 1                  # reported up with the fetch
    assert changes["bob"]["conflict"] is True
    assert changes["bob"]["fields"] == {"role": {"local": "manager", "central": "admin"}}
    assert changes["carl"]["conflict"] is False                # changed here only: local
    assert changes["carl"]["fields"]["display_name"] == {"local": "Carl (site)",
                                                         "central": "carl"}

    # A further central version does not overwrite the local change either.
    centre_call(w, "put", f"/api/v1/users/{bob}", {"display_name": "Bob B."})
    cfg2 = sync(w, shipper)
    assert cfg2["version"] > cfg["version"]
    assert site_user(w, "bob")["role"] == "manager"
    bob_change = next(ch for ch in cfg2["local_changes"] if ch["username"] == "bob")
    assert bob_change["fields"]["display_name"] == {"local": "bob", "central": "Bob B."}

    # The local admin resolves: the centre's values win for bob; carl's local value stays.
    r = c.post("/api/v1/uplink/config/resolve", json={"username": "bob", "keep": "central"},
               headers=local_admin)
    assert r.status_code == 200, r.get_json()
    r = c.post("/api/v1/uplink/config/resolve", json={"username": "carl", "keep": "local"},
               headers=local_admin)
    assert r.status_code == 200, r.get_json()
    assert site_user(w, "bob")["role"] == "admin"
    assert site_user(w, "bob")["display_name"] == "Bob B."
    assert site_user(w, "carl")["display_name"] == "Carl (site)"
    cfg3 = sync(w, shipper)
    assert cfg3["conflicts"] == 0
    assert centre_call(w, "get", f"/api/v1/sites/{w.site_id}/uplink")["site_config_conflicts"] == 0
    assert [ch["username"] for ch in cfg3["local_changes"]] == ["carl"]
    # Nothing left to resolve for bob; a bad choice is a 422 with a code.
    r = c.post("/api/v1/uplink/config/resolve", json={"username": "bob", "keep": "central"},
               headers=local_admin)
    assert r.status_code == 404 and r.get_json()["error"] == "config_change_not_found"
    r = c.post("/api/v1/uplink/config/resolve", json={"username": "bob", "keep": "both"},
               headers=local_admin)
    assert r.status_code == 422
    with w.site.app_context():
        resolved = db.session.scalars(text(
            "SELECT after->>'keep' FROM audit_log WHERE action = 'resolve' ORDER BY id")).all()
        synced = db.session.scalar(select(ConfigUser).where(
            ConfigUser.user_id == site_user(w, "carl")["id"]))
        assert synced.applied == synced.central
        db.session.commit()
    assert resolved == ["central", "local"]
    # Carl changed at the centre later: now a conflict again, carl's local value still kept.
    centre_call(w, "put", f"/api/v1/users/{carl}", {"display_name": "Carl C."})
    cfg4 = sync(w, shipper)
    assert cfg4["conflicts"] == 1
    assert site_user(w, "carl")["display_name"] == "Carl (site)"


def test_a_version_is_applied_whole_or_not_at_all(link):  # noqa: F811
    w = link
    dora = create_at_centre(w, "dora")
    with w.centre.app_context():
        db.session.add(WeChatBinding(user_id=dora, appid="wx-app", openid="o-dora",
                                     unionid="u-dora"))
        db.session.commit()
    shipper = shipper_for(w)
    v1 = sync(w, shipper)["version"]
    with w.site.app_context():
        bound = db.session.execute(select(WeChatBinding.appid, WeChatBinding.openid, User.username)
                                   .join(User, User.id == WeChatBinding.user_id)).all()
        db.session.commit()
    assert [tuple(b) for b in bound] == [("wx-app", "o-dora", "dora")]

    # The centre adds a device on a unit that a device made at the box already uses, and
    # renames dora: the box cannot import the device, so the version is refused whole
    # (nothing of it applied), the box keeps running v1.
    site_config(w)
    with w.site.app_context():
        local_admin = auth(db.session.scalar(select(User).where(User.username == "site-admin")))
        gw_here = db.session.scalar(text("SELECT id FROM gateways WHERE code = 'GW-LV'"))
    with w.centre.app_context():
        gw_centre = db.session.scalar(text("SELECT id FROM gateways WHERE code = 'GW-LV'"))
    r = w.site.test_client().post("/api/v1/devices", headers=local_admin, json={
        "site_id": db_site_id(w), "code": "LOCAL-Q", "name": "站点断路器", "kind": "breaker",
        "gateway_id": gw_here, "unit_id": 99})
    assert r.status_code == 201, r.get_json()
    made = centre_call(w, "post", "/api/v1/devices", {
        "site_id": w.site_id, "code": "CENTRE-Q", "name": "中心断路器", "kind": "breaker",
        "gateway_id": gw_centre, "unit_id": 99}, status=201)
    centre_call(w, "put", f"/api/v1/users/{dora}", {"display_name": "Dora D."})
    cfg = sync(w, shipper)
    assert cfg["version"] == v1 and "CENTRE-Q" in cfg["last_error"], cfg["last_error"]
    assert site_user(w, "dora")["display_name"] == "dora"
    # The centre moves its device to a free unit: the next version applies, with it.
    centre_call(w, "put", f"/api/v1/devices/{made['id']}", {"unit_id": 98})
    cfg = sync(w, shipper)
    assert cfg["version"] > v1 and cfg["last_error"] is None
    with w.site.app_context():
        assert db.session.scalar(text("SELECT unit_id FROM devices WHERE code = 'CENTRE-Q'")) == 98
        db.session.commit()
    assert site_user(w, "dora")["display_name"] == "Dora D."


def test_the_shipper_process_brings_a_password_change_down(link, tmp_path):  # noqa: F811
    """``gridwarden uplink`` as a real process, asking every second: a user made at the
    centre logs in at the box; a password changed at the centre replaces the old one."""
    w = link
    eve = create_at_centre(w, "eve")
    cfg = w.site.config["GW_SETTINGS"].with_overrides(
        data_dir=tmp_path / "site", central_url=w.server.url, site_token=w.token)
    reset_metrics_dir(tmp_path / "site")
    env = {**child_environ(cfg), "GW_UPLINK_CONFIG_SECONDS": "1"}
    log = open(tmp_path / "uplink.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "uplink"], env=env,
                            stdout=log, stderr=log)
    try:
        wait_for("eve at the box", lambda: hash_at(w.site, "eve") == hash_at(w.centre, "eve"),
                 proc)
        assert login(w, "eve", PASSWORD).status_code == 200
        centre_call(w, "put", f"/api/v1/users/{eve}", {"password": NEW_PASSWORD})
        wait_for("the new password at the box",
                 lambda: hash_at(w.site, "eve") == hash_at(w.centre, "eve"), proc)
        assert login(w, "eve", PASSWORD).status_code == 401
        assert login(w, "eve", NEW_PASSWORD).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def db_site_id(w) -> int:
    with w.site.app_context():
        out = db.session.scalar(select(Site.id))
        db.session.commit()
    return out


def hash_at(app, username: str) -> str | None:
    with app.app_context():
        out = db.session.scalar(select(User.password_hash).where(User.username == username))
        db.session.commit()
    return out


def wait_for(what: str, check, proc, timeout: float = 90.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, f"the shipper exited ({proc.returncode})"
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"gave up waiting for {what}")


def test_a_malformed_document_is_refused_whole(link):  # noqa: F811
    """What the box does with a document it cannot read (another centre's version, a bug):
    nothing of it applied, the reason in the status, the version kept."""
    from backend.sitelink import config_down
    w = link
    with w.site.app_context():
        code = db.session.scalar(select(Site.code))
        for doc, why in (({"site_code": "OTHER", "version": 2, "users": []}, "OTHER"),
                         ({"site_code": code, "version": "x", "users": []}, "version"),
                         ({"site_code": code, "version": 2, "users": ["anna"]}, "users"),
                         ({"site_code": code, "version": 2,
                           "users": [{"username": "zed", "role": "boss"}]}, "zed")):
            try:
                config_down.apply(doc)
            except config_down.ConfigRejected as exc:
                assert why in str(exc) and exc.status == 422
            else:
                raise AssertionError(f"applied {doc}")
            finally:
                db.session.rollback()
        assert config_down.state().version == 0
        assert db.session.scalar(select(User.id).where(User.username == "zed")) is None
        db.session.commit()
