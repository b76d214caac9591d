"""``/metrics`` (backend/api/metrics.py, backend/metrics.py): who may scrape it, and, under
``gridwarden up --demo`` (gunicorn, RQ workers, poll workers: prometheus_client's
multiprocess mode), every metric present after real activity: polls, a silent breaker, a
fault whose alarm is notified, a switching command, a live stream.

The ``up`` test binds the demo's fixed ports: run it under the machine-wide lock
(``flock /tmp/gw-fixed-ports.lock``)."""
from __future__ import annotations

import json
import socket
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from backend.models.notify import CHANNELS
from tests.test_runtime import Up, _free_port, data_dir  # noqa: F401  (fixture)
from tests.test_runtime_demo import SIM_API, SMALL_DEMO, _call, _inject

PREFIX = "gridwarden_"


def _families(text: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(text)}


@pytest.fixture
def with_token(app):
    settings = app.config["GW_SETTINGS"]
    app.config["GW_SETTINGS"] = settings.with_overrides(metrics_token="s3cret-metrics-token")
    yield "s3cret-metrics-token"
    app.config["GW_SETTINGS"] = settings


def test_without_a_token_only_loopback_may_scrape(client):
    resp = client.get("/metrics")                       # the test client is 127.0.0.1
    assert resp.status_code == 200
    assert resp.mimetype == "text/plain"
    found = _families(resp.get_data(as_text=True))
    for name in ("devices_offline", "devices_online", "outbox_backlog", "queue_depth"):
        assert PREFIX + name in found
    depths = {s.labels["queue"]: s.value for s in found[PREFIX + "queue_depth"].samples}
    assert set(depths) == {"control", "alarms", "notify", "poll", "default", "periodic"}

    resp = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert resp.status_code == 403
    assert resp.get_json()["error"] == "metrics_loopback_only"
    resp = client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"})
    assert resp.status_code == 200


def test_with_a_token_every_client_needs_it(client, with_token):
    far = {"REMOTE_ADDR": "10.1.2.3"}
    for environ in (far, {"REMOTE_ADDR": "127.0.0.1"}):      # loopback is no exception
        resp = client.get("/metrics", environ_base=environ)
        assert resp.status_code == 401
        assert resp.get_json()["error"] == "metrics_token_required"
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    resp = client.get("/metrics", environ_base=far, headers={"Authorization": "Basic eDp5"})
    assert resp.status_code == 401
    resp = client.get("/metrics", environ_base=far,
                      headers={"Authorization": "Bearer not-the-token"})
    assert resp.status_code == 403
    assert resp.get_json()["error"] == "metrics_token_invalid"
    resp = client.get("/metrics", environ_base=far,
                      headers={"Authorization": f"Bearer {with_token}"})
    assert resp.status_code == 200
    assert PREFIX + "queue_depth" in _families(resp.get_data(as_text=True))


def _scrape(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as resp:
        return _families(resp.read().decode())


def _value(families: dict, name: str, suffix: str = "", **labels) -> float:
    """The sum of the samples of ``name`` (+ ``suffix``: _count, _total) with ``labels``."""
    family = families.get(PREFIX + name)
    if family is None:
        return 0.0
    return sum(s.value for s in family.samples if s.name == PREFIX + name + suffix
               and all(s.labels.get(k) == v for k, v in labels.items()))


def _set_silent(code: str, silent: bool) -> None:
    req = urllib.request.Request(f"{SIM_API}/api/devices/{code}", method="POST",
                                 data=json.dumps({"silent": silent}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 200


def test_every_metric_after_real_activity_under_up(data_dir):  # noqa: F811
    port = _free_port()
    up = Up(data_dir, port, data_dir.parent / "up.log", *SMALL_DEMO)
    base = f"http://127.0.0.1:{port}"
    api = f"{base}/api/v1"
    stream = None
    try:
        up.wait_ready(timeout=90)
        up.wait_for("the demo password", lambda: (data_dir / "demo-admin-password").exists(), 30)
        assert sorted(p.name for p in (data_dir / "metrics").iterdir())  # files of children
        up.wait_for("readings counted", lambda: _value(_scrape(base), "readings", "_total")
                    > 0, 60)

        _set_silent("QF-AL1-WL2", True)                   # a breaker stops answering
        _inject("QF-AA1-WL1", {"voltage": 280})            # trips: alarm, notified
        password = (data_dir / "demo-admin-password").read_text().strip()
        token = _call(f"{api}/auth/login", {"username": "admin", "password": password})
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        device = next(d for d in _call(f"{api}/devices?q=QF-AL1-WL1", headers=auth)
                      if d["code"] == "QF-AL1-WL1")
        cmd = _call(f"{api}/devices/{device['id']}/commands",
                    {"action": "open", "reason": "metrics"}, {**auth, "Idempotency-Key": "m-1"})
        up.wait_for("the command settled", lambda: _call(
            f"{api}/commands/{cmd['id']}", headers=auth)["state"] == "confirmed", 30)
        stream = socket.create_connection(("127.0.0.1", port), timeout=10)
        stream.sendall(f"GET /api/v1/stream HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream"
                       f"\r\nAuthorization: {auth['Authorization']}\r\n\r\n".encode())
        assert stream.recv(65536).startswith(b"HTTP/1.1 200")

        def complete():
            f = _scrape(base)
            return f if (_value(f, "alarm_notify_latency_seconds", "_count") >= 1
                         and _value(f, "notification_attempts", "_total") >= 1
                         and _value(f, "devices_offline") >= 1
                         and _value(f, "sse_clients") >= 1) else None
        found = up.wait_for("an alarm notified and a device offline in /metrics", complete, 90)

        expected = ["poll_cycle_seconds", "readings", "device_polls", "failed_reads",
                    "devices_offline", "devices_online", "queue_depth",
                    "alarm_notify_latency_seconds", "command_latency_seconds",
                    "notification_attempts", "sse_clients", "outbox_backlog"]
        missing = [n for n in expected if PREFIX + n not in found]
        assert not missing, missing
        assert _value(found, "poll_cycle_seconds", "_count", rate="fast", shard="0") >= 1
        assert _value(found, "poll_cycle_seconds", "_count", rate="normal", shard="0") >= 1
        assert _value(found, "readings", "_total") > 0
        assert _value(found, "device_polls", "_total") > _value(found, "failed_reads", "_total")
        assert _value(found, "failed_reads", "_total") >= 3       # the silent breaker's
        assert all(s.labels["gateway"].isdigit() for s in found[PREFIX + "failed_reads"].samples)
        assert _value(found, "command_latency_seconds", "_count", state="confirmed") == 1
        assert _value(found, "notification_attempts", "_total", outcome="sent") >= 1
        channels = {s.labels["channel"] for s in found[PREFIX + "notification_attempts"].samples}
        assert channels and channels <= set(CHANNELS), channels
        assert _value(found, "sse_clients") == 1
        assert {s.labels["queue"] for s in found[PREFIX + "queue_depth"].samples} >= {"poll"}
        assert {s.labels["status"] for s in found[PREFIX + "outbox_backlog"].samples} == {
            "pending", "sending"}

        # the forked notification jobs of the one RQ worker share one set of files
        host = socket.gethostname()
        names = [p.name for p in (data_dir / "metrics").iterdir()]
        jobs = {n[n.index(host):] for n in names if n.endswith("-job.db")}
        assert len(jobs) == 1, names
        stream.close()
        stream = None
        up.wait_for("the closed stream no longer counted",
                    lambda: _value(_scrape(base), "sse_clients") == 0, 60)
        assert up.terminate() == 0
    finally:
        if stream is not None:
            stream.close()
        up.kill_all()

