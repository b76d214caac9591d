"""``gridwarden up --demo`` under polling: kill or hang each part and the platform recovers
without a person (issue 18, item 5). After each fault, a fast poll cycle must finish again
(the shard's ``gw:poll:done`` time passes the fault), and nothing already stored is lost.

- the poller, killed twice after healthy runs: restarted after the first delay each time
  (the backoff resets);
- the cron scheduler and the general worker, killed: restarted within the low cap;
- the poller, the scheduler and the general worker, hung (SIGSTOP): the supervisor sees
  their heartbeats stop, kills and restarts them;
- Redis, hung (SIGSTOP) then resumed: the API answers 503, never 500, meanwhile;
- Redis killed: restarted, its data (AOF) kept;
- PostgreSQL's postmaster killed: the supervisor's watch starts it again.
"""
from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import psutil
import redis
from sqlalchemy import create_engine, text

from backend.runtime import supervisor
from tests.test_runtime import Up, _free_port, _status, data_dir  # noqa: F401  (fixture)
from tests.test_runtime_demo import SMALL_DEMO

DONE_KEY = "gw:poll:done:0:fast"


def _child(up: Up, needle: str, timeout: float = 15) -> psutil.Process:
    """The supervisor's child with ``needle`` in its command line (waits while it is
    being restarted)."""
    deadline = time.monotonic() + timeout
    while True:
        for p in psutil.Process(up.proc.pid).children():
            try:
                if needle in " ".join(p.cmdline()):
                    return p
            except psutil.NoSuchProcess:
                pass
        if time.monotonic() > deadline:
            up.fail(f"no child process with {needle!r} in its command line")
        time.sleep(0.1)


class World:
    def __init__(self, up: Up, data: Path) -> None:
        self.up = up
        self.redis_url = f"unix://{data}/redis/redis.sock"
        self.engine = create_engine(up.database_url(), pool_pre_ping=True)

    def polled_since(self, t: float, what: str, timeout: float = 45) -> None:
        def done():
            try:
                value = redis.Redis.from_url(self.redis_url, socket_timeout=2).get(DONE_KEY)
            except redis.RedisError:
                return False
            return value is not None and float(value) > t
        self.up.wait_for(f"a finished fast poll after {what}", done, timeout)

    def readings(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM readings")).scalar()

    def kill(self, needle: str, what: str) -> float:
        p = _child(self.up, needle)
        t = time.time()
        os.kill(p.pid, signal.SIGKILL)
        self.up.wait_for(f"{what} restarted", lambda: _child(self.up, needle).pid != p.pid,
                         15)
        return t

    def hang(self, needle: str, what: str) -> float:
        """SIGSTOP the child: nobody sends SIGCONT, the supervisor must kill it."""
        p = _child(self.up, needle)
        t = time.time()
        os.kill(p.pid, signal.SIGSTOP)
        self.up.wait_for(f"a hung {what} killed and restarted",
                         lambda: _child(self.up, needle, 60).pid != p.pid, 90)
        assert re.search(rf"\(pid {p.pid}\) is hung: no heartbeat for", self.up.output())
        return t


def test_every_part_recovers_without_a_person(data_dir):  # noqa: F811
    up = Up(data_dir, _free_port(), data_dir.parent / "up.log", *SMALL_DEMO)
    try:
        up.wait_ready(timeout=90)
        w = World(up, data_dir)
        w.polled_since(time.time(), "start", timeout=60)

        # The poller, killed twice, each time after it ran healthily for longer than
        # STABLE_AFTER: the first delay both times.
        for _ in range(2):
            time.sleep(supervisor.STABLE_AFTER + 1)
            w.polled_since(w.kill("workers.worker.PollWorker", "the poller"), "a killed poller")
        delays = re.findall(r"poller-1 \(pid \d+\) exited with code -9 \(SIGKILL\); "
                            r"restarting in ([\d.]+) s", up.output())
        assert delays == [f"{supervisor.BACKOFF_START:.1f}"] * 2, delays

        w.polled_since(w.kill(" cron ", "the scheduler"), "a killed scheduler")
        w.kill("PreloadedWorker", "the general worker")

        # Hung, not dead: alive for the supervisor, silent in Redis.
        w.polled_since(w.hang("workers.worker.PollWorker", "poller"), "a hung poller")
        w.polled_since(w.hang(" cron ", "scheduler"), "a hung scheduler")
        w.hang("PreloadedWorker", "general worker")
        before = w.readings()

        # Redis hung: the API says 503 (not 500), polling resumes once it answers again.
        redis_proc = _child(up, "redis-server")
        os.kill(redis_proc.pid, signal.SIGSTOP)
        login = {"username": "admin",
                 "password": (data_dir / "demo-admin-password").read_text().strip()}
        try:
            assert _status(up.base + "/api/v1/auth/login", login, timeout=15) == 503
        finally:
            os.kill(redis_proc.pid, signal.SIGCONT)
        w.polled_since(time.time(), "a hung Redis")

        # Redis killed: restarted by the supervisor, data kept.
        w.polled_since(w.kill("redis-server", "Redis"), "a killed Redis")

        # PostgreSQL's postmaster killed: the supervisor's watch starts it again.
        pid = int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
        t = time.time()
        os.kill(pid, signal.SIGKILL)
        w.polled_since(t, "a killed PostgreSQL", timeout=60)
        assert re.search(r"postgres is not running: restarting it", up.output())
        up.wait_for("/readyz", lambda: _status(up.base + "/readyz", timeout=15) == 200, 30)
        assert w.readings() > before                    # nothing stored was lost
        w.engine.dispose()
        assert up.terminate() == 0
    finally:
        up.kill_all()
