"""GET /api/v1/stream: Server-Sent Events, resumable, scoped; every wait is bounded."""
from __future__ import annotations

import json
import logging
import queue
import threading
import time
from datetime import datetime, timezone

import pytest
import requests
from flask_jwt_extended import decode_token
from werkzeug.serving import make_server

from backend.accounts.security import REVOKED_KEY
from backend.extensions import redis
from backend.live import stream
from backend.models import Role
from backend.telemetry import status
from backend.telemetry.ingest import ingest as store
from tests.factories import auth, make_user
from tests.test_telemetry import build_world

SSE = {"Accept": "text/event-stream"}


@pytest.fixture
def w(ctx, app, monkeypatch):
    # Short heartbeats and lifetimes: a stream can never outlive a test by much.
    monkeypatch.setitem(app.config, "GW_SSE_HEARTBEAT_SECONDS", 0.2)
    monkeypatch.setitem(app.config, "GW_SSE_MAX_SECONDS", 8)
    return build_world()


def parse(block: str) -> dict:
    out = {"comments": []}
    for line in block.split("\n"):
        if line.startswith(":"):
            out["comments"].append(line[1:].strip())
        elif ":" in line:
            key, _, value = line.partition(":")
            out[key] = value[1:] if value.startswith(" ") else value
    if "data" in out:
        out["data"] = json.loads(out["data"])
    return out


class Reader:
    """Makes the request and consumes the streaming body in its own thread (the thread
    that runs the view must iterate the body, as in a real server); the test waits on a
    queue with bounded timeouts."""

    def __init__(self, client, path: str, headers: dict):
        self.blocks: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        self.opened: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, args=(client, path, headers),
                                       daemon=True)
        self.thread.start()
        status, mimetype = self.opened.get(timeout=5)
        assert (status, mimetype) == (200, "text/event-stream")

    def _run(self, client, path, headers):
        r = client.get(path, headers=headers)
        self.opened.put((r.status_code, r.mimetype))
        buf = ""
        try:
            for chunk in r.response:
                buf += chunk.decode() if isinstance(chunk, bytes) else chunk
                while "\n\n" in buf:
                    block, buf = buf.split("\n\n", 1)
                    self.blocks.put(parse(block))
                if self.stop.is_set():
                    break
        finally:
            r.close()
            self.blocks.put(None)

    def next_events(self, n: int, timeout: float = 5.0, kinds=None) -> list[dict]:
        """The next ``n`` events (comment-only blocks skipped), or fail after ``timeout``."""
        got, deadline = [], time.monotonic() + timeout
        while len(got) < n:
            block = self.blocks.get(timeout=max(deadline - time.monotonic(), 0.01))
            assert block is not None, f"stream ended after {got}"
            if "event" in block and (kinds is None or block["event"] in kinds):
                got.append(block)
        return got

    def wait_comment(self, text: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            block = self.blocks.get(timeout=max(deadline - time.monotonic(), 0.01))
            assert block is not None, "stream ended"
            if any(text in c for c in block["comments"]):
                return

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        assert not self.thread.is_alive()


def open_stream(client, path="/api/v1/stream", headers=None) -> Reader:
    return Reader(client, path, {**SSE, **(headers or {})})


def ingest(device_id, **values):
    store([(device_id, datetime.now(timezone.utc), values)])


def test_live_events_then_resume_with_last_event_id(w, client):
    reader = open_stream(client, headers=w["h"])
    reader.wait_comment("connected")
    ingest(w["d1"], voltage_a=231.0)
    [first] = reader.next_events(1)
    assert first["event"] == "reading"
    assert first["data"]["site_id"] == w["site"]
    [dev] = first["data"]["devices"]
    assert dev["device_id"] == w["d1"] and dev["values"]["voltage_a"]["v"] == 231.0
    reader.close()

    # Missed while disconnected: a status change and two readings.
    for _ in range(3):
        status.record_poll_result(w["d4"], False, "timeout")
    ingest(w["d2"], voltage_a=232.0)
    ingest(w["d3"], switch_state="open")
    reader = open_stream(client, headers={**w["h"], "Last-Event-ID": first["id"]})
    missed = reader.next_events(3)
    assert [e["event"] for e in missed] == ["device_status", "reading", "reading"]
    assert missed[0]["data"]["device_id"] == w["d4"] and missed[0]["data"]["online"] is False
    assert [e["data"]["devices"][0]["device_id"] for e in missed[1:]] == [w["d2"], w["d3"]]
    assert missed[2]["data"]["devices"][0]["values"]["switch_state"]["v"] == "open"
    ids = [first["id"]] + [e["id"] for e in missed]
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))
    ingest(w["d1"], voltage_a=233.0)                    # and then live again
    [live] = reader.next_events(1)
    assert live["data"]["devices"][0]["values"]["voltage_a"]["v"] == 233.0
    reader.close()


def test_ticket_and_site_scoping(w, client):
    ticket = client.post("/api/v1/stream/ticket", headers=w["hb"]).json["ticket"]
    reader = open_stream(client, f"/api/v1/stream?ticket={ticket}")
    reader.wait_comment("connected")
    ingest(w["d1"], voltage_a=230.0)                    # site A: not for this user
    ingest(w["db"], voltage_a=229.0)                    # site B
    [event] = reader.next_events(1)                     # ids are ordered: A's would be first
    assert event["data"]["site_id"] == w["site_b"]
    reader.close()
    assert client.get(f"/api/v1/stream?site_id={w['site']}", headers={**SSE, **w["hb"]}
                      ).status_code == 404
    assert client.get("/api/v1/stream", headers=SSE).status_code == 401
    assert client.get("/api/v1/stream?ticket=garbage", headers=SSE).status_code == 401
    r = client.get("/api/v1/stream", headers={**SSE, **w["h"], "Last-Event-ID": "nope"})
    assert r.status_code == 422 and "Last-Event-ID" in r.json["errors"]


def test_ids_increase_across_sites_and_a_superadmin_sees_every_site(w, client):
    ids = [stream.publish(w["site"], "test", {"n": 1}), stream.publish(w["site_b"], "test",
           {"n": 2}), stream.publish(w["site"], "test", {"n": 3})]
    keys = [tuple(map(int, i.split("-"))) for i in ids]
    assert keys == sorted(keys) and len(set(keys)) == 3
    root = auth(make_user("root", Role.admin, superadmin=True))
    reader = open_stream(client, headers={**root, "Last-Event-ID": ids[0]})
    got = reader.next_events(2)
    assert [(e["id"], e["data"]["n"], e["data"]["site_id"]) for e in got] == [
        (ids[1], 2, w["site_b"]), (ids[2], 3, w["site"])]
    reader.close()
    # The same events on pub/sub, for other consumers.
    pubsub = redis.pubsub()
    pubsub.subscribe(f"gw:site:{w['site']}:events")
    pubsub.get_message(timeout=1)                       # subscribe confirmation
    event_id = stream.publish(w["site"], "alarm", {"level": "warning"})
    msg = pubsub.get_message(timeout=2)
    pubsub.close()
    assert json.loads(msg["data"]) == {"id": event_id, "type": "alarm",
                                       "data": {"site_id": w["site"], "level": "warning"}}


def test_heartbeat_revocation_and_max_duration(w, client, app, monkeypatch):
    reader = open_stream(client, headers=w["h"])
    reader.wait_comment("keepalive", timeout=3)
    jti = decode_token(w["h"]["Authorization"].split()[1])["jti"]
    redis.set(REVOKED_KEY.format(jti=jti), 1, ex=60)
    [end] = reader.next_events(1, kinds={"end"})
    assert end["data"] == {"reason": "token_revoked"}
    assert reader.blocks.get(timeout=3) is None         # the server closed the stream
    reader.close()
    monkeypatch.setitem(app.config, "GW_SSE_MAX_SECONDS", 0.5)
    reader = open_stream(client, headers=w["hb"])
    [end] = reader.next_events(1, kinds={"end"})
    assert end["data"] == {"reason": "max_duration"}
    reader.close()


def test_streams_per_process_are_bounded(w, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "GW_SSE_MAX_STREAMS", 1)
    reader = open_stream(client, headers=w["h"])
    r = client.get("/api/v1/stream", headers={**SSE, **w["hb"]})
    assert r.status_code == 503 and r.json["error"] == "too_many_streams"
    assert r.headers["Retry-After"] == "10"
    reader.close()                                      # closing the response frees it
    reader = open_stream(client, headers=w["hb"])
    reader.close()


def test_poll_form_for_clients_without_event_source(w, client):
    r = client.get("/api/v1/stream", headers=w["h"])
    assert r.status_code == 200 and r.json["events"] == []
    start = r.json["last_event_id"]
    ingest(w["d1"], voltage_a=230.0)
    ingest(w["db"], voltage_a=230.0)                    # another site's
    r = client.get(f"/api/v1/stream?last_event_id={start}", headers=w["h"])
    assert [e["type"] for e in r.json["events"]] == ["reading"]
    assert r.json["events"][0]["data"]["site_id"] == w["site"]
    assert r.json["last_event_id"] == r.json["events"][0]["id"]
    r = client.get("/api/v1/stream?last_event_id=12", headers=w["h"])
    assert r.status_code == 422 and "last_event_id" in r.json["errors"]


def test_client_disconnect_ends_the_generator_on_a_real_server(w, app, caplog):
    """gthread/werkzeug close the body iterator when a write fails; the heartbeat makes
    that happen within one interval of the client going away."""
    caplog.set_level(logging.DEBUG, logger="backend.live.stream")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/api/v1/stream"
        with requests.get(url, headers={**SSE, **w["h"]}, stream=True, timeout=5) as r:
            assert r.status_code == 200
            first = next(r.iter_lines(decode_unicode=True))
            assert first.startswith("retry:")
        deadline = time.monotonic() + 5
        while not any("closed" in m for m in caplog.messages):
            assert time.monotonic() < deadline, "the generator outlived its client"
            time.sleep(0.05)
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_a_quiet_site_outlasts_the_redis_socket_timeout(w, app):
    """A blocking read longer than redis-py's 5 s socket timeout used to raise on a site
    with no events, so the stream died before its first keepalive (issue 18, item 3)."""
    with app.app_context():
        client = redis.current()
        timeout = client.connection_pool.connection_kwargs.get(
            "socket_timeout", stream.REDIS_DEFAULT_SOCKET_TIMEOUT)
        reader = stream.EventReader(client, [w["site"]], None)
        assert reader.block_cap is not None and reader.block_cap < timeout * 1000
        assert reader.read(int(timeout * 1000) + 3000) == []      # no TimeoutError
