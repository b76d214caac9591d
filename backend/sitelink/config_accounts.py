"""Configuration down, accounts: one user's values as both ends compare them.

A user's *snapshot* relative to one site: the fields that flow down (role, flags, the
password hash, contact fields), whether the user is granted the site, their control
grants on it by target code and their WeChat bindings. The centre sends snapshots; the
site box computes the same shape from its own rows to tell a local change from the
values it last applied (``config_down``). Identity is by codes and user names: ids differ
between the two databases.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from backend.extensions import db
from backend.models import Area, Board, Circuit, ControlGrant, User, WeChatBinding

FIELDS = ("display_name", "role", "is_superadmin", "is_active", "password_hash", "phone",
          "locale")
SCOPES = {"area": Area, "board": Board, "circuit": Circuit}


class Targets:
    """A site's control-grant targets: (scope, id) <-> (scope, code)."""

    def __init__(self, site_id: int):
        self.codes: dict[tuple[str, int], str] = {}
        for scope, model in SCOPES.items():
            for tid, code in db.session.execute(
                    select(model.id, model.code).where(model.site_id == site_id)).all():
                self.codes[(scope, tid)] = code
        self.ids = {(scope, code): tid for (scope, tid), code in self.codes.items()}


class Extras:
    """The users' control grants on the site and their WeChat bindings, two queries for
    all of them (a snapshot per user would cost two each)."""

    def __init__(self, site_id: int, user_ids):
        ids = list(user_ids)
        self.control: dict[int, list] = {}
        self.wechat: dict[int, list] = {}
        if not ids:
            return
        for uid, scope, tid in db.session.execute(
                select(ControlGrant.user_id, ControlGrant.scope, ControlGrant.target_id).where(
                    ControlGrant.site_id == site_id, ControlGrant.user_id.in_(ids))).all():
            self.control.setdefault(uid, []).append((scope, tid))
        for uid, appid, openid, unionid in db.session.execute(
                select(WeChatBinding.user_id, WeChatBinding.appid, WeChatBinding.openid,
                       WeChatBinding.unionid).where(WeChatBinding.user_id.in_(ids))).all():
            self.wechat.setdefault(uid, []).append([appid, openid, unionid])


def snapshot(user: User, site_id: int, targets: Targets, extras: Extras | None = None) -> dict:
    extras = extras or Extras(site_id, [user.id])
    out = {f: getattr(user, f) for f in FIELDS}
    out["role"] = user.role.value
    out["granted"] = site_id in user.site_ids
    out["control"] = sorted([s, targets.codes.get((s, t), f"#{t}")]
                            for s, t in extras.control.get(user.id, []))
    out["wechat"] = sorted(extras.wechat.get(user.id, []))
    return out


def shown(snap: dict | None) -> dict | None:
    """A snapshot fit to show: the password hash as a short fingerprint."""
    if snap is None:
        return None
    out = dict(snap)
    if out.get("password_hash"):
        out["password_hash"] = "sha256:" + hashlib.sha256(
            out["password_hash"].encode()).hexdigest()[:12]
    return out
