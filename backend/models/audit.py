from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from backend.clock import utcnow
from backend.models.base import Base


class AuditEntry(Base):
    """Who did what, when, to which record, with the record before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),
                      Index("ix_audit_log_site_ids", "site_ids", postgresql_using="gin"),
                      Index("uq_audit_log_site_origin", "site_id", "origin_id", unique=True,
                            postgresql_where=text("origin_id IS NOT NULL")))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                         default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                index=True)
    username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))       # create / update / delete / import / ...
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    site_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # A record of no one site (a user, with grants on several): the sites it concerns,
    # so each of their admins reads it.
    site_ids: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    # At the centre, a row forwarded by a site box: its id at the site (docs/sitelink.md).
    origin_id: Mapped[int | None] = mapped_column(Integer)
    # ... and its entity's id there (``entity_id`` is the centre's, when it maps one).
    origin_entity_id: Mapped[int | None] = mapped_column(Integer)
