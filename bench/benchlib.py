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
