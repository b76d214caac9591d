"""The site box's uplink (backend/sitelink, docs/sitelink.md).

Site side: ``uplink_outbox``, rows written in the transaction of the data they carry with
``seq`` NULL; the one shipper numbers committed rows in id order (``uplink_state`` holds
the counter) and sends them by ``seq``. Centre side: ``site_credentials`` (the hash of a
site's token), ``uplink_received`` ((site, seq) stored once) and ``site_uplinks`` (each
site's watermark: its highest contiguous seq).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
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

UPLINK_KINDS = ("readings", "alarm", "audit")
LINK_STATES = ("idle", "up", "down", "stopped")


class UplinkOutbox(Base):
    __tablename__ = "uplink_outbox"
    __table_args__ = (
        Index("uq_uplink_outbox_seq", "seq", unique=True),
        Index("ix_uplink_outbox_unnumbered", "id", postgresql_where=text("seq IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    seq: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), default=utcnow)
    acked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UplinkState(Base):
    """The site box's one row: the seq counter, the centre's last watermark, the link."""

    __tablename__ = "uplink_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    acked_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(16), default="idle")
    last_error: Mapped[str | None] = mapped_column(Text)
    error_seq: Mapped[int | None] = mapped_column(BigInteger)
    last_ack_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SiteCredential(Base):
    __tablename__ = "site_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)   # sha256 hex
    prefix: Mapped[str] = mapped_column(String(12))                    # shown in lists
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UplinkReceived(Base):
    __tablename__ = "uplink_received"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"),
                                         primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now(), default=utcnow)


class SiteUplink(Base):
    """The centre's view of one site's link."""

    __tablename__ = "site_uplinks"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"),
                                         primary_key=True)
    watermark: Mapped[int] = mapped_column(BigInteger, default=0)
    last_batch_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    error_seq: Mapped[int | None] = mapped_column(BigInteger)


class CentralCommand(Base):
    """At a site box: each command request from the centre it answered, once (its id is
    the centre's command id): the box's command made for it, or why it was refused; and
    when the answer reached the centre (docs/sitelink.md)."""

    __tablename__ = "central_commands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    command_id: Mapped[int | None] = mapped_column(ForeignKey("commands.id",
                                                              ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(Text)
    message_zh: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now(), default=utcnow)
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
