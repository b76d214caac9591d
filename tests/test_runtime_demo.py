"""``gridwarden up --demo`` as a newcomer sees it (``make run``): the banner with the demo
accounts stays on screen, the console stays quiet while polling, a fault gives one line
for its alarm, and the job lines are in the log files."""
from __future__ import annotations

import json
import re
import shutil
import time
import urllib.error
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


DEMO_LINES = ("  Demo:", "  Simulator:", "  Faults:", "  Accounts:", "  KNX:")
# The other `up --demo` tests (recovery, metrics, JSON logs) run the small facility
# without the demo's own faults: their assertions count alarms.
SMALL_DEMO = ("--demo", "--demo-facility", "small", "--demo-faults", "off")


def _after_banner(output: str) -> list[str]:
    tail = output.split("Press Ctrl-C to stop.", 1)[1]
    return [ln for ln in tail.splitlines() if ln.strip() and not ln.startswith(DEMO_LINES)]


def _total(url: str, headers: dict) -> int:
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.headers["X-Pagination"])["total"]


def _device(api: str, code: str, auth: dict) -> dict:
    return [d for d in _call(f"{api}/devices?q={code}", headers=auth) if d["code"] == code][0]


def test_realistic_demo_comes_up_polls_and_faults_by_itself(data_dir):  # noqa: F811
    """The detention centre as `make run` gives it (only the first demo fault's delay and
    ramp compressed): three accounts under the banner, 300 breakers polled, a warning
    raised by the simulator's own fault, a staff member switching within her grant,
    a KNX light through knxd; the terminal shows nothing but alarm lines."""
    port = _free_port()
    up = Up(data_dir, port, data_dir.parent / "up.log", "--demo", "--demo-faults-delay", "5",
            "--demo-faults-ramp", "12")
    try:
        up.wait_ready(timeout=150)
        up.wait_for("the demo accounts under the banner",
                    lambda: "  Accounts:" in up.output(), 30)
        password = (data_dir / "demo-admin-password").read_text().strip()
        out = up.output()
        assert re.search(rf"^  Accounts:\s+admin / {re.escape(password)} \(administrator\), "
                         r"manager / the same \(manager\), duty / the same \(duty staff",
                         out, re.MULTILINE), out[-3000:]
        assert re.search(r"^  Demo:\s+示范市看守所 DC-JSZ .*: 33 boards, 302 breakers", out,
                         re.MULTILINE)
        api = f"http://127.0.0.1:{port}/api/v1"
        tokens = {u: _call(f"{api}/auth/login", {"username": u, "password": password})
                  for u in ("admin", "manager", "duty")}
        assert {u: t["user"]["role"] for u, t in tokens.items()} == {
            "admin": "admin", "manager": "manager", "duty": "staff"}
        auth = {"Authorization": f"Bearer {tokens['admin']['access_token']}"}
        up.wait_for("the facility's devices polled and online", lambda: _total(
            f"{api}/device-status?online=true&page_size=1", auth) >= 330, 120)

        # the simulator's first fault (a joint overheating or a residual current creeping
        # up) raises a warning by itself: one line on the terminal
        line = up.wait_for("the demo fault's warning on the terminal", lambda: re.search(
            r"^\[poller-\d\] .* gridwarden\.events: alarm (\d+) raised: "
            r"(Over-temperature|Residual current) \(warning\) at (\S+)", up.output(),
            re.MULTILINE), 120)
        alarm = _call(f"{api}/alarms/{line.group(1)}", headers=auth)
        assert alarm["level"] == "warning" and alarm["rule"] in ("over_temperature",
                                                                   "residual_current")
        sim_log = (data_dir / "logs" / "simulator.log").read_text()
        assert "demo fault: " in sim_log

        # the duty staff switches a corridor light of her area, not the kitchen's
        duty = {"Authorization": f"Bearer {tokens['duty']['access_token']}"}
        mine = _device(api, "QF-AL-JQ1-1-WL9", duty)
        cmd = _call(f"{api}/devices/{mine['id']}/commands",
                    {"action": "open", "reason": "demo"}, {**duty, "Idempotency-Key": "d-1"})
        done = up.wait_for("the command confirmed", lambda: (
            c := _call(f"{api}/commands/{cmd['id']}", headers=duty))["state"] == "confirmed"
            and c, 30)
        assert done["observed"] == {"switch_state": "open"}
        kitchen = _device(api, "QF-AP-ST-WL6", duty)
        try:
            _call(f"{api}/devices/{kitchen['id']}/commands", {"action": "open", "reason": "x"},
                  {**duty, "Idempotency-Key": "d-2"})
            raise AssertionError("a staff member switched outside her grant")
        except urllib.error.HTTPError as exc:
            assert exc.code == 403 and json.loads(exc.read())["error"] == "control_not_granted"
        if shutil.which("knxd"):    # a KNX light through knxd and the simulator's actuators
            knx = _device(api, "KNX-JQ1-L2", auth)
            up.wait_for("the KNX group online", lambda: _call(
                f"{api}/devices/{knx['id']}/status", headers=auth).get("online"), 60)
            cmd = _call(f"{api}/devices/{knx['id']}/commands",
                        {"action": "dim", "value": 40, "reason": "demo"},
                        {**auth, "Idempotency-Key": "d-3"})
            done = up.wait_for("the KNX command confirmed", lambda: (
                c := _call(f"{api}/commands/{cmd['id']}", headers=auth))["state"]
                not in ("queued", "sent") and c, 30)
            assert done["state"] == "confirmed" and done["observed"] == {"brightness": 40}, done
        shown = _after_banner(up.output())
        assert line.group(0) in "\n".join(shown)
        assert all(" gridwarden.events: alarm " in ln for ln in shown), shown
        assert "Job OK" not in up.output()
        assert up.terminate() == 0
        logs = {p.name: p.read_text(errors="replace") for p in (data_dir / "logs").glob("*.log")}
        assert not [n for n, text in logs.items() if "Traceback" in text], \
            {n: t[t.index("Traceback") - 200:][:3000] for n, t in logs.items() if "Traceback" in t}
    finally:
        up.kill_all()


def test_demo_banner_stays_and_the_console_is_quiet(data_dir):  # noqa: F811
    """The small facility (``--demo-facility small``, no demo faults): a fault injected
    by hand gives one line for its alarm and its grouped children none."""
    port = _free_port()
    up = Up(data_dir, port, data_dir.parent / "up.log", *SMALL_DEMO)
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
