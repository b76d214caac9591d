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


def snapshot(user: User, site_id: int, targets: Targets) -> dict:
    out = {f: getattr(user, f) for f in FIELDS}
    out["role"] = user.role.value
    out["granted"] = site_id in user.site_ids
    grants = db.session.execute(select(ControlGrant.scope, ControlGrant.target_id).where(
        ControlGrant.user_id == user.id, ControlGrant.site_id == site_id)).all()
    out["control"] = sorted([s, targets.codes.get((s, t), f"#{t}")] for s, t in grants)
    out["wechat"] = sorted([a, o, u] for a, o, u in db.session.execute(
        select(WeChatBinding.appid, WeChatBinding.openid, WeChatBinding.unionid)
        .where(WeChatBinding.user_id == user.id)).all())
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
