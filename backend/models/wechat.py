"""WeChat identities linked to accounts (the mini-program's login).

A binding links one mini-program openid (per mini-program appid) to one existing user,
once: accounts are never created from WeChat alone (docs/miniprogram.md). ``unionid``
is WeChat's identity of the person across the mini-program and the official account
(present when both are under one open-platform account); it finds the user's
official-account openid for template messages.
"""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, TimestampMixin


class WeChatBinding(TimestampMixin, Base):
    __tablename__ = "wechat_bindings"
    __table_args__ = (
        UniqueConstraint("appid", "openid", name="uq_wechat_bindings_openid"),
        UniqueConstraint("appid", "user_id", name="uq_wechat_bindings_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    appid: Mapped[str] = mapped_column(String(32))
    openid: Mapped[str] = mapped_column(String(64))
    unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    # The official-account openid this binding found through the UnionID (cleared with it).
    oa_openid: Mapped[str | None] = mapped_column(String(64))
