"""Inspection reminders: idempotent (one reminder per plan and due date)."""
from __future__ import annotations

import logging

from backend.inspections.reminders import remind_due
from backend.runtime.context import app_context

log = logging.getLogger(__name__)


def remind() -> int:
    """Tell the managers of sites whose plans fell due; returns the outbox rows made."""
    with app_context():
        made = remind_due()
    if made:
        log.info("inspections.remind: %d notifications", len(made))
    return len(made)
