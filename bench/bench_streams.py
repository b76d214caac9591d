"""Live streams at scale: N concurrent SSE clients on one API box, while the rest of the API
is measured (issue 18, item 4).

    python bench/bench_streams.py [--clients 1000] [--seconds 60] [--api-root DIR]

Starts the API exactly as ``gridwarden up`` does (the ``api`` child of
backend/runtime/up.py: gunicorn, its workers, threads and flags, taken from the code under
``--api-root``, default this checkout) on embedded PostgreSQL and Redis (or DATABASE_URL /
REDIS_URL), with one site and a staff user. Then, in one run:

1. the API alone: ``GET /api/v1/sites`` 20 times a second for 10 s (p50/p99): the baseline;
2. ``--clients`` streams opened (``Accept: text/event-stream``), counted as accepted (200)
   or refused (503 ``too_many_streams``) or failed;
3. for ``--seconds``: one event a second published to the site (the size of a reading
   event of ``--devices`` devices), the time from publish to arrival at every open stream
   (fan-out p50/p99, events missed), and the same API load as in 1 (p50/p99).

``--api-root`` points at another checkout (for example ``git worktree add /tmp/base
<commit>``) to measure that code's streams as the baseline in the same conditions.
Prints a markdown table.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def rss(pid: int) -> float:
    """Resident memory of a process and its children, MB."""
    import psutil

    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20


def seed(settings):
    """One site, one staff user; returns (the app, site id, an access token)."""
    from backend import create_app
    from backend.accounts.operations import hash_password, issue_tokens
    from backend.extensions import db
    from backend.models import Role, Site, User

    app = create_app(settings)
    with app.app_context():
        site = Site(code="BENCH-SSE", name="bench streams")
        db.session.add(site)
        db.session.flush()
        user = User(username="bench-sse", display_name="bench", role=Role.staff,
                    password_hash=hash_password("bench-password-1"), token_version=1,
                    sites=[site])
        db.session.add(user)
        db.session.commit()
        return app, site.id, issue_tokens(user)["access_token"]


class Clients:
    """N streams in one asyncio loop (its own thread): raw HTTP/1.1, reading SSE lines."""

    def __init__(self, port: int, path: str, token: str, n: int) -> None:
        self.port, self.path, self.token, self.n = port, path, token, n
        self.status: dict[int, int | str] = {}
        self.arrivals: dict[str, list[float]] = {}      # event id -> arrival times
        self.loop = asyncio.new_event_loop()
        self.stop = asyncio.Event()
        self.thread = threading.Thread(target=self.loop.run_until_complete,
                                       args=(self._main(),), daemon=True)

    async def _main(self) -> None:
        self.stop = asyncio.Event()
        tasks = []
        for i in range(self.n):
            tasks.append(asyncio.create_task(self._one(i)))
            if i % 50 == 49:
                await asyncio.sleep(0.05)       # a realistic ramp, not a SYN flood
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _one(self, i: int) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError as exc:
            self.status[i] = f"connect: {exc.errno}"
            return
        writer.write((f"GET {self.path} HTTP/1.1\r\nHost: bench\r\n"
                      f"Authorization: Bearer {self.token}\r\n"
                      "Accept: text/event-stream\r\n\r\n").encode())
        try:
            line = await asyncio.wait_for(reader.readline(), 60)
            self.status[i] = int(line.split()[1]) if line else "closed"
            if self.status[i] != 200:
                return
            while not self.stop.is_set():
                line = await reader.readline()
                if not line:
                    self.status[i] = "ended"
                    return
                if line.startswith(b"id: "):
                    self.arrivals.setdefault(line[4:].strip().decode(), []).append(
                        time.time())
        except (OSError, asyncio.TimeoutError) as exc:
            self.status[i] = f"error: {type(exc).__name__}"
        finally:
            writer.close()

    def start(self) -> None:
        self.thread.start()

    def accepted(self) -> int:
        return sum(1 for s in self.status.values() if s == 200)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(timeout=30)


def api_load(base: str, token: str, seconds: float, rate: float = 20.0) -> list[float]:
    """``GET /api/v1/sites`` at ``rate`` per second: each latency in ms."""
    out, session = [], requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    end = time.monotonic() + seconds
    tick = time.monotonic()
    while time.monotonic() < end:
        t0 = time.perf_counter()
        r = session.get(base + "/api/v1/sites", headers=headers, timeout=30)
        out.append((time.perf_counter() - t0) * 1000 if r.status_code == 200 else 1e9)
        tick += 1 / rate
        time.sleep(max(0.0, tick - time.monotonic()))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--devices", type=int, default=16, help="reading event size")
    ap.add_argument("--api-root", type=Path, default=ROOT)
    args = ap.parse_args(argv)

    from benchlib import bench_settings, servers, start_api, stop

    db_url, redis_url, cleanup = servers("gw-bench-sse-")
    from backend.migrate import upgrade_head

    upgrade_head(db_url)
    settings = bench_settings(db_url, redis_url, "bench-sse")
    app, site_id, token = seed(settings)
    api, base = start_api(settings, args.api_root)
    port = int(base.rsplit(":", 1)[1])
    try:
        alone = api_load(base, token, 10)
        rss_idle = rss(api.pid)

        clients = Clients(port, f"/api/v1/stream?site_id={site_id}", token, args.clients)
        clients.start()
        wait_end = time.monotonic() + 120
        while len(clients.status) < args.clients and time.monotonic() < wait_end:
            time.sleep(0.5)
        time.sleep(2)
        opened = clients.accepted()
        rss_open = rss(api.pid)

        from backend.live import stream

        published: dict[str, float] = {}
        payload = {"devices": {str(d): {"voltage_a": 230.1, "current_a": 12.5,
                                        "switch_state": 1} for d in range(args.devices)}}
        stop = threading.Event()

        def publish() -> None:
            with app.app_context():
                while not stop.wait(1.0):
                    t = time.time()
                    published[stream.publish(site_id, "reading", payload)] = t

        pub = threading.Thread(target=publish, daemon=True)
        pub.start()
        loaded = api_load(base, token, args.seconds)
        stop.set()
        pub.join()
        time.sleep(3)
        fanout, missed = [], 0
        for event_id, t in published.items():
            got = clients.arrivals.get(event_id, [])
            missed += max(0, opened - len(got))
            fanout += [(a - t) * 1000 for a in got]
        held = clients.accepted()
        refused = sum(1 for s in clients.status.values() if s == 503)
        failed = args.clients - opened - refused
        clients.close()
    finally:
        stop(api)
        cleanup()

    rev = subprocess.run(["git", "-C", str(args.api_root), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    print(f"\n### Streams: {args.clients} clients, code at {rev} "
          f"({platform.node()}, {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')})\n")
    print("| figure | value |\n|---|---|")
    print(f"| streams accepted / refused (503) / failed | {opened} / {refused} / {failed} |")
    print(f"| streams still open after {args.seconds:.0f} s | {held} |")
    print(f"| events published / deliveries missed | {len(published)} / {missed} |")
    print(f"| fan-out publish -> client p50 / p99 (ms) | {pct(fanout, 50):.1f} / "
          f"{pct(fanout, 99):.1f} |")
    print(f"| API alone p50 / p99 (ms) | {statistics.median(alone):.1f} / "
          f"{pct(alone, 99):.1f} |")
    print(f"| API with the streams p50 / p99 (ms) | {statistics.median(loaded):.1f} / "
          f"{pct(loaded, 99):.1f} |")
    print(f"| API p99 ratio (with / alone) | {pct(loaded, 99) / pct(alone, 99):.2f} |")
    print(f"| API processes' memory idle -> with the streams (MB) | {rss_idle:.0f} -> "
          f"{rss_open:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
