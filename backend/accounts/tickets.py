"""Stream tickets: what an EventSource URL carries instead of a token.

Browsers' EventSource cannot send an Authorization header, and a URL ends up in access
logs, proxies and browser history. So the client first asks for a ticket (with its
header), then opens ``/api/v1/stream?ticket=...``: a random string, kept in Redis (by its
SHA-256, never in clear) for ``TICKET_SECONDS`` with the caller's access token, and
consumed by its first use. A logged ticket is worthless: used, or expired within
seconds. The stream then runs under that access token (its expiry and revocation).
"""
from __future__ import annotations

import hashlib
import secrets

from backend.extensions import redis

TICKET_SECONDS = 30
TICKET_KEY = "gw:stream:ticket:{digest}"


def _key(ticket: str) -> str:
    return TICKET_KEY.format(digest=hashlib.sha256(ticket.encode()).hexdigest())


def issue(access_token: str) -> dict:
    """A single-use ticket standing for ``access_token`` (already verified by the caller)."""
    ticket = secrets.token_urlsafe(32)
    redis.set(_key(ticket), access_token, ex=TICKET_SECONDS)
    return {"ticket": ticket, "expires_in": TICKET_SECONDS}


def redeem(ticket: str) -> str | None:
    """The access token a ticket stands for, once (None: unknown, expired or used)."""
    if not ticket or len(ticket) > 128:
        return None
    pipe = redis.pipeline()          # MULTI: of two concurrent uses one gets the token
    pipe.get(_key(ticket))
    pipe.delete(_key(ticket))
    token, _ = pipe.execute()
    return token
