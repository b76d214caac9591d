"""KNX lighting latency through knxd: ``POST /devices/{id}/commands`` (on/off over HTTP to
gunicorn) -> the command ``confirmed`` from the group's state address, and a bus telegram
(a wall switch) -> the ``knx_telegram`` event on the site's live stream.

    python bench/bench_knx.py [--lights 20] [--commands 200] [--telegrams 100]

Everything real and in its own process, as ``gridwarden up`` runs it: knxd (loopback, a
free UDP port, ``-b dummy:``), the simulator's KNX actuators (``simulator.knx``: they apply
writes and answer reads on the state addresses), the KNX process (``gridwarden knx``:
commands from ``gw:control:knx``, one GroupValueWrite, GroupValueRead of the state address
until it shows the target) and the API under gunicorn. ``--lights`` KNX groups, each with
its own switch and state address, are switched on and off in turn, one command at a time.

Baselines in the same run, on the same knxd and actuators:
- *bare xknx*: this script's own xknx tunnel writes the same switch address and reads the
  same state address back (``ValueReader``) until it shows the target: the bus round
  trip any KNX client pays, without the API, the queue, the database and the audit;
- *bus floor*: a second bare xknx tunnel listening: when the wall switch's telegram
  (sent by the first) reaches another KNX client through knxd.
The ratios are platform / baseline (p50 and p95).

Uses DATABASE_URL / REDIS_URL when set (creates one site and deletes it at the end);
otherwise embedded PostgreSQL and Redis in a temporary directory. Needs knxd
(``make system-deps``). Prints a markdown table.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_alarm_latency import pct, wait_until  # noqa: E402
from bench_control import _up, http, until  # noqa: E402
from benchlib import free_port, servers  # noqa: E402
from poll_fleet import cleanup_fleet  # noqa: E402


def free_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def addresses(i: int) -> dict:
    """Light ``i``'s group addresses: switch 2/m/s, its state on the next sub-address."""
    return {"switch": f"2/{i // 100}/{(i % 100) * 2 + 1}",
            "switch_state": f"2/{i // 100}/{(i % 100) * 2 + 2}"}


def start_knxd(port: int, sock: str) -> subprocess.Popen:
    proc = subprocess.Popen(["knxd", "-e", "0.0.1", "-E", "0.0.2:16", "-T",
                             f"-S224.0.23.12:{port}", "-u", sock, "-b", "dummy:"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: subprocess.run(["ss", "-lun", f"sport = :{port}"], capture_output=True,
                                      text=True).stdout.count("\n") >= 2, 10, "knxd")
    return proc


ACTUATORS = """
import asyncio, json, sys
from simulator.knx import Actuator, run
lights = json.loads(sys.argv[1])
asyncio.run(run([Actuator(f"L{i}", **a) for i, a in enumerate(lights)], "127.0.0.1",
                int(sys.argv[2])))
"""


class Bare:
    """Two bare xknx tunnels to knxd in a thread's loop: ``a`` writes and reads, ``b``
    only listens (the time each telegram reaches it)."""

    def __init__(self, port: int) -> None:
        self.port, self.seen = port, {}
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.a = self.call(self._make(None))
        self.b = self.call(self._make(self._heard))

    def call(self, coro, timeout=30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _make(self, cb):
        from xknx import XKNX
        from xknx.io import ConnectionConfig, ConnectionType

        x = XKNX(connection_config=ConnectionConfig(
            connection_type=ConnectionType.TUNNELING, gateway_ip="127.0.0.1",
            gateway_port=self.port, local_ip="127.0.0.1"), telegram_received_cb=cb)
        await x.start()
        return x

    def _heard(self, telegram) -> None:
        from xknx.telegram.apci import GroupValueWrite

        if isinstance(telegram.payload, GroupValueWrite):
            self.seen[(str(telegram.destination_address),
                       telegram.payload.value.value)] = time.time()

    async def _write(self, address: str, on: bool) -> None:
        from xknx.dpt import DPTBinary
        from xknx.telegram import GroupAddress, Telegram
        from xknx.telegram.apci import GroupValueWrite

        await self.a.telegrams.put(Telegram(destination_address=GroupAddress(address),
                                            payload=GroupValueWrite(DPTBinary(int(on)))))

    async def _round_trip(self, lamp: dict, on: bool, timeout_s: float) -> float | None:
        from xknx.core.value_reader import ValueReader
        from xknx.telegram import GroupAddress

        t0 = time.time()
        await self._write(lamp["switch"], on)
        while time.time() - t0 < timeout_s:
            t = await ValueReader(self.a, GroupAddress(lamp["switch_state"]), 1.0).read()
            if t is not None and t.payload.value.value == int(on):
                return time.time() - t0
        return None

    def round_trip(self, lamp: dict, on: bool, timeout_s: float = 5.0) -> float | None:
        return self.call(self._round_trip(lamp, on, timeout_s))

    def send(self, address: str, on: bool) -> float:
        t0 = time.time()
        self.call(self._write(address, on))
        return t0

    def stop(self) -> None:
        for x in (self.a, self.b):
            self.call(x.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)


class StreamWatch:
    """The site's live events (Redis pub/sub, as the SSE endpoint reads them): when each
    ``knx_telegram`` for (address, value) last arrived."""

    def __init__(self, redis_client, channel: str) -> None:
        self.seen = {}
        self.pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(channel)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for msg in self.pubsub.listen():
            ev = json.loads(msg["data"])
            if ev.get("type") == "knx_telegram":
                d = ev["data"]
                self.seen[(d["address"], d["values"].get("light"))] = time.time()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lights", type=int, default=20)
    ap.add_argument("--commands", type=int, default=200)
    ap.add_argument("--telegrams", type=int, default=100)
    args = ap.parse_args(argv)
    if not shutil.which("knxd"):
        print("knxd is needed (make system-deps)", file=sys.stderr)
        return 2

    from backend import create_app
    from backend.accounts.operations import hash_password
    from backend.config import Settings
    from backend.extensions import db, redis
    from backend.live.stream import site_channel
    from backend.migrate import upgrade_head
    from backend.models import Command, Device, KnxGateway, Role, Site, User
    from backend.runtime.supervisor import Child, Supervisor
    from backend.runtime.up import app_children, child_environ, reset_metrics_dir

    db_url, redis_url, close_servers = servers("gw-bench-knx-")
    tmp = Path(tempfile.mkdtemp(prefix="gw-bench-knx-data-"))
    settings = Settings.from_env().with_overrides(
        env="development", database_url=db_url, redis_url=redis_url, data_dir=tmp,
        log_level="WARNING", sms_provider="none", control_min_interval_seconds=0)
    upgrade_head(db_url)
    app = create_app(settings)
    knx_port, api_port = free_udp_port(), free_port()
    knxd = start_knxd(knx_port, str(tmp / "knxd.sock"))
    lights = [addresses(i) for i in range(args.lights)]
    acts = subprocess.Popen([sys.executable, "-c", ACTUATORS, json.dumps(lights), str(knx_port)],
                            cwd=ROOT, stdout=subprocess.DEVNULL)
    password = uuid.uuid4().hex
    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        site = Site(code=f"KB-{tag}", name="KNX bench")
        db.session.add(site)
        db.session.flush()
        gw = KnxGateway(site_id=site.id, code=f"KNX-{tag}", name="bench", host="127.0.0.1",
                        port=knx_port, local_ip="127.0.0.1")
        db.session.add(gw)
        db.session.flush()
        ids = []
        for i, a in enumerate(lights):
            d = Device(site_id=site.id, code=f"KL-{tag}-{i}", name=f"light {i}",
                       kind="knx_group", knx_gateway_id=gw.id, attributes=a)
            db.session.add(d)
            db.session.flush()
            ids.append(d.id)
        user = User(username=f"bench-knx-{tag}", password_hash=hash_password(password),
                    role=Role.manager, sites=[site])
        db.session.add(user)
        db.session.commit()
        site_id, user_id, username = site.id, user.id, user.username
    sup = Supervisor()
    api = f"http://127.0.0.1:{api_port}/api/v1"
    bare, latencies, failed, bus, stream, lost = [], [], [], [], [], 0
    bare_knx = None
    try:
        reset_metrics_dir(tmp)
        # one light switched again within seconds (the platform's default pause is 5 s)
        env = {**child_environ(settings), "GW_CONTROL_MIN_INTERVAL_SECONDS": "0"}
        sup.start(app_children(settings, env, bind=f"127.0.0.1:{api_port}")[0])   # the API
        sup.start(Child("knx", [sys.executable, "-m", "backend.cli", "knx"], env))
        with app.app_context():
            from backend.models import DeviceStatus

            wait_until(lambda: _up(api), 60, "the API")
            from sqlalchemy import func, select

            wait_until(lambda: (db.session.rollback(), db.session.scalar(
                select(func.count()).select_from(DeviceStatus).where(
                    DeviceStatus.device_id.in_(ids), DeviceStatus.online.is_(True))))[1]
                == len(ids), 90, "every light online (the KNX process's probe)")
            token = http(f"{api}/auth/login", {"username": username, "password": password})
            auth = {"Authorization": f"Bearer {token['access_token']}"}
            bare_knx = Bare(knx_port)
            state = [False] * len(lights)
            # the baseline: a bare xknx write + read back of the same addresses
            for n in range(args.commands):
                i = n % len(lights)
                state[i] = not state[i]
                took = bare_knx.round_trip(lights[i], state[i])
                if took is not None:
                    bare.append(took)
            time.sleep(1)
            for n in range(args.commands):
                i = n % len(lights)
                state[i] = not state[i]
                t0 = time.time()
                try:
                    cmd = http(f"{api}/devices/{ids[i]}/commands",
                               {"action": "on" if state[i] else "off", "reason": "bench"},
                               {**auth, "Idempotency-Key": uuid.uuid4().hex})
                except urllib.error.HTTPError as exc:          # refused: counted, shown
                    failed.append(f"{ids[i]}: {exc.code} {json.loads(exc.read()).get('error')}")
                    continue
                done = until(lambda: _settled(db, Command, cmd["id"]), 10)
                end = _settled(db, Command, cmd["id"])
                if done and end == "confirmed":
                    latencies.append(done - t0)
                else:
                    failed.append(f"{ids[i]}: {end}")
            # wall switches: a telegram from the bare tunnel -> the other tunnel / the stream
            watch = StreamWatch(redis.current(), site_channel(site_id))
            time.sleep(0.5)
            for n in range(args.telegrams):
                i = n % len(lights)
                state[i] = not state[i]
                addr = lights[i]["switch"]
                key, bus_key = (addr, "on" if state[i] else "off"), (addr, int(state[i]))
                watch.seen.pop(key, None)
                bare_knx.seen.pop(bus_key, None)
                t0 = bare_knx.send(addr, state[i])
                got = until(lambda: key in watch.seen, 5)
                until(lambda: bus_key in bare_knx.seen, 1)
                heard = bare_knx.seen.get(bus_key)
                if got is None:
                    lost += 1
                else:
                    stream.append(watch.seen[key] - t0)
                if heard is not None:
                    bus.append(heard - t0)
                time.sleep(0.05)
    finally:
        if bare_knx is not None:
            bare_knx.stop()
        sup.stop_all()
        acts.terminate()
        acts.wait(10)
        knxd.terminate()
        knxd.wait(10)
        with app.app_context():
            from sqlalchemy import text

            db.session.rollback()
            for sql in ("DELETE FROM command_events WHERE command_id IN "
                        "(SELECT id FROM commands WHERE site_id = :s)",
                        "DELETE FROM commands WHERE site_id = :s",
                        "DELETE FROM audit_log WHERE site_id = :s",
                        "DELETE FROM refresh_families WHERE user_id = :u",
                        "DELETE FROM user_sites WHERE user_id = :u",
                        "DELETE FROM users WHERE id = :u",
                        "DELETE FROM alarm_events WHERE alarm_id IN "
                        "(SELECT id FROM alarms WHERE site_id = :s)",
                        "UPDATE knx_gateways SET alarm_id = NULL WHERE site_id = :s",
                        "DELETE FROM alarms WHERE site_id = :s"):
                db.session.execute(text(sql), {"s": site_id, "u": user_id})
            db.session.commit()
            db.session.execute(text("DELETE FROM devices WHERE site_id = :s"), {"s": site_id})
            db.session.execute(text("DELETE FROM knx_gateways WHERE site_id = :s"),
                               {"s": site_id})
            db.session.commit()
            cleanup_fleet(site_id, ids)
        close_servers()
        shutil.rmtree(tmp, ignore_errors=True)
    print(report(args, bare, latencies, failed, bus, stream, lost))
    return 0 if latencies and stream else 1


def _settled(db, Command, command_id: int) -> str | None:
    db.session.rollback()
    state = db.session.get(Command, command_id, populate_existing=True).state
    return state if state not in ("requested", "queued", "sent") else None


def _row(name, xs, base=None) -> str:
    if not xs:
        return f"| {name} | — | — | — | |"
    p50, p95 = statistics.median(xs), pct(xs, 0.95)
    ratio = (f"{p50 / statistics.median(base):.1f}x / {p95 / pct(base, 0.95):.1f}x"
             if base else "")
    return f"| {name} | {len(xs)} | {p50 * 1000:.1f} | {p95 * 1000:.1f} | {ratio} |"


def report(args, bare, latencies, failed, bus, stream, lost) -> str:
    lines = [
        f"KNX latency through knxd, {args.lights} lights, {len(latencies)} of {args.commands} "
        f"commands confirmed, {len(stream)} of {args.telegrams} telegrams on the stream; "
        f"{platform.node()}, {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC",
        "",
        "| measured | n | p50 ms | p95 ms | vs baseline p50 / p95 |",
        "|---|---|---|---|---|",
        _row("bare xknx write + read back (baseline)", bare),
        _row("API -> `confirmed` from the state address", latencies, bare),
        _row("telegram -> another KNX client (bus floor)", bus),
        _row("telegram -> `knx_telegram` on the live stream", stream, bus),
    ]
    if failed:
        lines.append(f"\nnot confirmed: {', '.join(failed[:20])}")
    if lost:
        lines.append(f"\n{lost} telegram(s) never reached the stream")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
