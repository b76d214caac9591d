"""The mini-program's request wrapper and services (miniprogram/, run by node) against
the real API and the WeChat stand-in: a duty-staff user logs in through WeChat, binds,
sees a new alarm, acknowledges and comments it, asks to be reminded of the next one,
survives an expired access token (one refresh) and logs in again with WeChat alone."""
from __future__ import annotations

import json
import shutil
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from backend.extensions import db
from backend.models import Alarm, SubscribeGrant, WeChatBinding
from tests.alarm_world import T0, breaker, build, feed
from tests.factories import PASSWORD

FLOW = Path(__file__).resolve().parent.parent / "miniprogram" / "tests" / "live" / "flow.cjs"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_staff_logs_in_with_wechat_binds_and_acknowledges(app, ctx, notify_standin):
    w = build()
    feed(T0, {w["d4"]: breaker()})
    feed(T0 + timedelta(seconds=2), {w["d4"]: breaker(voltage_a=280.0, switch_state="open",
                                                       trip_cause="over_voltage")})
    [alarm_id] = db.session.scalars(select(Alarm.id)).all()
    db.session.commit()
    db.session.remove()       # the server's threads use their own sessions
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        run = subprocess.run(
            ["node", str(FLOW), f"http://127.0.0.1:{server.server_port}", notify_standin.url,
             "wx-test-mp", "mp-openid-s1", "s1", PASSWORD],
            capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
    assert run.returncode == 0, run.stdout + run.stderr
    out = json.loads(run.stdout)
    assert out["first_bound"] is False and out["user"] == "s1"
    assert out["alarms"] == [{"id": alarm_id, "state": "active", "level": "alarm"}]
    assert out["acknowledged"] == "acknowledged"
    assert out["grants_after"] == 1
    assert out["refreshed"] is True
    assert "acknowledged" in out["after_refresh"] and "comment" in out["after_refresh"]
    assert out["second_bound"] is True
    assert out["toasts"] == []
    assert db.session.get(Alarm, alarm_id).acknowledged_by == w["s1"]
    assert db.session.scalar(select(WeChatBinding.openid)) == "mp-openid-s1"
    assert db.session.get(SubscribeGrant, (w["s1"], "SUB-ALARM")).remaining == 1
