"""``gridwarden backup`` / ``gridwarden restore``: pg_dump / pg_restore of the platform's
database, the configured one (``DATABASE_URL``) or the embedded one under ``GW_DATA_DIR``.

What is in a backup: everything in PostgreSQL (the facility, devices and profiles,
alarms and their timelines, readings and history, accounts and grants, commands, the
notification outbox, the audit log), in pg_dump's custom format. What is not: Redis
(live values, queues and heartbeats: rebuilt by polling within a cycle) and the files of
the data directory (``dev-secret-key``, generated VAPID keys: docs/operations.md).

Client versions: pg_dump refuses a server newer than itself, and pg_restore reads no
archive of a newer pg_dump. The embedded server is PostgreSQL 16 and ships its own
binaries (the ``pgserver`` wheel); Debian's are often older (15 here). So the newest of
the pgserver binaries and those on ``PATH`` is used, and a server newer than every
client is refused with a message saying which version to install.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# Exit codes of the two commands (docs/operations.md).
OK, FAILED, USAGE, NOT_EMPTY = 0, 1, 2, 3
TIMEOUT = 6 * 3600


class BackupError(RuntimeError):
    """A backup or restore could not be done; ``code`` is the exit code."""

    def __init__(self, message: str, code: int = FAILED) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Tool:
    path: str
    major: int


def _version(path: str) -> int | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", out.stdout)
    return int(match.group(1)) if match else None


def _pgserver_bin() -> Path | None:
    try:
        import pgserver
    except ImportError:
        return None
    path = Path(pgserver.__file__).parent / "pginstall" / "bin"
    return path if path.is_dir() else None


def find_tool(name: str, server_major: int | None = None) -> Tool:
    """The newest ``name`` (pg_dump, pg_restore) among pgserver's and those on PATH."""
    candidates = []
    bundled = _pgserver_bin()
    if bundled is not None and (bundled / name).exists():
        candidates.append(str(bundled / name))
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    tools = [Tool(p, v) for p in candidates if (v := _version(p)) is not None]
    if not tools:
        raise BackupError(f"{name} not found: install the PostgreSQL client programs "
                          "(Debian: postgresql-client) or the pgserver wheel")
    best = max(tools, key=lambda t: t.major)
    if server_major is not None and best.major < server_major:
        raise BackupError(
            f"the server is PostgreSQL {server_major} but the newest {name} found is "
            f"{best.major} ({best.path}): install the PostgreSQL {server_major} client "
            "programs and put them first on PATH")
    return best


def libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """A SQLAlchemy URL as (libpq conninfo without the password, environment with it): the
    password never shows in the process list."""
    url = make_url(database_url)
    params = {"host": url.host, "port": url.port, "user": url.username,
              "dbname": url.database}
    for key, value in url.query.items():          # ?host=/socket/dir, sslmode=...
        params[key] = value if isinstance(value, str) else value[-1]
    conninfo = " ".join(f"{k}={_quote(str(v))}" for k, v in params.items() if v not in
                        (None, ""))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return conninfo, env


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def server_major(database_url: str) -> int:
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000
    except Exception as exc:
        raise BackupError(f"cannot connect to the database ({_masked(database_url)}): "
                          f"{str(exc).splitlines()[0]}") from exc
    finally:
        engine.dispose()


def table_count(database_url: str) -> int:
    """Tables of the public schema (0: an empty database, ready for a restore)."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar())
    finally:
        engine.dispose()


def _masked(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)


def default_output(data_dir: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Path(data_dir) / "backups" / f"gridwarden-{stamp}.dump"


def _run(argv: list[str], env: dict, what: str) -> None:
    try:
        out = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                             text=True, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupError(f"{what} failed: {exc}") from exc
    if out.returncode != 0:
        lines = [ln for ln in out.stderr.strip().splitlines() if ln.strip()]
        raise BackupError(f"{what} failed (exit code {out.returncode}): "
                          + ("\n".join(lines[-8:]) or "no message"))


def backup(database_url: str, output: Path) -> Path:
    """pg_dump (custom format) of the database into ``output``, written whole or not at all."""
    tool = find_tool("pg_dump", server_major(database_url))
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    conninfo, env = libpq(database_url)
    try:
        _run([tool.path, "--format=custom", "--no-owner", "--no-privileges",
              f"--file={partial}", f"--dbname={conninfo}"], env, "pg_dump")
        partial.replace(output)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return output


def check_archive(path: Path) -> Tool:
    """The pg_restore that reads ``path`` (its table of contents); a file that is not a
    pg_dump archive is refused before anything is written."""
    tool = find_tool("pg_restore")
    _run([tool.path, "--list", str(path)], dict(os.environ), f"reading {path}")
    return tool


def restore(database_url: str, archive: Path) -> None:
    """pg_restore of ``archive`` into the database, in one transaction (all or nothing).
    Only into an empty database: one that has tables is refused (``NOT_EMPTY``); nothing
    is ever dropped here (and ``pg_restore --clean`` cannot drop the readings' partition
    indexes anyway)."""
    archive = Path(archive)
    tool = check_archive(archive)
    server_major(database_url)                      # reachable, or a clear message
    tables = table_count(database_url)
    if tables:
        raise BackupError(
            f"the database {_masked(database_url)} is not empty ({tables} tables): restore "
            "into an empty database (dropdb + createdb) or, embedded, a new GW_DATA_DIR",
            NOT_EMPTY)
    conninfo, env = libpq(database_url)
    _run([tool.path, "--no-owner", "--no-privileges", "--exit-on-error",
          "--single-transaction", f"--dbname={conninfo}", str(archive)], env, "pg_restore")
