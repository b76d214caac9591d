"""Helpers that build users, sites and facilities through the services (not raw SQL)."""
from __future__ import annotations

from backend.accounts.operations import hash_password
from backend.accounts.tokens import issue_tokens
from backend.extensions import db
from backend.models import Role, Site, User

PASSWORD = "correct-horse-battery"
_HASH = None


def make_site(code: str = "DC1", name: str = "一号看守所") -> Site:
    site = Site(code=code, name=name)
    db.session.add(site)
    db.session.commit()
    return site


def make_user(username: str, role: Role = Role.staff, sites=(), superadmin: bool = False,
              password: str = PASSWORD) -> User:
    global _HASH
    if password == PASSWORD:
        _HASH = _HASH or hash_password(PASSWORD)
        pw_hash = _HASH
    else:
        pw_hash = hash_password(password)
    user = User(username=username, display_name=username, password_hash=pw_hash, role=role,
                is_superadmin=superadmin, token_version=1, sites=list(sites))
    db.session.add(user)
    db.session.commit()
    return user


def auth(user: User) -> dict:
    """Authorization header for ``user`` (tokens minted directly, no login round-trip)."""
    tokens = issue_tokens(user)
    db.session.commit()          # the token's login (refresh family) is a row
    return {"Authorization": f"Bearer {tokens['access_token']}"}
