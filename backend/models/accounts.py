"""Accounts shared by the web console, the PWA and the mini-program."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Column, DateTime, Enum, ForeignKey, Integer, String, Table, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.clock import utcnow
from backend.models.base import Base, TimestampMixin


class Role(str, enum.Enum):
    admin = "admin"
    manager = "manager"
    staff = "staff"


ROLE_RANK = {Role.staff: 1, Role.manager: 2, Role.admin: 3}

user_sites = Table(
    "user_sites",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, name="user_role"), default=Role.staff)
    # A system administrator manages every site and every user.
    is_superadmin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(16), default="zh-CN")
    # Bumped on password change / deactivation: tokens carrying an older value are refused.
    token_version: Mapped[int] = mapped_column(Integer, default=1)

    sites: Mapped[list["Site"]] = relationship(  # noqa: F821
        secondary=user_sites, lazy="selectin", order_by="Site.id")

    @property
    def site_ids(self) -> list[int]:
        return [s.id for s in self.sites]

    def has_role(self, role: Role) -> bool:
        return self.is_superadmin or ROLE_RANK[self.role] >= ROLE_RANK[role]


class RefreshFamily(Base):
    """One login's chain of refresh tokens (the ``fam`` claim): only ``current_jti`` may
    be rotated, once; presenting an older one revokes the whole family (reuse detection).
    """

    __tablename__ = "refresh_families"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    current_jti: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow)
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The current refresh token's expiry: a family past it is dead and can be deleted.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(16))   # logout / reuse
