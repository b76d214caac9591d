"""Who is calling and what they may do.

Views declare their policy with ``@access(...)``; the authorization test walks every
route and fails on a route that declares none. Services receive an ``Actor`` (plain
values), never request globals.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import request
from flask_jwt_extended import current_user as jwt_current_user
from flask_jwt_extended import verify_jwt_in_request

from backend.errors import Forbidden, NotFound, error_payload
from backend.models import ROLE_RANK, Role, User


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    role: Role
    is_superadmin: bool
    site_ids: frozenset[int]
    remote_addr: str | None = None

    @classmethod
    def of(cls, user: User, remote_addr: str | None = None) -> "Actor":
        return cls(user.id, user.username, user.role, user.is_superadmin,
                   frozenset(user.site_ids), remote_addr)

    @classmethod
    def system(cls, name: str = "system") -> "Actor":
        return cls(None, name, Role.admin, True, frozenset(), None)

    def has_role(self, role: Role) -> bool:
        return self.is_superadmin or ROLE_RANK[self.role] >= ROLE_RANK[role]

    def can_see_site(self, site_id: int | None) -> bool:
        return self.is_superadmin or site_id in self.site_ids

    def require_site(self, site_id: int | None, what: str = "site") -> None:
        """404 (not 403) for a site the caller is not granted: its existence is not revealed."""
        if not self.can_see_site(site_id):
            raise NotFound(f"{what} not found", error=f"{what}_not_found")

    def require_role(self, role: Role) -> None:
        if not self.has_role(role):
            raise Forbidden(f"this action needs the {role.value} role", error="role_required")

    def require_superadmin(self) -> None:
        if not self.is_superadmin:
            raise Forbidden("this action needs a system administrator", error="superadmin_required")


def current_actor() -> Actor:
    return Actor.of(jwt_current_user, request.remote_addr)


# --- the view policy -----------------------------------------------------------------

PUBLIC = "public"
SUPERADMIN = "superadmin"


def access(policy: str | Role, *, refresh: bool = False):
    """Declare and enforce a view's policy: ``PUBLIC``, a minimum ``Role`` or ``SUPERADMIN``.

    Enforced before body validation, so an unauthorised caller learns nothing from 422s.
    """
    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if policy != PUBLIC:
                verify_jwt_in_request(refresh=refresh)
                actor = current_actor()
                if policy == SUPERADMIN:
                    actor.require_superadmin()
                else:
                    actor.require_role(Role(policy))
            return fn(*args, **kwargs)

        wrapper._gw_access = policy.value if isinstance(policy, Role) else policy
        wrapper._gw_refresh = refresh
        return wrapper

    return decorator


# --- flask-jwt-extended wiring -------------------------------------------------------

REVOKED_KEY = "gw:jwt:revoked:{jti}"
FAMILY_REVOKED_KEY = "gw:jwt:family-revoked:{fam}"   # every token of one login (tokens.py)
# Claims a token must carry: PyJWT checks ``exp`` only when present, and a token that
# never expires (hand-signed, or from a bug) must not be accepted.
REQUIRED_CLAIMS = ("exp", "iat", "jti", "sub")


def revocation_keys(claims: dict) -> list[str]:
    """The Redis keys whose existence means this token is revoked."""
    keys = [REVOKED_KEY.format(jti=claims.get("jti"))]
    if claims.get("fam"):
        keys.append(FAMILY_REVOKED_KEY.format(fam=claims["fam"]))
    return keys


def init_jwt(jwt) -> None:
    from backend.extensions import db, redis

    @jwt.user_identity_loader
    def _identity(user: User):
        return str(user.id)

    @jwt.additional_claims_loader
    def _claims(user: User):
        return {"tv": user.token_version, "role": user.role.value}

    @jwt.user_lookup_loader
    def _lookup(_header, payload):
        user = db.session.get(User, int(payload["sub"]))
        if user is None or not user.is_active or payload.get("tv") != user.token_version:
            return None
        return user

    @jwt.token_in_blocklist_loader
    def _revoked(_header, payload):
        return bool(redis.exists(*revocation_keys(payload)))

    @jwt.token_verification_loader
    def _complete(_header, payload):
        return all(payload.get(c) is not None for c in REQUIRED_CLAIMS) \
            and isinstance(payload["exp"], (int, float))

    def _err(status, error, message):
        return error_payload(status, message, error=error), status

    jwt.user_lookup_error_loader(
        lambda _h, _p: _err(401, "token_invalid", "The account is disabled or its password changed"))
    jwt.expired_token_loader(lambda _h, _p: _err(401, "token_expired", "The token has expired"))
    jwt.revoked_token_loader(lambda _h, _p: _err(401, "token_revoked", "The token has been revoked"))
    jwt.invalid_token_loader(lambda msg: _err(401, "token_invalid", f"Invalid token: {msg}"))
    jwt.unauthorized_loader(lambda msg: _err(401, "authorization_required", msg))
    jwt.needs_fresh_token_loader(lambda _h, _p: _err(401, "fresh_token_required", "Log in again"))
    jwt.token_verification_failed_loader(lambda _h, _p: _err(
        401, "token_invalid", "Invalid token: it must carry " + ", ".join(REQUIRED_CLAIMS)))

