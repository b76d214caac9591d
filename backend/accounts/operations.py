"""Accounts: passwords (Argon2), logging in and out, user management.

Throttling is in ``throttle.py``, token pairs and refresh families in ``tokens.py``.
"""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select

from backend.accounts import audit, throttle, tokens
from backend.accounts.security import Actor
from backend.accounts.tokens import issue_tokens
from backend.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from backend.extensions import db
from backend.models import Role, Site, User, user_sites

_hasher = PasswordHasher()
# A real hash to verify against when the user does not exist: equal timing either way.
_DUMMY_HASH = _hasher.hash("gridwarden-timing-equaliser")

MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_policy(username: str, password: str, field: str = "password") -> None:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip().lower() == username.strip().lower():
        problems.append("must differ from the username")
    if problems:
        raise ValidationFailed(f"{field}: " + "; ".join(problems), errors={field: problems},
                               error="weak_password")


def _verify(user: User | None, password: str) -> bool:
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    if user is None:
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


# --- logging in and out --------------------------------------------------------------

def authenticate(settings, username: str, password: str, remote_addr: str | None) -> User:
    """The active user with this password, throttled (``throttle.py``); 401 otherwise.
    Shared by the password login and the WeChat binding (backend/miniapp)."""
    throttle.check(settings, username, remote_addr)
    user = db.session.scalar(select(User).where(User.username == username))
    if not _verify(user, password) or not user.is_active:
        throttle.note_failure(settings, username, remote_addr)
        raise Unauthorized("Wrong username or password", error="invalid_credentials")
    throttle.note_success(username, remote_addr)
    return user


def start_session(user: User, remote_addr: str | None, via: str | None = None) -> dict:
    """A new token pair for a user who just proved who they are, audited as a login."""
    tokens.forget_expired(user.id)
    pair = issue_tokens(user)
    audit.record(Actor.of(user, remote_addr), "login", "user", user.id, site_id=None,
                 after={"via": via} if via else None, site_ids=user.site_ids)
    return pair


def login(settings, username: str, password: str, remote_addr: str | None) -> dict:
    user = authenticate(settings, username, password, remote_addr)
    return start_session(user, remote_addr)


def refresh(user: User, claims: dict) -> dict:
    """Rotate the refresh token, atomically and once (``tokens.rotate``)."""
    return tokens.rotate(user, claims)


def logout(claims: dict) -> None:
    tokens.logout(claims)


def change_own_password(actor: Actor, user: User, current: str, new: str) -> dict:
    if not _verify(user, current):
        raise ValidationFailed("current_password is wrong",
                               errors={"current_password": ["is wrong"]}, error="wrong_password")
    check_password_policy(user.username, new, "new_password")
    user.password_hash = hash_password(new)
    user.token_version += 1  # every token issued before is now refused
    audit.record(actor, "change_password", "user", user.id, site_id=None,
                 site_ids=user.site_ids)
    db.session.flush()
    return issue_tokens(user)


# --- user management -----------------------------------------------------------------

def select_users(actor: Actor, args: dict):
    stmt = select(User)
    if not actor.is_superadmin:
        shared = select(user_sites.c.user_id).where(user_sites.c.site_id.in_(actor.site_ids))
        stmt = stmt.where(User.id.in_(shared))
    if args.get("site_id") is not None:
        stmt = stmt.where(User.id.in_(select(user_sites.c.user_id)
                                      .where(user_sites.c.site_id == args["site_id"])))
    if args.get("role"):
        stmt = stmt.where(User.role == Role(args["role"]))
    if args.get("is_active") is not None:
        stmt = stmt.where(User.is_active == args["is_active"])
    if args.get("q"):
        like = f"%{args['q']}%"
        stmt = stmt.where(or_(User.username.ilike(like), User.display_name.ilike(like)))
    return stmt.order_by(User.id)


def get_user(actor: Actor, user_id: int) -> User:
    user = db.session.get(User, user_id)
    visible = user is not None and (actor.is_superadmin or actor.user_id == user_id
                                    or set(user.site_ids) & actor.site_ids)
    if not visible:
        raise NotFound(f"user {user_id} not found", error="user_not_found")
    return user


def require_managed(actor: Actor, user: User) -> None:
    """An admin manages a user only if all that user's sites are the admin's own."""
    if actor.is_superadmin:
        return
    if user.is_superadmin or not set(user.site_ids) <= actor.site_ids:
        raise Forbidden("this user also belongs to sites you do not administer",
                        error="user_outside_your_sites")


def _apply(actor: Actor, user: User, data: dict) -> None:
    if "site_ids" in data:
        ids = set(data.pop("site_ids"))
        if not actor.is_superadmin and not ids <= actor.site_ids:
            raise Forbidden("you can only grant sites you administer", error="site_not_granted")
        sites = db.session.scalars(select(Site).where(Site.id.in_(ids))).all()
        missing = ids - {s.id for s in sites}
        if missing:
            raise ValidationFailed("site_ids: unknown sites",
                                   errors={"site_ids": [f"unknown site {i}" for i in sorted(missing)]})
        user.sites = list(sites)
    if data.get("is_superadmin") and not actor.is_superadmin:
        raise Forbidden("only a system administrator can create one", error="superadmin_required")
    if "password" in data:
        check_password_policy(data.get("username", user.username), data["password"])
        user.password_hash = hash_password(data.pop("password"))
        user.token_version = (user.token_version or 0) + 1
    if data.get("is_active") is False:
        user.token_version = (user.token_version or 0) + 1
    for key, value in data.items():
        setattr(user, key, Role(value) if key == "role" else value)


def _user_snapshot(user: User) -> dict:
    snap = audit.snapshot(user)
    snap["site_ids"] = sorted(user.site_ids)
    return snap


def create_user(actor: Actor, data: dict) -> User:
    actor.require_role(Role.admin)
    if db.session.scalar(select(User.id).where(User.username == data["username"])):
        raise Conflict(f"username {data['username']!r} is taken", error="duplicate_username",
                       errors={"username": ["is taken"]})
    if "password" not in data:
        raise ValidationFailed("password is required", errors={"password": ["is required"]})
    data.setdefault("site_ids", [])
    user = User(username=data["username"], password_hash="", token_version=0)
    _apply(actor, user, dict(data))
    db.session.add(user)
    db.session.flush()
    after = _user_snapshot(user)
    audit.record(actor, "create", "user", user.id, site_id=None, after=after,
                 site_ids=after["site_ids"])
    return user


def update_user(actor: Actor, user_id: int, data: dict) -> User:
    actor.require_role(Role.admin)
    user = get_user(actor, user_id)
    require_managed(actor, user)
    if "username" in data and data["username"] != user.username:
        if db.session.scalar(select(User.id).where(User.username == data["username"])):
            raise Conflict(f"username {data['username']!r} is taken",
                           error="duplicate_username", errors={"username": ["is taken"]})
    if user.id == actor.user_id and (data.get("is_active") is False
                                     or data.get("role", user.role.value) != user.role.value
                                     or (user.is_superadmin
                                         and data.get("is_superadmin") is False)):
        raise Conflict("you cannot disable yourself or change your own role",
                       error="self_lockout")
    before = _user_snapshot(user)
    _apply(actor, user, dict(data))
    db.session.flush()
    after = _user_snapshot(user)
    # A grant removed is news to that site's admins too: the sites before and after.
    audit.record(actor, "update", "user", user.id, site_id=None, before=before, after=after,
                 site_ids=before["site_ids"] + after["site_ids"])
    return user


def delete_user(actor: Actor, user_id: int) -> None:
    actor.require_role(Role.admin)
    user = get_user(actor, user_id)
    require_managed(actor, user)
    if user.id == actor.user_id:
        raise Conflict("you cannot delete yourself", error="self_lockout")
    before = _user_snapshot(user)
    db.session.delete(user)
    db.session.flush()
    audit.record(actor, "delete", "user", user_id, site_id=None, before=before,
                 site_ids=before["site_ids"])


def create_first_admin(username: str, password: str) -> User:
    """The CLI's bootstrap: a system administrator; refuses an existing username."""
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"username {username!r} is taken", error="duplicate_username")
    check_password_policy(username, password)
    user = User(username=username, display_name=username, password_hash=hash_password(password),
                role=Role.admin, is_superadmin=True, token_version=1)
    db.session.add(user)
    db.session.flush()
    audit.record(Actor.system("cli"), "create", "user", user.id, site_id=None,
                 after=_user_snapshot(user))
    return user
