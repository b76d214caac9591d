"""Log in with WeChat, bind, unbind (docs/miniprogram.md).

- A ``wx.login`` code of a bound WeChat identity logs in: the same token pair as the
  password login. An unknown identity gets a binding ticket instead: random, kept in
  Redis by its SHA-256 for ``TICKET_SECONDS`` with the identity, consumed by the binding
  that uses it. No account is ever created from WeChat, no password is kept on the phone.
- Binding takes the ticket and an account's username and password, checked and throttled
  exactly as the password login (``accounts.authenticate``). A wrong password leaves the
  ticket valid until it expires (the throttle bounds the tries); a used ticket is gone.
  One binding per account and per openid (per mini-program appid).
- A binding sets the user's mini-program openid for subscribe messages and, through the
  UnionID when WeChat gives one, the official-account openid for template messages;
  unbinding clears what the binding set.
"""
from __future__ import annotations

import hashlib
import json
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.accounts import audit
from backend.accounts import operations as accounts
from backend.accounts.security import Actor
from backend.errors import Conflict, Unauthorized
from backend.extensions import db, redis
from backend.miniapp import wechat
from backend.models import NotifyProfile, Role, SubscribeGrant, User, WeChatBinding
from backend.models.notify import CHANNELS
from backend.settings import setting

TICKET_SECONDS = 300
TICKET_KEY = "gw:wechat:bind-ticket:{digest}"


def _key(ticket: str) -> str:
    return TICKET_KEY.format(digest=hashlib.sha256(ticket.encode()).hexdigest())


def _snapshot(binding: WeChatBinding) -> dict:
    return {"user_id": binding.user_id, "appid": binding.appid, "openid": binding.openid,
            "unionid": binding.unionid, "oa_openid": binding.oa_openid}


def _find(appid: str, **where) -> WeChatBinding | None:
    stmt = select(WeChatBinding).where(WeChatBinding.appid == appid)
    for key, value in where.items():
        stmt = stmt.where(getattr(WeChatBinding, key) == value)
    return db.session.scalar(stmt)


# --- login -----------------------------------------------------------------------------

def login(code: str, remote_addr: str | None) -> dict:
    """``{"bound": True, tokens...}`` or ``{"bound": False, "bind_ticket", "expires_in"}``."""
    identity = wechat.code_to_session(code)
    binding = _find(identity.appid, openid=identity.openid)
    if binding is None:
        ticket = secrets.token_urlsafe(32)
        redis.set(_key(ticket), json.dumps(identity.__dict__), ex=TICKET_SECONDS)
        return {"bound": False, "bind_ticket": ticket, "expires_in": TICKET_SECONDS}
    user = db.session.get(User, binding.user_id)
    if not user.is_active:
        raise Unauthorized("this account is disabled", error="account_disabled")
    if identity.unionid and binding.unionid != identity.unionid:
        binding.unionid = identity.unionid
    return {"bound": True, **accounts.start_session(user, remote_addr, via="wechat")}


def bind(settings, ticket: str, username: str, password: str,
         remote_addr: str | None) -> dict:
    """Link the ticket's WeChat identity to this account (once); a token pair."""
    raw = redis.get(_key(ticket)) if ticket and len(ticket) <= 128 else None
    if raw is None:
        raise Unauthorized("binding ticket unknown, expired or used; log in with WeChat "
                           "again", error="wechat_ticket_invalid")
    user = accounts.authenticate(settings, username, password, remote_addr)
    identity = wechat.Identity(**json.loads(raw))
    if _find(identity.appid, user_id=user.id) is not None:
        raise Conflict("this account is already bound to a WeChat identity; unbind it "
                       "first", error="wechat_already_bound")
    if _find(identity.appid, openid=identity.openid) is not None:
        raise Conflict("this WeChat identity is already bound to another account",
                       error="wechat_identity_taken")
    if not redis.delete(_key(ticket)):          # of two concurrent binds one wins
        raise Unauthorized("binding ticket already used", error="wechat_ticket_invalid")
    binding = WeChatBinding(user_id=user.id, appid=identity.appid, openid=identity.openid,
                            unionid=identity.unionid)
    db.session.add(binding)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("this account or WeChat identity was bound meanwhile",
                       error="wechat_already_bound") from None
    actor = Actor.of(user, remote_addr)
    _link_notify(actor, user, binding)
    audit.record(actor, "create", "wechat_binding", binding.id, site_id=None,
                 after=_snapshot(binding), site_ids=user.site_ids)
    return accounts.start_session(user, remote_addr, via="wechat")


def _link_notify(actor: Actor, user: User, binding: WeChatBinding) -> None:
    """The binding's openids into the user's notify profile (audited as its update)."""
    profile = db.session.get(NotifyProfile, user.id)
    before = audit.snapshot(profile) if profile else None
    if profile is None:
        profile = NotifyProfile(user_id=user.id, channels=list(CHANNELS))
        db.session.add(profile)
    profile.mp_openid = binding.openid
    oa_openid = wechat.official_account_openid(binding.unionid) if binding.unionid else None
    if oa_openid:
        profile.oa_openid = binding.oa_openid = oa_openid
    db.session.flush()
    audit.record(actor, "update" if before else "create", "notify_profile", user.id,
                 site_id=None, before=before, after=audit.snapshot(profile),
                 site_ids=user.site_ids)


# --- the binding, seen and removed ---------------------------------------------------

def _binding_of(user_id: int) -> WeChatBinding | None:
    return db.session.scalar(select(WeChatBinding).where(WeChatBinding.user_id == user_id)
                             .order_by(WeChatBinding.id))


def status(actor: Actor, user_id: int | None = None) -> dict:
    """What the settings page shows: bound or not, the subscribe template and its grants
    (the caller's, or for an admin those of a user they can see)."""
    user_id = actor.user_id if user_id is None else accounts.get_user(actor, user_id).id
    binding = _binding_of(user_id)
    profile = db.session.get(NotifyProfile, user_id)
    template = setting("wxa_subscribe_template") or None
    grant = db.session.get(SubscribeGrant, (user_id, template)) if template else None
    return {"bound": binding is not None,
            "bound_at": binding.created_at if binding else None,
            "official_account_linked": bool(profile and profile.oa_openid),
            "subscribe_template_id": template,
            "grants_left": grant.remaining if grant else 0,
            "last_result": grant.last_result if grant else None}


def unbind(actor: Actor, user_id: int | None = None) -> None:
    """Remove the caller's binding (``user_id`` None) or, for an admin, a managed user's.
    Idempotent, as a second tap or a stale settings page would repeat it."""
    if user_id is None:
        user = db.session.get(User, actor.user_id)
    else:
        actor.require_role(Role.admin)
        user = accounts.get_user(actor, user_id)
        accounts.require_managed(actor, user)
    binding = _binding_of(user.id)
    if binding is None:
        return
    before = _snapshot(binding)
    profile = db.session.get(NotifyProfile, user.id)
    if profile is not None:
        profile_before = audit.snapshot(profile)
        if profile.mp_openid == binding.openid:
            profile.mp_openid = None
        if binding.oa_openid and profile.oa_openid == binding.oa_openid:
            profile.oa_openid = None
        audit.record(actor, "update", "notify_profile", user.id, site_id=None,
                     before=profile_before, after=audit.snapshot(profile),
                     site_ids=user.site_ids)
    db.session.delete(binding)
    db.session.flush()
    audit.record(actor, "delete", "wechat_binding", binding.id, site_id=None,
                 before=before, site_ids=user.site_ids)
