"""flask-smorest pagination over SQLAlchemy 2 ``select()`` statements."""
from __future__ import annotations

from flask_smorest import Page
from sqlalchemy import func, select

from backend.extensions import db


class SQLPage(Page):
    """Counts and slices in the database, not in Python."""

    @property
    def items(self):
        p = self.page_params
        return db.session.scalars(self.collection.offset(p.first_item).limit(p.page_size)).all()

    @property
    def item_count(self):
        inner = self.collection.order_by(None).subquery()
        return db.session.scalar(select(func.count()).select_from(inner))
