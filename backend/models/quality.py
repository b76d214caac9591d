"""Power quality's daily results (docs/quality.md), kept for trends.

One row per site and day (``device_id`` NULL: the site's pooled indices and its system
diagnosis) and per monitoring point and day. The daily job rewrites a (site, day) whole in
one transaction, so running it twice gives the same rows.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.clock import utcnow
from backend.models.base import Base


class QualityDaily(Base):
    __tablename__ = "quality_daily"
    __table_args__ = (
        Index("uq_quality_daily", "site_id", text("coalesce(device_id, 0)"), "day",
              unique=True),
        Index("ix_quality_daily_device_day", "device_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)            # in the site's time zone
    intervals: Mapped[int] = mapped_column(Integer, default=0)
    indices: Mapped[dict] = mapped_column(JSON, default=dict)
    events: Mapped[list] = mapped_column(JSON, default=list)
    diagnosis: Mapped[list] = mapped_column(JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
