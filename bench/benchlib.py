"""Shared by the benchmarks: the configured servers, or embedded ones in a temporary dir."""
from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path


def servers(prefix: str = "gw-bench-"):
    """(database_url, redis_url, cleanup): DATABASE_URL / REDIS_URL when set, otherwise
    embedded PostgreSQL and Redis (backend.runtime.embedded) in a temporary directory."""
    from backend.config import Settings
    from backend.runtime.embedded import platform_servers

    stack = contextlib.ExitStack()
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))
    s = stack.enter_context(platform_servers(Settings.from_env().with_overrides(data_dir=tmp)))
    return s.database_url, s.redis_url, stack.close


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_settings(db_url: str, redis_url: str, name: str):
    """Production-like settings on these servers, with fixed bench secrets."""
    import os

    from backend.config import Settings

    data_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"gw-{name}-{os.getpid()}"
    data_dir.mkdir(parents=True, exist_ok=True)
    return Settings.from_env().with_overrides(
        database_url=db_url, redis_url=redis_url, data_dir=data_dir, env="production",
        secret_key="bench-secret-" + "x" * 32, jwt_secret_key="bench-jwt-" + "y" * 32)


def start_api(settings, api_root: Path, extra_env: dict | None = None,
              access_log: Path | None = None):
    """The ``api`` child of ``gridwarden up`` (gunicorn with its workers, threads and flags,
    as the code under ``api_root`` builds it), started and answering /healthz. Returns
    (the process, its base URL). Access log lines go to ``access_log`` (default: none)."""
    import json
    import os
    import subprocess
    import sys
    import time

    import requests

    port = free_port()
    env = {**os.environ, **settings.child_environ(), "GW_LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(api_root), **(extra_env or {})}
    code = ("import json, sys; from backend.config import Settings; "
            "from backend.runtime.up import app_children; "
            "print(json.dumps(app_children(Settings.from_env(), {}, sys.argv[1])[0].argv))")
    out = subprocess.run([sys.executable, "-c", code, f"127.0.0.1:{port}"], cwd=api_root,
                         env=env, capture_output=True, text=True, check=True)
    argv = json.loads(out.stdout.strip().splitlines()[-1])
    argv = [a if a != "-" else str(access_log or "/dev/null") for a in argv]
    proc = subprocess.Popen(argv, cwd=api_root, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return proc, base
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the API did not start")
        time.sleep(0.2)


def stop(proc) -> None:
    import subprocess

    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
