"""A person's client preferences (the cockpit's cards, their order and which are hidden),
kept server side so that the choice follows the person across browsers and devices."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from backend.clock import utcnow
from backend.models.base import Base


class UserPreferences(Base):
    """One row per person who saved something; ``data`` is validated by the API's schema
    (backend/accounts/preferences.py) before it is stored."""

    __tablename__ = "user_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)
