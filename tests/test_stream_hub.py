"""The live hub: one Redis reader per process feeds every stream (issue 18, item 4). Every
stream gets every event of its sites exactly once and in order, also when it joins while
events are being published; one that does not keep up is cut off, not left to grow."""
from __future__ import annotations

import threading
import time

from backend.extensions import redis
from backend.live import hub as live_hub
from backend.live import stream
from backend.live.keys import site_stream

SITES = (101, 102, 103)


def _ids(body) -> list[str]:
    out = []
    for block in body:
        out += [line[4:] for line in block.split("\n") if line.startswith("id: ")]
    return out


def test_every_stream_gets_every_event_once_in_order_while_others_join(ctx):
    client = redis.current()
    stream.publish(SITES[0], "test", {"n": -1})            # the streams exist
    before = live_hub.hub_for(client, None).count()
    results: dict[int, tuple] = {}
    threads = []

    def consume(n: int, site_ids: list[int], after: str | None) -> None:
        reader = stream.EventReader(client, site_ids, after)
        start = reader.position()
        results[n] = (site_ids, start, _ids(stream.sse_events(reader, max_seconds=4.0)))

    published = []
    for i in range(240):
        published.append(stream.publish(SITES[i % 3], "test", {"n": i}))
        if i % 20 == 0:                 # a stream joins every 20 events, some resuming
            n = len(threads)
            sites = [SITES[n % 3]] if n % 2 else list(SITES[: 1 + n % 3])
            after = published[max(0, i - 15)] if n % 3 == 0 else None
            t = threading.Thread(target=consume, args=(n, sites, after), daemon=True)
            t.start()
            threads.append(t)
        time.sleep(0.005)
    for t in threads:
        t.join(timeout=15)
        assert not t.is_alive()
    assert len(results) == len(threads) == 12
    for n, (site_ids, start, got) in results.items():
        want = sorted((entry_id for s in site_ids
                       for entry_id, _ in client.xrange(site_stream(s), min=f"({start}")),
                      key=live_hub._key)
        assert got == want, (n, site_ids, start, len(got), len(want))
    assert live_hub.hub_for(client, None).count() == before  # every stream left the hub


def test_one_reader_thread_serves_every_stream(ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "GW_SSE_HEARTBEAT_SECONDS", 0.5)
    client = redis.current()
    hubs_before = {t for t in threading.enumerate() if t.name == "live-hub"}
    before = live_hub.hub_for(client, None).count()
    bodies = [stream.sse_events(stream.EventReader(client, [SITES[i % 3]], None),
                                max_seconds=30) for i in range(30)]
    for body in bodies:
        next(body)                                  # the retry line
    threads = [threading.Thread(target=next, args=(b,), daemon=True) for b in bodies]
    for t in threads:
        t.start()                                   # each joins the hub, then waits
    hub = live_hub.hub_for(client, None)
    deadline = time.monotonic() + 10
    while hub.count() < before + 30:
        assert time.monotonic() < deadline, hub.count()
        time.sleep(0.02)
    stream.publish(SITES[0], "test", {"n": 1})
    for t in threads:
        t.join(timeout=5)                # site 101's got the event, the others a keepalive
        assert not t.is_alive()
    # One reader for the 30 streams: this client's hub's (other tests' hubs may live on).
    new_readers = {t for t in threading.enumerate() if t.name == "live-hub"} - hubs_before
    assert new_readers <= {hub.thread} and hub.thread.is_alive()
    for body in bodies:
        body.close()
    assert hub.count() == before


def test_a_stream_that_falls_behind_is_cut_off(ctx, monkeypatch):
    monkeypatch.setattr(live_hub, "MAX_BACKLOG", 3)
    client = redis.current()
    position = stream.publish(SITES[1], "test", {"n": 0})
    hub = live_hub.hub_for(client, None)
    before = hub.count()
    sub = hub.subscribe({site_stream(SITES[1]): site_stream(SITES[1])}, position)
    for i in range(8):                         # separate reads: one batch each
        stream.publish(SITES[1], "test", {"n": i})
        time.sleep(0.15)
    got = []
    while (item := sub.get(0.5)) is not None:
        got.append(item)
    assert got[-1] == live_hub.OVERFLOW and len(got) <= 4, got
    assert sub.closed and hub.count() == before
