"""One part of the platform per process, for containers (compose.yaml): ``gridwarden api``,
``worker``, ``poller`` and ``scheduler`` run exactly what ``gridwarden up`` would start as
that child (backend/runtime/up.py ``app_children``: the same gunicorn and RQ command lines)
by ``exec``, so the container's PID 1 (tini) sees the real program and the container's
restart policy, not our supervisor, restarts it.

They need external servers (``DATABASE_URL`` and ``REDIS_URL``) and an applied schema
(``gridwarden migrate``). Metrics: every role writes to ``GW_DATA_DIR/metrics``; mount one
volume there in every container and the API's ``/metrics`` sums them all (file names carry
the container's host name, so processes of different containers never share a file).
"""
from __future__ import annotations

import os
import socket
from pathlib import Path

from backend.config import Settings
from backend.runtime.up import app_children, child_environ, metrics_dir

ROLES = {"api": "api", "worker": "worker-1", "poller": "poller-1", "scheduler": "scheduler"}


class RoleError(RuntimeError):
    pass


def command(settings: Settings, role: str) -> tuple[list[str], dict[str, str]]:
    """(argv, environment) of ``role``, as ``gridwarden up`` starts it."""
    if not settings.database_url or not settings.redis_url:
        raise RoleError(f"gridwarden {role} runs one part of the platform against external "
                        "servers: set DATABASE_URL and REDIS_URL (or run everything, "
                        "embedded servers included, with `gridwarden up`)")
    env = child_environ(settings)
    one = settings.with_overrides(rq_workers=1, poll_shards=1)
    child = next(c for c in app_children(one, env, None) if c.name == ROLES[role])
    env = dict(child.env or env)
    if role == "poller":
        env["GW_POLLER_ID"] = settings.poller_id or f"{socket.gethostname()}:poller"
    return child.argv, env


def forget_live_gauges(path: Path) -> None:
    """The API starting in a container: every earlier process of this host (container) is
    gone, so its live gauges (SSE clients) must not count any more."""
    host = socket.gethostname()
    for file in path.glob(f"gauge_live*_{host}-*.db"):
        file.unlink(missing_ok=True)


def run(settings: Settings, role: str) -> None:
    """Replace this process with ``role``'s program (does not return)."""
    argv, env = command(settings, role)
    path = metrics_dir(settings.data_dir)
    path.mkdir(parents=True, exist_ok=True)
    if role == "api":
        forget_live_gauges(path)
    os.execvpe(argv[0], argv, env)
