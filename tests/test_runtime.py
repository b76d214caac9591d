"""End to end: ``gridwarden up`` on embedded PostgreSQL and Redis.

Runs ``python -m backend.cli up`` as a subprocess on a fresh data directory with no
DATABASE_URL/REDIS_URL, so the embedded real servers are used, then checks health,
the cron heartbeat, restart of a killed child, a clean SIGTERM shutdown that leaves
no process behind, and that data survives a second start on the same directory.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
import redis
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
HEARTBEAT_KEY = "gw:heartbeat:worker"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str, body: dict | None = None, timeout: float = 2) -> int | None:
    """The HTTP status of GET ``url`` (POST of JSON ``body``), None when nothing answers."""
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


class Up:
    """One ``gridwarden up`` process, its output captured in a file."""

    def __init__(self, data_dir: Path, port: int, log_path: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "REDIS_URL") and not k.startswith(("GW_", "RQ_"))}
        env.update(GW_ENV="development", GW_DATA_DIR=str(data_dir), GW_HTTP_HOST="127.0.0.1",
                   GW_HTTP_PORT=str(port), GW_WEB_WORKERS="1", GW_RQ_WORKERS="1",
                   PYTHONUNBUFFERED="1",
                   PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p))
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "up", *args],
                                         cwd=ROOT,
                                         env=env, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def fail(self, why: str):
        pytest.fail(f"{why}\n--- gridwarden up output ---\n{self.output()[-6000:]}")

    def wait_for(self, what: str, check, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.fail(f"gridwarden up exited with {self.proc.returncode} while waiting for {what}")
            result = check()
            if result:
                return result
            time.sleep(0.25)
        self.fail(f"timed out after {timeout:.0f} s waiting for {what}")

    def wait_ready(self, timeout: float = 60) -> None:
        self.wait_for("/healthz", lambda: _status(self.base + "/healthz") == 200, timeout)
        self.wait_for("/readyz", lambda: _status(self.base + "/readyz") == 200, timeout)

    def children(self) -> list[psutil.Process]:
        return psutil.Process(self.proc.pid).children(recursive=True)

    def api_master(self) -> psutil.Process | None:
        for child in psutil.Process(self.proc.pid).children():
            try:
                if "gunicorn" in " ".join(child.cmdline()):
                    return child
            except psutil.NoSuchProcess:
                pass
        return None

    def database_url(self) -> str:
        match = re.search(r"^\s+PostgreSQL\s+(postgresql\S*)", self.output(), re.MULTILINE)
        if not match:
            self.fail("no PostgreSQL URL in the banner")
        return match.group(1)

    def terminate(self, timeout: float = 20) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.fail(f"gridwarden up did not exit within {timeout:.0f} s of SIGTERM")

    def kill_all(self) -> None:
        """Last-resort cleanup when a check failed midway."""
        if self.proc.poll() is not None:
            return
        procs = self.children()
        self.proc.kill()
        self.proc.wait()
        for p in procs:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass


def _stop_leftover_postgres(data_dir: Path) -> None:
    pidfile = data_dir / "postgres" / "postmaster.pid"
    try:
        os.kill(int(pidfile.read_text().split()[0]), signal.SIGINT)  # fast shutdown
    except (OSError, ValueError, IndexError):
        pass


@pytest.fixture
def data_dir():
    path = Path(tempfile.mkdtemp(prefix="gw-up-"))
    path.chmod(0o755)  # as root, pgserver runs postgres as the "pgserver" user
    yield path / "data"
    _stop_leftover_postgres(path / "data")
    shutil.rmtree(path, ignore_errors=True)


def test_up_supervises_restarts_stops_and_persists(data_dir):
    port = _free_port()
    log_path = data_dir.parent / "up.log"
    redis_url = f"unix://{data_dir}/redis/redis.sock"

    up = Up(data_dir, port, log_path)
    try:
        up.wait_ready()
        assert "/api/docs" in up.output()

        # The cron scheduler enqueues the interval job at start; a worker runs it.
        r = redis.Redis.from_url(redis_url, decode_responses=True)
        beat = up.wait_for("the worker heartbeat", lambda: r.get(HEARTBEAT_KEY), 90)
        beat = json.loads(beat)
        assert beat["job_id"] and beat["host"] and beat["at"]
        assert 0 < r.ttl(HEARTBEAT_KEY) <= 180
        # A quiet console: RQ's per-job lines and gunicorn's go to the log files only.
        worker_log = data_dir / "logs" / "worker-1.log"
        up.wait_for("the job lines in logs/worker-1.log",
                    lambda: worker_log.exists() and "heartbeat" in worker_log.read_text(), 30)
        assert "Job OK" in worker_log.read_text()
        assert "Job OK" not in up.output() and "Booting worker" not in up.output()
        assert (data_dir / "logs" / "api.log").exists()

        # Data written now must survive a restart.
        r.set("gw:test:persisted", "yes")
        engine = create_engine(up.database_url())
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE test_runtime_persist (id int PRIMARY KEY, note text)"))
            conn.execute(text("INSERT INTO test_runtime_persist VALUES (1, 'survives')"))
        engine.dispose()

        # Kill the gunicorn master outright: the supervisor restarts it.
        master = up.api_master()
        assert master is not None, "no gunicorn child found"
        old_pid = master.pid
        os.kill(old_pid, signal.SIGKILL)
        up.wait_for("a new gunicorn master",
                    lambda: (m := up.api_master()) is not None and m.pid != old_pid, 30)
        up.wait_ready(30)
        assert re.search(rf"api \(pid {old_pid}\) exited with code -9", up.output())

        # SIGTERM: clean exit, every child gone, embedded PostgreSQL stopped.
        children = up.children()
        assert len(children) >= 4  # redis, gunicorn (+ its workers), rq worker, rq cron
        assert up.terminate() == 0
        gone, alive = psutil.wait_procs(children, timeout=5)
        assert not alive, f"processes left behind: {alive}"
        assert not (data_dir / "postgres" / "postmaster.pid").exists(), "postgres still running"
        assert _status(up.base + "/healthz") is None
    finally:
        up.kill_all()

    # Second start on the same data dir: the data is still there.
    up = Up(data_dir, port, log_path)
    try:
        up.wait_ready()
        r = redis.Redis.from_url(redis_url, decode_responses=True)
        assert r.get("gw:test:persisted") == "yes"
        engine = create_engine(up.database_url())
        with engine.connect() as conn:
            note = conn.execute(text("SELECT note FROM test_runtime_persist WHERE id = 1")).scalar()
        engine.dispose()
        assert note == "survives"
        assert up.terminate() == 0
    finally:
        up.kill_all()
