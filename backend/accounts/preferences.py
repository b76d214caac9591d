"""A person's client preferences: for now the cockpit's cards (which, in what order).

Why these shapes:
- A person who never saved reads as the defaults (every card, the default order), so the
  clients need no "create" step; PUT replaces the cockpit's choice as a whole.
- Unknown card keys are refused (422 ``unknown_card``) rather than stored: a typo would
  otherwise be kept forever and the card the person meant never shown. A key twice is
  refused too (``duplicate_card``). Cards the person's list leaves out (a card added in a
  later release) are shown after theirs by the clients (pwa/src/lib/cockpit.js).
- It is the person's own view, no control action and no site data: not audited.
"""
from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert

from backend.accounts.security import Actor
from backend.clock import utcnow
from backend.errors import invalid_field
from backend.extensions import db
from backend.models.preferences import UserPreferences

# The cockpit's cards, in their default order (the clients' names: pwa/src/lib/cockpit.js).
COCKPIT_CARDS = ("ranking", "oneline", "energy", "trend", "alarms", "stats", "live_power",
                 "top_circuits")


def default_cockpit_cards() -> list[dict]:
    return [{"key": k, "hidden": False} for k in COCKPIT_CARDS]


def _out(user_id: int, row: UserPreferences | None) -> dict:
    data = (row.data if row else None) or {}
    return {"user_id": user_id, "cockpit_cards": data.get("cockpit_cards") or default_cockpit_cards(),
            "updated_at": row.updated_at if row else None}


def get_preferences(actor: Actor) -> dict:
    return _out(actor.user_id, db.session.get(UserPreferences, actor.user_id))


def check_cockpit_cards(cards: list[dict]) -> list[dict]:
    """The cockpit's choice as stored, or the 422 naming the card at fault."""
    seen = set()
    for i, card in enumerate(cards):
        key = card["key"]
        if key not in COCKPIT_CARDS:
            invalid_field(f"cockpit_cards.{i}.key",
                          f"unknown card {key!r}: one of {', '.join(COCKPIT_CARDS)}",
                          error="unknown_card")
        if key in seen:
            invalid_field(f"cockpit_cards.{i}.key", f"card {key!r} listed twice",
                          error="duplicate_card")
        seen.add(key)
    return [{"key": c["key"], "hidden": bool(c.get("hidden", False))} for c in cards]


def update_preferences(actor: Actor, data: dict) -> dict:
    """Replace the parts given (``cockpit_cards``); an atomic upsert, so two devices saving at
    once leave one whole choice, never a mix."""
    row = db.session.get(UserPreferences, actor.user_id)
    stored = dict(row.data or {}) if row else {}
    if "cockpit_cards" in data:
        stored["cockpit_cards"] = check_cockpit_cards(data["cockpit_cards"])
    now = utcnow()
    stmt = insert(UserPreferences).values(user_id=actor.user_id, data=stored, updated_at=now)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=[UserPreferences.user_id], set_={"data": stored, "updated_at": now}))
    db.session.flush()
    db.session.expire_all()
    return get_preferences(actor)
