"""Redis names of the live events: a pub/sub channel and a capped stream per site."""
from __future__ import annotations


def site_channel(site_id: int) -> str:
    """Pub/sub channel of a site's events (readings, device status, alarms, ...)."""
    return f"gw:site:{site_id}:events"


def site_stream(site_id: int) -> str:
    """Capped Redis Stream of the same events; SSE replays from it (Last-Event-ID)."""
    return f"gw:site:{site_id}:stream"


# The newest event id given out (ids are "<ms>-<seq>", shared by every site).
EVENT_LAST_ID = "gw:events:last_id"
