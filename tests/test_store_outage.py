"""Redis down or hung: the API answers 503 with Retry-After (never 500), and a live stream
ends cleanly with a reason instead of breaking (issue 18, items 3 and 5)."""
from __future__ import annotations

import os
import signal
import time

import pytest
import redis as redis_lib

from backend import create_app
from backend.extensions import db, redis
from backend.live import stream
from backend.models import Role, User
from backend.runtime import embedded
from tests.factories import auth, make_site, make_user

SSE = {"Accept": "text/event-stream"}


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own, to stop, hang and kill."""
    proc, url = embedded.start_redis(tmp_path)
    yield proc, url
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGCONT)
    embedded.stop_process(proc)


@pytest.fixture
def app_on(settings, app):
    """An app on the test database whose Redis is ``url``; the module-level Redis proxy is
    put back afterwards (other tests use it outside an app context)."""
    made = []
    saved = redis.client

    def make(url: str):
        other = create_app(settings.with_overrides(redis_url=url))
        made.append(other)
        return other
    yield make
    redis.client = saved


@pytest.fixture
def staff(app):
    with app.app_context():
        site = make_site()
        user = make_user("duty1", Role.staff, sites=[site])
        db.session.commit()
        return {"id": user.id, "site": site.id}


def _bearer(app, user_id: int) -> dict:
    with app.app_context():
        return auth(db.session.get(User, user_id))


def _assert_unavailable(rsp):
    assert rsp.status_code == 503, (rsp.status_code, rsp.get_data(as_text=True)[:300])
    assert rsp.json["error"] == "redis_unavailable"
    assert int(rsp.headers["Retry-After"]) > 0


def test_redis_down_is_503_with_retry_after(app_on, staff):
    down = app_on("redis://127.0.0.1:1/0")           # nothing listens on port 1
    client = down.test_client()
    _assert_unavailable(client.post("/api/v1/auth/login",
                                    json={"username": "duty1", "password": "whatever-1"}))
    headers = _bearer(down, staff["id"])
    _assert_unavailable(client.get("/api/v1/sites", headers=headers))
    _assert_unavailable(client.get(f"/api/v1/stream?site_id={staff['site']}",
                                   headers={**SSE, **headers}))
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200


def test_redis_hung_is_503_not_500(app_on, staff, own_redis):
    proc, url = own_redis
    hung = app_on(url)
    client = hung.test_client()
    headers = _bearer(hung, staff["id"])
    assert client.get("/api/v1/sites", headers=headers).status_code == 200
    os.kill(proc.pid, signal.SIGSTOP)                 # accepts nothing, answers nothing
    try:
        _assert_unavailable(client.get("/api/v1/sites", headers=headers))
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    assert client.get("/api/v1/sites", headers=headers).status_code == 200


def test_a_stream_ends_with_a_reason_when_redis_goes_away(settings_app, own_redis, staff):
    proc, url = own_redis
    client = redis_lib.Redis.from_url(url, decode_responses=True, socket_timeout=2)
    settings_app.config["GW_SSE_HEARTBEAT_SECONDS"] = 0.2
    body = stream.sse_events(stream.EventReader(client, [staff["site"]], None),
                             max_seconds=30)
    assert next(body).startswith("retry:")
    assert next(body) == ": keepalive\n\n"
    embedded.stop_process(proc)
    started = time.monotonic()
    rest = list(body)                                  # ends: no exception, no hang
    assert rest[-1] == 'event: end\ndata: {"reason":"unavailable"}\n\n', rest
    assert time.monotonic() - started < 30
