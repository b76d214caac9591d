"""``gridwarden up --demo`` as a newcomer sees it (``make run``): the banner with the demo
accounts stays on screen, the console stays quiet while polling, a fault gives one line
for its alarm, and the job lines are in the log files."""
from __future__ import annotations

import json
import re
import shutil
import time
import urllib.request

from tests.test_runtime import Up, _free_port, data_dir  # noqa: F401  (fixture)

SIM_API = "http://127.0.0.1:8790"       # the demo's simulator (fixed, as in the README)


def _inject(code: str, values: dict) -> None:
    req = urllib.request.Request(f"{SIM_API}/api/devices/{code}", method="POST",
                                 data=json.dumps({"set": values}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 200


def _call(url: str, body: dict | None = None, headers: dict | None = None):
    req = urllib.request.Request(url, method="POST" if body is not None else "GET",
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def _after_banner(output: str) -> list[str]:
    tail = output.split("Press Ctrl-C to stop.", 1)[1]
    return [ln for ln in tail.splitlines()
            if ln.strip() and not ln.startswith(("  Demo:", "  Accounts:", "  KNX:"))]


def test_demo_banner_stays_and_the_console_is_quiet(data_dir):  # noqa: F811
    port = _free_port()
    up = Up(data_dir, port, data_dir.parent / "up.log", "--demo")
    try:
        up.wait_ready(timeout=90)
        up.wait_for("the demo accounts under the banner",
                    lambda: "  Accounts:" in up.output(), 30)
        password = (data_dir / "demo-admin-password").read_text().strip()
        assert re.search(rf"^  Accounts:\s+admin / {re.escape(password)} ", up.output(),
                         re.MULTILINE)
        poller_log = data_dir / "logs" / "poller-1.log"
        up.wait_for("a few poll cycles in logs/poller-1.log",
                    lambda: poller_log.exists() and poller_log.read_text().count("Job OK") >= 5,
                    60)
        # polling every 2 s, and nothing of it on the terminal
        assert _after_banner(up.output()) == [], _after_banner(up.output())

        _inject("QF-AA1-WL1", {"voltage": 280})          # the breaker trips on over-voltage
        line = up.wait_for("the alarm's line on the terminal", lambda: re.search(
            r"^\[poller-1\] .* gridwarden\.events: alarm (\d+) raised: Over-voltage",
            up.output(), re.MULTILINE), 60)
        time.sleep(5)                                    # its grouped children, if shown
        shown = _after_banner(up.output())
        assert len(shown) <= 3, shown                    # the root alarm, not its children
        assert line.group(0) in "\n".join(shown)
        assert "Job OK" not in up.output()
        # a remote switch through the poll process's control runner, read back
        api = f"http://127.0.0.1:{port}/api/v1"
        token = _call(f"{api}/auth/login", {"username": "admin", "password": password})
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        devices = [d for d in _call(f"{api}/devices?q=QF-AL1-WL1", headers=auth)
                   if d["code"] == "QF-AL1-WL1"]
        cmd = _call(f"{api}/devices/{devices[0]['id']}/commands",
                    {"action": "open", "reason": "demo"}, {**auth, "Idempotency-Key": "d-1"})
        done = up.wait_for("the command confirmed", lambda: (
            c := _call(f"{api}/commands/{cmd['id']}", headers=auth))["state"] == "confirmed"
            and c, 30)
        assert done["observed"] == {"switch_state": "open"}
        if shutil.which("knxd"):    # a KNX light through knxd and the simulator's actuators
            knx = [d for d in _call(f"{api}/devices?q=KNX-JQ1-L2", headers=auth)
                   if d["code"] == "KNX-JQ1-L2"][0]
            up.wait_for("the KNX group online", lambda: _call(
                f"{api}/devices/{knx['id']}/status", headers=auth).get("online"), 60)
            cmd = _call(f"{api}/devices/{knx['id']}/commands",
                        {"action": "dim", "value": 40, "reason": "demo"},
                        {**auth, "Idempotency-Key": "d-2"})
            done = up.wait_for("the KNX command confirmed", lambda: (
                c := _call(f"{api}/commands/{cmd['id']}", headers=auth))["state"]
                not in ("queued", "sent") and c, 30)
            assert done["state"] == "confirmed" and done["observed"] == {"brightness": 40}, done
        assert _after_banner(up.output()) == shown      # KNX added nothing to the terminal
        assert up.terminate() == 0
    finally:
        up.kill_all()
