"""Token pairs and refresh-token families.

Each login starts a *family* (a ``refresh_families`` row; the ``fam`` claim of both
tokens). Only the family's current refresh token may be rotated, and only once: the
rotation is one conditional ``UPDATE ... WHERE current_jti = :presented``, so of several
concurrent refreshes (in any number of server processes) PostgreSQL lets exactly one win.
Presenting a refresh token that was already rotated is reuse (a copy was stolen, or a
race was lost): the whole family is revoked, the winner's new tokens included.

Revocation lives in the database (authoritative for refreshes) and in Redis (checked on
every request, for the access tokens of the family too): ``REVOKED_KEY`` per token,
``FAMILY_REVOKED_KEY`` per family.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy import delete, select, update

from backend.accounts.security import FAMILY_REVOKED_KEY, REVOKED_KEY
from backend.clock import utcnow
from backend.errors import Unauthorized
from backend.extensions import db, redis
from backend.models import RefreshFamily, User

log = logging.getLogger(__name__)


def _at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)


def _pair(user: User, family_id: str) -> tuple[dict, dict]:
    refresh = create_refresh_token(identity=user, additional_claims={"fam": family_id})
    claims = decode_token(refresh)
    # The access token knows its refresh token and family so that logout revokes both.
    access = create_access_token(identity=user,
                                 additional_claims={"rjti": claims["jti"], "fam": family_id})
    tokens = {"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
              "user": user}
    return tokens, claims


def issue_tokens(user: User) -> dict:
    """A new pair starting a new family (a login, a password change)."""
    family_id = uuid.uuid4().hex
    tokens, claims = _pair(user, family_id)
    db.session.add(RefreshFamily(id=family_id, user_id=user.id, current_jti=claims["jti"],
                                 expires_at=_at(claims["exp"])))
    return tokens


def forget_expired(user_id: int) -> None:
    """Drop the user's families whose last refresh token has expired."""
    db.session.execute(delete(RefreshFamily).where(RefreshFamily.user_id == user_id,
                                                   RefreshFamily.expires_at < utcnow()))


def rotate(user: User, claims: dict) -> dict:
    """Exchange the presented refresh token for a new pair of the same family, once.

    Commits: the reuse case must leave its revocation behind although it answers 401.
    """
    family_id, jti = claims.get("fam"), claims["jti"]
    if not family_id:
        raise Unauthorized("This refresh token has no family: log in again",
                           error="token_invalid")
    tokens, new = _pair(user, family_id)
    won = db.session.execute(
        update(RefreshFamily)
        .where(RefreshFamily.id == family_id, RefreshFamily.user_id == user.id,
               RefreshFamily.current_jti == jti, RefreshFamily.revoked_at.is_(None))
        .values(current_jti=new["jti"], rotated_at=utcnow(), expires_at=_at(new["exp"]))
        .returning(RefreshFamily.id)).first()
    if won:
        db.session.commit()
        return tokens
    family = db.session.scalar(select(RefreshFamily).where(RefreshFamily.id == family_id,
                                                           RefreshFamily.user_id == user.id))
    if family is None:
        db.session.rollback()
        raise Unauthorized("Unknown refresh token: log in again", error="token_invalid")
    if family.revoked_at is not None:
        db.session.rollback()
        _mark_family_revoked(family_id)
        raise Unauthorized("The token has been revoked", error="token_revoked")
    revoke_family(family_id, "reuse")
    db.session.commit()
    log.warning("refresh token reuse for user %s (family %s): family revoked", user.id,
                family_id)
    raise Unauthorized("This refresh token was already used: every token of this login is "
                       "revoked; log in again", error="refresh_token_reused")


def revoke_family(family_id: str, reason: str) -> None:
    """Revoke every token of a family (the database now, Redis at once)."""
    db.session.execute(update(RefreshFamily)
                       .where(RefreshFamily.id == family_id, RefreshFamily.revoked_at.is_(None))
                       .values(revoked_at=utcnow(), revoked_reason=reason))
    _mark_family_revoked(family_id)


def _mark_family_revoked(family_id: str) -> None:
    # Outlives every token of the family: none is valid longer than a refresh token.
    ttl = int(current_app.config["JWT_REFRESH_TOKEN_EXPIRES"].total_seconds())
    redis.set(FAMILY_REVOKED_KEY.format(fam=family_id), "1", ex=max(ttl, 1))


def revoke(jti: str, expires_at: int) -> None:
    """Revoke one token until it would have expired anyway."""
    ttl = max(int(expires_at - datetime.now(timezone.utc).timestamp()), 1)
    redis.set(REVOKED_KEY.format(jti=jti), "1", ex=ttl)


def logout(claims: dict) -> None:
    """Revoke this access token and its whole family (the refresh token with it)."""
    revoke(claims["jti"], claims["exp"])
    if claims.get("fam"):
        revoke_family(claims["fam"], "logout")
