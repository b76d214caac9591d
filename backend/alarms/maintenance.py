"""Maintenance windows: while one is on, alarms on its board or circuit (and everything
fed from it) are recorded but notify nobody.

Why the limits: a window silences people, so it must name exactly one target and must
end; 30 days is the longest a planned outage runs here, and a longer one is far more
likely a typo (a year instead of a day) that would silently mute a board.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from backend.accounts.security import Actor
from backend.errors import invalid_field
from backend.extensions import db
from backend.facility.crud import SiteResource, ref
from backend.models import Board, Circuit, Role
from backend.models.alarms import MaintenanceWindow

MAX_LENGTH = timedelta(days=30)


def active_windows(site_ids, at: datetime) -> list:
    """(id, site_id, board_id, circuit_id) of the windows on at ``at``, in one query
    (the alarm engine's loader)."""
    ids = list(site_ids)
    if not ids:
        return []
    m = MaintenanceWindow
    return list(db.session.execute(
        select(m.id, m.site_id, m.board_id, m.circuit_id)
        .where(m.site_id.in_(ids), m.starts_at <= at, m.ends_at > at).order_by(m.id)))


class MaintenanceWindows(SiteResource):
    model, entity_type, label = MaintenanceWindow, "maintenance_window", "maintenance_window"
    EQ_FILTERS = ("board_id", "circuit_id")
    WRITE_ROLE = Role.manager

    def select(self, actor: Actor, args: dict):
        stmt = super().select(actor, args)
        if args.get("active_at") is not None:
            at = args["active_at"]
            stmt = stmt.where(MaintenanceWindow.starts_at <= at, MaintenanceWindow.ends_at > at)
        return stmt.order_by(None).order_by(MaintenanceWindow.starts_at.desc(),
                                            MaintenanceWindow.id.desc())

    def create(self, actor: Actor, data: dict):
        return super().create(actor, {**data, "created_by": actor.user_id})

    def validate(self, actor, obj, data, site_id):
        def merged(field):
            return data[field] if field in data else getattr(obj, field, None)

        board_id, circuit_id = merged("board_id"), merged("circuit_id")
        if (board_id is None) == (circuit_id is None):
            field = "circuit_id" if "circuit_id" in data and "board_id" not in data \
                else "board_id"
            invalid_field(field, "give exactly one of board_id and circuit_id")
        ref(Board, board_id, site_id, "board_id", "board")
        ref(Circuit, circuit_id, site_id, "circuit_id", "circuit")
        starts_at, ends_at = merged("starts_at"), merged("ends_at")
        if starts_at is None:
            invalid_field("starts_at", "is required")
        if ends_at is None:
            invalid_field("ends_at", "is required")
        if ends_at <= starts_at:
            invalid_field("ends_at", "must be after starts_at")
        if ends_at - starts_at > MAX_LENGTH:
            invalid_field("ends_at", f"a window lasts at most {MAX_LENGTH.days} days")


maintenance_windows = MaintenanceWindows()
