"""Live events for clients: ``publish`` on Redis, read back as Server-Sent Events.

Every event goes, in one atomic Lua call, to:
- the site's capped Redis Stream ``gw:site:{id}:stream`` (``XADD MAXLEN ~ N``): SSE reads
  it with ``XREAD BLOCK`` and replays it after ``Last-Event-ID``;
- the site's pub/sub channel ``gw:site:{id}:events`` (JSON ``{id, type, data}``) for any
  other live consumer.
Event ids are Redis Stream ids made *globally* increasing across sites (the script keeps
``gw:events:last_id``), so one ``Last-Event-ID`` resumes every site's stream exactly.
Types so far: ``reading``, ``device_status``; alarms and command results use the same
``publish(site_id, event_type, payload)``.
"""
from __future__ import annotations

import json
import logging
import math
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator

import orjson
import redis as redis_lib
from sqlalchemy import select

from backend import metrics
from backend.accounts.security import Actor, revocation_keys
from backend.errors import DomainError, NotFound, invalid_field
from backend.extensions import db, redis
from backend.live.hub import OVERFLOW, UNAVAILABLE, Subscription, format_sse, hub_for
from backend.live.keys import EVENT_LAST_ID, site_channel, site_stream
from backend.live.outlet import SocketOutlet
from backend.models import Site
from backend.settings import setting

log = logging.getLogger(__name__)

EVENT_ID_RE = re.compile(r"^\d{1,15}-\d{1,15}$")
RETRY_MS = 3000
READ_COUNT = 500
ADOPT_TIMEOUT = 10.0     # seconds a new stream waits for the hub's next read (normally ms)

_PUBLISH_LUA = """
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local seq = 0
local last = redis.call('GET', KEYS[2])
if not last then
  local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
  if top[1] then last = top[1][1] end
end
if last then
  local lms, lseq = string.match(last, '^(%d+)-(%d+)$')
  lms = tonumber(lms)
  if lms >= ms then ms = lms; seq = tonumber(lseq) + 1 end
end
local id = string.format('%.0f-%.0f', ms, seq)
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], id, 'type', ARGV[3], 'data', ARGV[4])
redis.call('SET', KEYS[2], id)
redis.call('PUBLISH', ARGV[2],
           '{"id":"' .. id .. '","type":"' .. ARGV[3] .. '","data":' .. ARGV[4] .. '}')
return id
"""
_scripts: dict[int, object] = {}


def _script(client):
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_PUBLISH_LUA)
    return script


def publish(site_id: int, event_type: str, payload: dict, *, pipe=None) -> str | None:
    """Publish an event to a site's live clients; returns its id (None when ``pipe`` is
    given: the id is then in ``pipe.execute()``'s results). ``payload`` must be
    JSON-serialisable; ``site_id`` is added to it."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", event_type):
        raise ValueError(f"bad event type {event_type!r}")
    client = redis.current()
    # orjson: a reading event of a 2,000-device site is ~1 MB, encoded every poll cycle.
    data = orjson.dumps({"site_id": site_id, **payload}, default=str,
                        option=orjson.OPT_NON_STR_KEYS)
    args = [setting("event_stream_maxlen"), site_channel(site_id), event_type, data]
    result = _script(client)(keys=[site_stream(site_id), EVENT_LAST_ID], args=args,
                             client=pipe or client)
    return None if pipe is not None else result


# --- reading events back -------------------------------------------------------------
def _key(event_id: str) -> tuple[int, int]:
    ms, seq = event_id.split("-")
    return int(ms), int(seq)


def check_event_id(value: str | None, field: str = "Last-Event-ID") -> str | None:
    if value in (None, ""):
        return None
    value = value.strip()
    if not EVENT_ID_RE.match(value):
        invalid_field(field, "not an event id")
    return value


def stream_site_ids(actor: Actor, site_id: int | None) -> list[int]:
    """The sites whose events the caller receives: one checked site, or all granted."""
    if site_id is not None:
        actor.require_site(site_id)
        if db.session.get(Site, site_id) is None:
            raise NotFound(f"site {site_id} not found", error="site_not_found")
        return [site_id]
    if actor.is_superadmin:
        return list(db.session.scalars(select(Site.id).order_by(Site.id)))
    return sorted(actor.site_ids)


# redis-py 8 gives every connection a 5 s socket timeout unless told otherwise: a blocking
# read longer than the client's timeout fails with TimeoutError on a quiet site.
REDIS_DEFAULT_SOCKET_TIMEOUT = 5.0


def block_cap_ms(client) -> int | None:
    """The longest ``XREAD BLOCK`` this client's socket timeout allows (1 s to spare)."""
    timeout = client.connection_pool.connection_kwargs.get("socket_timeout",
                                                            REDIS_DEFAULT_SOCKET_TIMEOUT)
    return None if timeout is None else max(100, int(timeout * 1000) - 1000)


class EventReader:
    """Per-site cursors over the site streams; events come out in global id order."""

    def __init__(self, client, site_ids, after: str | None):
        self.client = client
        self.site_ids = list(site_ids)
        start = after or client.get(EVENT_LAST_ID) or "0-0"
        self.cursors = {site_stream(s): start for s in site_ids}
        self.last = start
        self.block_cap = block_cap_ms(client)

    def read(self, block_ms: int | None) -> list[dict]:
        """Events after the cursors, waiting up to ``block_ms`` (capped below the socket
        timeout: the caller's loop waits again) for the first one."""
        if block_ms and self.block_cap is not None:
            block_ms = min(block_ms, self.block_cap)
        if not self.cursors:
            if block_ms:
                time.sleep(block_ms / 1000)
            return []
        resp = self.client.xread(self.cursors, count=READ_COUNT, block=block_ms) or []
        events, cutoff = [], None
        for stream_key, entries in resp:
            if len(entries) >= READ_COUNT:   # more is waiting: later ids must wait too
                last = _key(entries[-1][0])
                cutoff = last if cutoff is None else min(cutoff, last)
            for entry_id, fields in entries:
                events.append({"id": entry_id, "stream": stream_key,
                               "type": fields.get("type", "message"),
                               "data": fields.get("data", "{}")})
        events.sort(key=lambda e: _key(e["id"]))
        if cutoff is not None:
            events = [e for e in events if _key(e["id"]) <= cutoff]
        for e in events:
            self.cursors[e["stream"]] = e["id"]
            self.last = e["id"]
        return events

    def position(self) -> str:
        """The newest id this reader has handed out (or its start): every event of its
        sites up to it has been read, since events come out in global id order."""
        return self.last


def sse_events(reader: EventReader, *, max_seconds: float,
               is_revoked: Callable[[], bool] | None = None,
               end_reason: str = "max_duration",
               sock: socket.socket | None = None, chunked: bool = True) -> Iterator[str]:
    """The SSE body: replay after the reader's start (read from Redis by this stream),
    then live events through the process's hub (backend/live/hub.py: one blocking read
    for every stream of the process); a comment line every heartbeat. Built before the
    response starts (``open_stream``), so that a Redis that is down answers 503, not a
    broken 200.

    A client that went away is noticed at the next write (at most one heartbeat later):
    the server closes this generator, which leaves the hub.
    """
    heartbeat = max(setting("sse_heartbeat_seconds"), 0.05)
    deadline = time.monotonic() + max_seconds
    site_ids = reader.site_ids
    yield f"retry: {RETRY_MS}\n: connected to {len(site_ids)} site(s)\n\n"
    sub = None
    try:
        # Join the hub first, then replay after Last-Event-ID up to the present: every
        # event is in one of the two (backend/live/hub.py).
        now = reader.client.get(EVENT_LAST_ID) or "0-0"
        sub = hub_for(reader.client, reader.block_cap).subscribe(
            {key: key for key in reader.cursors}, now)
        if not sub.adopted.wait(ADOPT_TIMEOUT):
            raise redis_lib.TimeoutError("the live hub did not take the stream in time")
        while True:
            events = reader.read(None)
            if events:
                yield "".join(format_sse(e) for e in events)
            if len(events) < READ_COUNT:
                break
        sub.caught_up(reader.position())
        if sock is None:                   # a server that gives no socket: thread writes
            yield from _live(sub, deadline, heartbeat, is_revoked, end_reason)
            return
        # The hub writes from here on; this thread waits for the end (backend/live/outlet.py).
        reason = sub.hand_off(SocketOutlet(sock, chunked), deadline, heartbeat, is_revoked,
                              end_reason)
        if reason == UNAVAILABLE:
            raise redis_lib.ConnectionError("the live hub lost Redis")
        if reason != "gone":
            yield f'event: end\ndata: {{"reason":"{reason}"}}\n\n'
    except redis_lib.RedisError as exc:
        # Redis went away or hung mid-stream: say so and end cleanly (EventSource
        # reconnects after ``retry``), never a broken chunked response.
        log.warning("event stream for sites %s: redis unavailable: %s", site_ids, exc)
        yield 'event: end\ndata: {"reason":"unavailable"}\n\n'
    finally:
        if sub is not None:
            sub.close()
        log.debug("event stream for sites %s closed", site_ids)


def _live(sub: Subscription, deadline: float, heartbeat: float,
          is_revoked: Callable[[], bool] | None, end_reason: str) -> Iterator[str]:
    next_check = time.monotonic() + heartbeat
    sent = False
    while True:
        now = time.monotonic()
        if now >= deadline:
            yield f'event: end\ndata: {{"reason":"{end_reason}"}}\n\n'
            return
        item = sub.get(min(deadline, next_check) - now)
        if item == OVERFLOW:          # this client fell behind: it resumes from Redis
            yield 'event: end\ndata: {"reason":"too_slow"}\n\n'
            return
        if item == UNAVAILABLE:
            raise redis_lib.ConnectionError("the live hub lost Redis")
        if item:
            yield "".join(format_sse(e) for e in item)
            sent = True
        if time.monotonic() >= next_check:
            next_check = time.monotonic() + heartbeat
            if is_revoked is not None and is_revoked():
                yield 'event: end\ndata: {"reason":"token_revoked"}\n\n'
                return
            if not sent:
                yield ": keepalive\n\n"
            sent = False


def poll(client, site_ids: list[int], after: str | None, limit: int = READ_COUNT) -> dict:
    """Non-streaming form (JSON) for clients without EventSource: events after ``after``
    (none when ``after`` is not given: the answer's ``last_event_id`` is the start)."""
    if after is None:
        return {"events": [], "last_event_id": client.get(EVENT_LAST_ID) or "0-0"}
    reader = EventReader(client, site_ids, after)
    events = reader.read(None)[:limit]
    return {"events": [{"id": e["id"], "type": e["type"], "data": json.loads(e["data"])}
                       for e in events],
            "last_event_id": events[-1]["id"] if events else after}


# --- entry points for the route ------------------------------------------------------
class StreamsExhausted(DomainError):
    status = 503
    error = "too_many_streams"


_slots_lock = threading.Lock()
_slots: dict[str, threading.BoundedSemaphore] = {}


def _take_slot() -> Callable[[], None]:
    """A stream holds a server thread (waiting on its hub queue): at most
    ``sse_max_streams`` per process; gunicorn runs that many threads and more for the
    rest of the API (backend/runtime/up.py). Returns the (idempotent) release."""
    with _slots_lock:
        limit = setting("sse_max_streams")
        slots = _slots.setdefault(f"sse:{limit}", threading.BoundedSemaphore(limit))
    if not slots.acquire(blocking=False):
        raise StreamsExhausted("too many live streams on this server: retry shortly, or poll "
                               "without Accept: text/event-stream", headers={"Retry-After": "10"})
    released = threading.Event()
    metrics.SSE_CLIENTS.inc()

    def release() -> None:
        if not released.is_set():
            released.set()
            slots.release()
            metrics.SSE_CLIENTS.dec()
    return release


def open_stream(actor: Actor, site_id: int | None, last_event_id: str | None,
                claims: dict, environ: dict | None = None
                ) -> tuple[Iterator[str], Callable[[], None]]:
    """Check everything up front (errors are proper 4xx/503), then hand back the SSE body
    and the function that frees its slot (call it when the response is closed).

    The stream ends when the access token expires (the client reconnects with a fresh
    one), after ``sse_max_seconds``, or when the token is revoked (checked every
    heartbeat); the last event before the end is ``end`` with the reason.
    """
    site_ids = stream_site_ids(actor, site_id)
    after = check_event_id(last_event_id)
    client = redis.current()
    reader = EventReader(client, site_ids, after)    # Redis down: 503 here, before 200
    release = _take_slot()
    limit = float(setting("sse_max_seconds"))
    token_left = float(claims.get("exp", math.inf)) - time.time()
    keys = revocation_keys(claims)      # the token's and its login's (family)

    def revoked() -> bool:
        return bool(client.exists(*keys))

    db.session.remove()   # hold no database connection for the stream's lifetime
    environ = environ or {}
    body = sse_events(reader, max_seconds=max(min(limit, token_left), 1),
                      is_revoked=revoked,
                      end_reason="token_expired" if token_left < limit else "max_duration",
                      sock=environ.get("gunicorn.socket"),
                      chunked=environ.get("SERVER_PROTOCOL") == "HTTP/1.1")
    return body, release


def poll_events(actor: Actor, site_id: int | None, last_event_id: str | None) -> dict:
    site_ids = stream_site_ids(actor, site_id)
    return poll(redis.current(), site_ids, check_event_id(last_event_id, "last_event_id"))
