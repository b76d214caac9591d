"""Refresh-token rotation (atomic, with reuse detection) and the claims a token must carry
(issue 18, items 2 and 9)."""
from __future__ import annotations

import threading
import time
import uuid

import jwt as pyjwt
from sqlalchemy import select

from backend.extensions import db
from backend.models import RefreshFamily, Role
from tests.factories import make_site, make_user
from tests.test_auth import login


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_parallel_refreshes_with_one_token_have_one_winner(app, client, ctx):
    make_user("duty", Role.staff, [make_site()])
    pair = login(client, "duty").json
    barrier = threading.Barrier(8)
    results: list = []

    def refresh():
        own = app.test_client()          # one client per thread, as separate browsers
        barrier.wait(timeout=10)
        r = own.post("/api/v1/auth/refresh", headers=bearer(pair["refresh_token"]))
        results.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=refresh) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 8
    winners = [body for status, body in results if status == 200]
    assert len(winners) == 1, [s for s, _ in results]
    losers = [(s, b["error"]) for s, b in results if s != 200]
    assert {s for s, _ in losers} == {401}
    # The first loser detects the reuse; one that comes after finds the family revoked.
    assert (401, "refresh_token_reused") in losers
    assert {e for _, e in losers} <= {"refresh_token_reused", "token_revoked"}
    # The losers presented a rotated token: the winner's new chain is revoked with it.
    r = client.post("/api/v1/auth/refresh", headers=bearer(winners[0]["refresh_token"]))
    assert r.status_code == 401 and r.json["error"] == "token_revoked"
    r = client.get("/api/v1/auth/me", headers=bearer(winners[0]["access_token"]))
    assert r.status_code == 401 and r.json["error"] == "token_revoked"


def test_reusing_a_rotated_refresh_token_revokes_its_family(client, ctx):
    make_user("duty")
    first = login(client, "duty").json
    other_login = login(client, "duty").json          # another device: another family
    second = client.post("/api/v1/auth/refresh", headers=bearer(first["refresh_token"])).json
    third = client.post("/api/v1/auth/refresh", headers=bearer(second["refresh_token"])).json

    r = client.post("/api/v1/auth/refresh", headers=bearer(first["refresh_token"]))
    assert r.status_code == 401 and r.json["error"] == "refresh_token_reused"
    for token in (third["refresh_token"], second["refresh_token"]):
        r = client.post("/api/v1/auth/refresh", headers=bearer(token))
        assert r.status_code == 401 and r.json["error"] == "token_revoked"
    r = client.get("/api/v1/auth/me", headers=bearer(third["access_token"]))
    assert r.status_code == 401 and r.json["error"] == "token_revoked"
    family = db.session.scalar(select(RefreshFamily).where(
        RefreshFamily.current_jti == pyjwt.decode(third["refresh_token"],
                                                  options={"verify_signature": False})["jti"]))
    assert family.revoked_reason == "reuse" and family.revoked_at is not None

    # The other login is untouched.
    r = client.post("/api/v1/auth/refresh", headers=bearer(other_login["refresh_token"]))
    assert r.status_code == 200


def test_a_refresh_token_without_a_family_is_refused(app, client, ctx):
    user = make_user("duty")
    with app.test_request_context():
        from flask_jwt_extended import create_refresh_token

        old_style = create_refresh_token(identity=user)   # as issued before families
    r = client.post("/api/v1/auth/refresh", headers=bearer(old_style))
    assert r.status_code == 401 and r.json["error"] == "token_invalid"


def _hand_signed(app, user, **claims) -> str:
    now = int(time.time())
    payload = {"sub": str(user.id), "jti": str(uuid.uuid4()), "iat": now, "nbf": now,
               "type": "access", "fresh": False, "tv": user.token_version,
               "role": user.role.value, **claims}
    payload = {k: v for k, v in payload.items() if v is not None}
    return pyjwt.encode(payload, app.config["JWT_SECRET_KEY"], algorithm="HS256")


def test_a_validly_signed_token_without_exp_is_refused(app, client, ctx):
    user = make_user("duty")
    with_exp = _hand_signed(app, user, exp=int(time.time()) + 60)
    assert client.get("/api/v1/auth/me", headers=bearer(with_exp)).status_code == 200
    r = client.get("/api/v1/auth/me", headers=bearer(_hand_signed(app, user)))
    assert r.status_code == 401 and r.json["error"] == "token_invalid"
    assert "exp" in r.json["message"]
    r = client.get("/api/v1/auth/me", headers=bearer(
        _hand_signed(app, user, exp=int(time.time()) + 60, jti=None)))
    assert r.status_code == 401 and r.json["error"] == "token_invalid"
