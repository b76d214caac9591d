"""One Redis reader per server process, fanning live events out to every open stream.

A stream used to hold its own Redis connection in ``XREAD BLOCK``: a thousand open
streams were a thousand connections, each receiving (and decoding) every event of its
sites. The hub reads the site streams its subscribers need once, with one blocking
``XREAD``, and hands each event batch to the subscribers of its site through a queue
each; a stream's thread waits on its queue.

Exact delivery, no gaps and no duplicates: event ids increase globally (backend/live/
stream.py). A subscriber first joins (from then on every event of its sites is queued
for it: a site new to the hub is read from the newest id at the moment of joining), then
replays from Redis itself everything after its resume point up to the present, and then
takes its queue, dropping what the replay already sent. Every event is either before the
join (the replay has it) or after (the queue has it). A subscriber that does not keep up (its queue holds ``MAX_BACKLOG`` batches)
is cut off and told so; it resumes from Redis on reconnect with ``Last-Event-ID``. When
Redis fails, every subscriber is told and the hub retries.
"""
from __future__ import annotations

import logging
import os
import queue
import selectors
import socket
import threading
import time
import uuid
from collections.abc import Callable

import redis as redis_lib

from backend.live.outlet import SocketOutlet

log = logging.getLogger(__name__)

MAX_BACKLOG = 200          # event batches waiting for one subscriber before it is cut off
TICK_SECONDS = 0.25        # how often handed-off streams are flushed and checked
READ_COUNT = 500
IDLE_BLOCK_MS = 1000       # a blocking read returns this often, so new sites join quickly
OVERFLOW = "overflow"      # what a cut-off subscriber receives instead of events
UNAVAILABLE = "unavailable"


def format_sse(event: dict) -> str:
    return f"id: {event['id']}\nevent: {event['type']}\ndata: {event['data']}\n\n"


def _key(event_id: str) -> tuple[int, int]:
    ms, seq = event_id.split("-")
    return int(ms), int(seq)


class Subscription:
    """One stream's side: ``get`` waits for the next batch of events of its sites."""

    def __init__(self, hub: Hub, streams: dict[str, str], last: str) -> None:
        # ``last`` is set again by the stream after its replay (``caught_up``).
        self.hub = hub
        self.streams = streams            # stream key -> site id (as text)
        self.last = _key(last)            # the newest id this subscriber has sent
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.adopted = threading.Event()  # the hub reads all its streams together now
        self.closed = False
        # Handed off (``hand_off``): the hub writes to the socket and ends the stream.
        self.outlet: SocketOutlet | None = None
        self.done = threading.Event()
        self.reason = ""
        self.deadline = self.next_check = 0.0
        self.heartbeat = 15.0
        self.sent = False
        self.is_revoked: Callable[[], bool] | None = None
        self.end_reason = "max_duration"

    def get(self, timeout: float) -> list[dict] | str | None:
        """Events newer than what was sent (``[]`` when only duplicates arrived), or
        ``OVERFLOW`` / ``UNAVAILABLE``, or None after ``timeout`` seconds of nothing."""
        try:
            item = self.queue.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None
        if isinstance(item, str):
            return item
        fresh = [e for e in item if _key(e["id"]) > self.last]
        if fresh:
            self.last = _key(fresh[-1]["id"])
        return fresh

    def caught_up(self, last: str) -> None:
        """The replay has sent everything up to ``last``: queued events up to it are
        duplicates."""
        self.last = max(self.last, _key(last))

    def hand_off(self, outlet: SocketOutlet, deadline: float, heartbeat: float,
                 is_revoked: Callable[[], bool] | None, end_reason: str) -> str:
        """From now on the hub writes this stream's events, keepalives and checks to the
        socket itself; wait until the stream ends and return why (``gone`` when the
        client left). The socket is the server thread's again when this returns."""
        self.outlet, self.deadline, self.heartbeat = outlet, deadline, heartbeat
        self.next_check = time.monotonic() + heartbeat
        self.is_revoked, self.end_reason = is_revoked, end_reason
        self.hub.adopt_outlet(self)
        while not self.done.wait(5.0):
            if not self.hub.thread or not self.hub.thread.is_alive():   # never hang
                self.hub._finish(self, UNAVAILABLE)
        if not outlet.release():
            self.reason = "gone"
        return self.reason

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.hub.unsubscribe(self)


class Hub:
    """The process's reader: one thread, started by the first subscriber."""

    def __init__(self, client: redis_lib.Redis, block_cap_ms: int | None) -> None:
        self.client = client
        self.block_ms = min(IDLE_BLOCK_MS, block_cap_ms or IDLE_BLOCK_MS)
        self.lock = threading.Condition()
        self.subscribers: dict[str, set[Subscription]] = {}    # stream key -> subscribers
        self.cursors: dict[str, str] = {}                       # stream key -> last read id
        self.reading: set[str] = set()      # the streams of the read in progress
        self.waiting: set[Subscription] = set()   # joined, not yet in a read of all theirs
        # A read blocks up to ``block_ms``; a stream new to the hub wakes it with an entry
        # here instead of waiting for the read to end.
        self.wake_key = f"gw:live:hub-wake:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.outlets: set[Subscription] = set()   # streams whose socket the hub writes
        self.selector = selectors.DefaultSelector()   # their sockets: a closed one reads
        self.ticked = 0.0
        self.thread: threading.Thread | None = None

    # -- subscribers ---------------------------------------------------------------
    def subscribe(self, streams: dict[str, str], now: str) -> Subscription:
        """Join: from now on every event of these streams is queued for the subscriber.
        ``now`` is the newest event id at this moment (``gw:events:last_id``, read just
        before): a stream new to the hub is read from there. The subscriber then waits
        for ``adopted`` (the hub reads all its streams in one read from then on, so its
        queue is in id order), replays from Redis what came before and calls
        ``caught_up`` (see the module's docstring)."""
        sub = Subscription(self, streams, now)
        with self.lock:
            new = [key for key in streams if key not in self.cursors]
            for key in streams:
                self.subscribers.setdefault(key, set()).add(sub)
                self.cursors.setdefault(key, now)
            if set(streams) <= self.reading:
                sub.adopted.set()
            else:
                self.waiting.add(sub)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="live-hub",
                                               daemon=True)
                self.thread.start()
            self.lock.notify_all()
        if new and not sub.adopted.is_set():
            self.client.xadd(self.wake_key, {"new": len(new)}, maxlen=10, approximate=True)
            self.client.expire(self.wake_key, 86400)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self.lock:
            for key in sub.streams:
                members = self.subscribers.get(key)
                if members is not None:
                    members.discard(sub)
                    if not members:
                        del self.subscribers[key]
                        self.cursors.pop(key, None)
            self.waiting.discard(sub)

    def adopt_outlet(self, sub: Subscription) -> None:
        """The hub writes to ``sub``'s socket from now on: first what queued meanwhile."""
        with self.lock:
            self.outlets.add(sub)
            self.selector.register(sub.outlet.sock, selectors.EVENT_READ, sub)
            while True:
                try:
                    item = sub.queue.get_nowait()
                except queue.Empty:
                    break
                self._send(sub, item if not isinstance(item, str) else [], item)

    def _finish(self, sub: Subscription, reason: str) -> None:
        with self.lock:
            if sub not in self.outlets:
                return
            self.outlets.discard(sub)
            try:
                self.selector.unregister(sub.outlet.sock)
            except (KeyError, ValueError, OSError):
                pass
        sub.reason = reason
        sub.done.set()

    def _send(self, sub: Subscription, batch: list, marker=None) -> None:
        if marker in (OVERFLOW, UNAVAILABLE):
            self._finish(sub, "too_slow" if marker == OVERFLOW else UNAVAILABLE)
            return
        fresh = [e for e in batch if _key(e["id"]) > sub.last]
        if not fresh:
            return
        sub.last = _key(fresh[-1]["id"])
        sub.sent = True
        why = sub.outlet.write("".join(format_sse(e) for e in fresh))
        if why:
            self._finish(sub, why)

    def _tick(self) -> None:
        """Every handed-off stream: flush, end at its deadline, and each heartbeat check
        revocation and send a keepalive if nothing was sent."""
        now = time.monotonic()
        if now - self.ticked < TICK_SECONDS:
            return
        self.ticked = now
        with self.lock:
            outlets = list(self.outlets)
            ready = self.selector.select(0) if outlets else []
        for key, _events in ready:             # the client closed (or sent something)
            try:
                if key.fileobj.recv(1, socket.MSG_PEEK) == b"":
                    self._finish(key.data, "gone")
            except BlockingIOError:
                pass
            except OSError:
                self._finish(key.data, "gone")
        for sub in outlets:
            if sub.done.is_set():
                continue
            why = sub.outlet.flush()
            if why is None and now >= sub.deadline:
                why = sub.end_reason
            if why is None and now >= sub.next_check:
                sub.next_check = now + sub.heartbeat
                try:
                    revoked = sub.is_revoked is not None and sub.is_revoked()
                except redis_lib.RedisError:
                    revoked, why = False, UNAVAILABLE
                if revoked:
                    why = "token_revoked"
                elif not sub.sent and why is None:
                    why = sub.outlet.write(": keepalive\n\n")
                sub.sent = False
            if why:
                self._finish(sub, why)

    def count(self) -> int:
        with self.lock:
            return len({s for members in self.subscribers.values() for s in members})

    # -- the reader ----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            try:
                self._tick()
            except Exception:                  # the hub must outlive any one stream
                log.exception("live hub: tick failed")
            with self.lock:
                while not self.subscribers:
                    self.lock.wait()
                cursors = dict(self.cursors)
                self.reading = set(cursors)
                for sub in [s for s in self.waiting if set(s.streams) <= self.reading]:
                    self.waiting.discard(sub)
                    sub.adopted.set()
            try:
                resp = self.client.xread({**cursors, self.wake_key: "$"}, count=READ_COUNT,
                                         block=self.block_ms) or []
                resp = [(key, entries) for key, entries in resp if key != self.wake_key]
            except redis_lib.RedisError as exc:
                log.warning("live hub: redis unavailable: %s", exc)
                self._broadcast(UNAVAILABLE)
                time.sleep(1.0)
                continue
            except Exception:                  # the hub must outlive any one bad event
                log.exception("live hub: read failed")
                time.sleep(1.0)
                continue
            try:
                self._deliver(resp)
            except Exception:
                log.exception("live hub: delivery failed")

    def _deliver(self, resp: list) -> None:
        """Hand each subscriber the events of its streams in one batch in id order. A
        stream that filled its ``READ_COUNT`` holds back the others' later ids for the
        next read (ids are global: a batch must never skip one)."""
        cutoff = None
        for _key_, entries in resp:
            if len(entries) >= READ_COUNT:
                last = _key(entries[-1][0])
                cutoff = last if cutoff is None else min(cutoff, last)
        events: dict[str, list[dict]] = {}
        for key, entries in resp:
            kept = [{"id": entry_id, "stream": key, "type": fields.get("type", "message"),
                     "data": fields.get("data", "{}")} for entry_id, fields in entries
                    if cutoff is None or _key(entry_id) <= cutoff]
            if kept:
                events[key] = kept
        if not events:
            return
        with self.lock:
            for key, kept in events.items():
                if key in self.cursors:
                    self.cursors[key] = kept[-1]["id"]
            members = {s for key in events for s in self.subscribers.get(key, ())}
        with self.lock:          # a stream handing off now gets its batch one way only
            for sub in members:
                batch = [e for key in sub.streams for e in events.get(key, ())]
                if len(sub.streams) > 1:
                    batch.sort(key=lambda e: _key(e["id"]))
                if sub in self.outlets:
                    self._send(sub, batch)
                else:
                    self._offer(sub, batch)

    def _offer(self, sub: Subscription, item) -> None:
        if sub.queue.qsize() >= MAX_BACKLOG:
            sub.queue.put(OVERFLOW)
            sub.close()
            return
        sub.queue.put(item)

    def _broadcast(self, item: str) -> None:
        with self.lock:
            members = {s for group in self.subscribers.values() for s in group}
            outlets = set(self.outlets)
        for sub in members:
            if sub in outlets:
                self._finish(sub, item)
            else:
                sub.queue.put(item)


_hubs: dict[int, Hub] = {}
_hubs_lock = threading.Lock()


def hub_for(client: redis_lib.Redis, block_cap_ms: int | None) -> Hub:
    """This process's hub for ``client`` (one per app's Redis client)."""
    with _hubs_lock:
        hub = _hubs.get(id(client))
        if hub is None:
            hub = _hubs[id(client)] = Hub(client, block_cap_ms)
        return hub
