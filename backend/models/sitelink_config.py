"""Configuration down, accounts (backend/sitelink/config_*.py, docs/sitelink.md).

Centre side: ``site_config_versions``, one row per site: the version of the site's
account document (moved by one when the document's digest changes) and the version the
site box last said it runs. Site side: ``config_state`` (one row: the version applied) and
``config_users``: per user synced from the centre, the central values last written into
the account (``applied``, None for a local account of the same name) and the latest ones
received (``central``). A local change is an account whose values differ from
``applied``; it is a conflict when ``central`` differs from ``applied`` too.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.clock import utcnow
from backend.models.base import Base


class SiteConfigVersion(Base):
    __tablename__ = "site_config_versions"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"),
                                         primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    digest: Mapped[str] = mapped_column(String(64), default="")
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    site_version: Mapped[int | None] = mapped_column(BigInteger)
    site_reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    site_conflicts: Mapped[int | None] = mapped_column(Integer)
    # The box's local changes as it last reported them (kind, key, conflict, fields with
    # the box's and the centre's value, since), for the centre's view; resolved at the box.
    site_changes: Mapped[list | None] = mapped_column(JSON)
    site_changes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ConfigState(Base):
    __tablename__ = "config_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    digest: Mapped[str] = mapped_column(String(64), default="")
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


class ConfigUser(Base):
    __tablename__ = "config_users"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    applied: Mapped[dict | None] = mapped_column(JSON)
    central: Mapped[dict] = mapped_column(JSON)
    central_version: Mapped[int] = mapped_column(BigInteger)
    local_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 default=utcnow, onupdate=utcnow)


class ConfigItem(Base):
    """Site side, per synced alarm rule, linkage rule, scene or schedule (``kind`` and its
    ``key``, backend/sitelink/config_rules.py): the central values last written into the
    row (``applied``; None for a row of the box adopted under the same key) and the latest
    ones received (``central``; None once the centre deleted it). ``origin``: the centre's
    id of the row (facility records as ``<section>:<id>``), so a code or a name changed at
    the centre renames the box's row; None for entries synced before it travelled.
    ``local_since``: since when the row has differed here (a local change)."""

    __tablename__ = "config_items"
    __table_args__ = (Index("uq_config_items_origin", "kind", "origin", unique=True,
                            postgresql_where=text("origin IS NOT NULL")),)

    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    applied: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    central: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    central_version: Mapped[int] = mapped_column(BigInteger)
    origin: Mapped[str | None] = mapped_column(String(64))
    local_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 default=utcnow, onupdate=utcnow)
