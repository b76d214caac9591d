"""The live stream's single-use tickets, and no token or ticket in the logs (issue 18,
item 9)."""
from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace

from backend.accounts import tickets
from backend.runtime import access_log
from backend.runtime.up import app_children
from tests.test_stream import SSE, ingest, open_stream, w  # noqa: F401 - the fixture


def test_a_ticket_opens_one_stream_once(w, client, raw_redis):  # noqa: F811
    r = client.post("/api/v1/stream/ticket", headers=w["h"])
    assert r.status_code == 201 and r.json["expires_in"] == tickets.TICKET_SECONDS
    ticket = r.json["ticket"]
    [key] = raw_redis.keys("gw:stream:ticket:*")
    assert ticket not in key and 0 < raw_redis.ttl(key) <= tickets.TICKET_SECONDS

    reader = open_stream(client, f"/api/v1/stream?ticket={ticket}&site_id={w['site']}")
    reader.wait_comment("connected")
    ingest(w["d1"], voltage_a=231.0)
    [event] = reader.next_events(1)
    assert event["data"]["site_id"] == w["site"]
    reader.close()
    assert raw_redis.keys("gw:stream:ticket:*") == []

    r = client.get(f"/api/v1/stream?ticket={ticket}", headers=SSE)     # used: refused
    assert r.status_code == 401 and r.json["error"] == "stream_ticket_invalid"
    ticket = client.post("/api/v1/stream/ticket", headers=w["h"]).json["ticket"]
    r = client.get(f"/api/v1/stream?ticket={ticket}")                  # the poll form too
    assert r.status_code == 200 and "last_event_id" in r.json


def test_a_ticket_needs_a_header_token_and_stands_for_it(w, client):  # noqa: F811
    assert client.post("/api/v1/stream/ticket").status_code == 401
    ticket = client.post("/api/v1/stream/ticket", headers=w["hb"]).json["ticket"]
    # Bound to its user: user B's ticket opens B's sites only.
    r = client.get(f"/api/v1/stream?ticket={ticket}&site_id={w['site']}", headers=SSE)
    assert r.status_code == 404
    ticket = client.post("/api/v1/stream/ticket", headers=w["h"]).json["ticket"]
    client.post("/api/v1/auth/logout", headers=w["h"])                 # its token revoked
    r = client.get(f"/api/v1/stream?ticket={ticket}", headers=SSE)
    assert r.status_code == 401 and r.json["error"] == "token_revoked"


def test_an_access_token_in_the_url_is_refused(w, client):  # noqa: F811
    token = w["h"]["Authorization"].split()[1]
    for query in (f"access_token={token}", f"access_token={token}&ticket=x"):
        path = f"/api/v1/stream?{query}"
        r = client.get(path, headers=SSE)
        assert r.status_code == 401 and r.json["error"] == "token_in_url"


def test_redact():
    assert access_log.redact("GET /api/v1/stream?site_id=1&ticket=abc-_DEF&last_event_id=1-0 "
                             "HTTP/1.1") == ("GET /api/v1/stream?site_id=1&ticket=[redacted]"
                                             "&last_event_id=1-0 HTTP/1.1")
    assert access_log.redact("/x?access_token=eyJ.a.b") == "/x?access_token=[redacted]"
    assert access_log.redact("/x?TOKEN=1;refresh_token=2") == (
        "/x?TOKEN=[redacted];refresh_token=[redacted]")
    assert access_log.redact("/x?site_id=1&noticket=3") == "/x?site_id=1&noticket=3"


def _access_line(environ: dict) -> str:
    """What gunicorn's access log writes for one request, through our logger class."""
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("accesslog", "-")
    logger = access_log.RedactingLogger(cfg)
    lines: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    logger.access_log.addHandler(Catch())
    resp = SimpleNamespace(status="200 OK", sent=10, headers=[])
    req = SimpleNamespace(headers=[])
    logger.access(resp, req, environ, timedelta(milliseconds=3))
    return lines[0]


def test_gunicorns_access_log_carries_no_ticket_or_token():
    line = _access_line({
        "REQUEST_METHOD": "GET", "RAW_URI": "/api/v1/stream?ticket=s3cret&site_id=1",
        "QUERY_STRING": "ticket=s3cret&site_id=1", "PATH_INFO": "/api/v1/stream",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.7",
        "HTTP_REFERER": "http://gw/?access_token=eyJx", "HTTP_USER_AGENT": "test"})
    assert "s3cret" not in line and "eyJx" not in line
    assert "/api/v1/stream?ticket=[redacted]&site_id=1" in line


def test_gunicorn_error_log_uris_are_redacted(caplog):
    from gunicorn.config import Config

    logger = access_log.RedactingLogger(Config())
    propagate, logger.error_log.propagate = logger.error_log.propagate, True
    try:
        with caplog.at_level(logging.ERROR, logger="gunicorn.error"):
            logger.error("Error handling request %s", "/api/v1/stream?ticket=s3cret")
    finally:
        logger.error_log.propagate = propagate
    assert "s3cret" not in caplog.text and "ticket=[redacted]" in caplog.text


def test_the_api_process_uses_the_redacting_logger(settings):
    api = next(c for c in app_children(settings, {}, "127.0.0.1:0") if c.name == "api")
    i = api.argv.index("--logger-class")
    assert api.argv[i + 1] == "backend.runtime.access_log.RedactingLogger"
