"""compose.yaml against the code: every service of our image runs a real ``gridwarden``
subcommand with options its parser accepts, every variable it sets is one that
backend/config.py reads, and so are the Dockerfile's; the documented ``gridwarden``
command lines of docs/operations.md parse too. The role commands exec exactly what
``gridwarden up`` starts (backend/runtime/roles.py)."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click
import psutil
import pytest
import yaml

from backend.cli import main
from backend.config import Settings
from backend.runtime import roles, up
from tests.test_runtime import _free_port, _status

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
OURS = {name: s for name, s in SERVICES.items() if s.get("image", "").startswith("gridwarden")}
# Read by the programs themselves, not by our settings (compose's own, the image's).
NOT_OURS = {"PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR",
            "PIP_DISABLE_PIP_VERSION_CHECK", "XDG_RUNTIME_DIR"}


def _config_reads() -> set[str]:
    """Every environment variable backend/config.py names (its reads: env.get / _int /
    _bool and the notification table)."""
    source = (ROOT / "backend" / "config.py").read_text()
    return set(re.findall(r'"((?:GW_|DATABASE_|REDIS_|WECHAT_|SMS_)[A-Z0-9_]*)"', source))


def _parses(argv: list[str]) -> None:
    """``argv`` (``gridwarden SUB ...``) is accepted by the CLI's parser (nothing runs)."""
    assert argv[0] == "gridwarden", argv
    with main.make_context("gridwarden", list(argv[1:]), resilient_parsing=True) as ctx:
        name = argv[1]
        command = main.get_command(ctx, name)
        assert command is not None, f"gridwarden has no subcommand {name!r}"
        rest = argv[2:]
        if isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
            sub = command.get_command(ctx, rest[0])
            assert sub is not None, f"gridwarden {name} has no subcommand {rest[0]!r}"
            command, rest = sub, rest[1:]
        try:
            command.make_context(name, list(rest), parent=ctx)
        except click.BadParameter as exc:      # a file that exists only in the image
            if "does not exist" not in str(exc):
                raise
        except click.UsageError as exc:
            pytest.fail(f"{' '.join(argv)}: {exc}")


def test_the_platform_services_run_real_subcommands():
    assert {"migrate", "api", "worker", "poller", "scheduler", "simulator"} <= set(OURS)
    assert {"postgres", "redis"} <= set(SERVICES)
    for name, service in OURS.items():
        _parses(service["command"])
    assert OURS["simulator"]["profiles"] == ["simulator"]
    assert OURS["simulator"]["build"]["target"] == "dev"


def test_a_typo_in_a_command_would_be_caught():
    for argv in (["gridwarden", "pollers"], ["gridwarden", "api", "--workers", "2"],
                 ["gridwarden", "simulate", "--no-such-option"]):
        with pytest.raises((AssertionError, pytest.fail.Exception)):
            _parses(argv)


def test_every_variable_set_is_one_config_reads():
    reads = _config_reads()
    assert {"GW_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "GW_METRICS_TOKEN"} <= reads
    for name, service in OURS.items():
        env = service.get("environment") or {}
        names = set(env) if isinstance(env, dict) else {e.split("=", 1)[0] for e in env}
        assert names, name
        assert names <= reads, (name, names - reads)
    dockerfile = (ROOT / "Dockerfile").read_text()
    for block in re.findall(r"^ENV ((?:.*\\\n)*.*)$", dockerfile, re.MULTILINE):
        names = set(re.findall(r"([A-Z][A-Z0-9_]*)=", block))
        assert names - NOT_OURS <= reads, names - NOT_OURS - reads
    # and the settings they give are valid
    env = OURS["api"]["environment"]
    resolved = {k: re.sub(r"\$\{[A-Z_]+:[-?]([^}]*)\}", r"\1", str(v)) for k, v in env.items()}
    resolved["GW_SECRET_KEY"] = "x" * 40
    settings = Settings.from_env(resolved)
    assert settings.is_production and settings.redis_url == "redis://redis:6379/0"


def test_the_image_has_the_targets_compose_builds():
    stages = set(re.findall(r"^FROM \S+ AS (\S+)$", (ROOT / "Dockerfile").read_text(),
                            re.MULTILINE))
    targets = {s["build"]["target"] for s in OURS.values() if "build" in s}
    assert targets <= stages, targets - stages


def test_documented_commands_parse():
    doc = (ROOT / "docs" / "operations.md").read_text()
    blocks = re.findall(r"^```sh\n(.*?)^```", doc, re.MULTILINE | re.DOTALL)
    lines = [m.group(1).strip() for block in blocks for line in block.splitlines()
             if (m := re.search(r"(?:^|\s)(gridwarden [a-z][^#]*)", line))]
    assert len(lines) >= 5, lines
    for line in lines:
        _parses(shlex.split(line))


@pytest.mark.parametrize("role", sorted(roles.ROLES))
def test_a_role_runs_what_up_starts_as_that_child(role, tmp_path):
    settings = Settings.from_env({
        "GW_DATA_DIR": str(tmp_path), "GW_SECRET_KEY": "k" * 40,
        "DATABASE_URL": "postgresql+psycopg2://gw@db/gw", "REDIS_URL": "redis://r:6379/0"})
    argv, env = roles.command(settings, role)
    child = next(c for c in up.app_children(settings, up.child_environ(settings), None)
                 if c.name == roles.ROLES[role])
    assert argv == child.argv
    assert env["DATABASE_URL"] == settings.database_url
    assert env["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path / "metrics")
    if role == "poller":
        assert env["GW_POLLER_ID"].endswith(":poller")
    with pytest.raises(roles.RoleError, match="DATABASE_URL and REDIS_URL"):
        roles.command(settings.with_overrides(redis_url=None), role)


def test_the_api_role_serves_in_its_own_process(urls, tmp_path):
    """``gridwarden api`` as a container runs it: gunicorn in place of the command, on the
    configured servers, writing its metrics under GW_DATA_DIR/metrics."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GW_", "RQ_"))}
    env.update(DATABASE_URL=urls["database_url"], REDIS_URL=urls["redis_url"],
               GW_DATA_DIR=str(tmp_path), GW_HTTP_HOST="127.0.0.1", GW_HTTP_PORT=str(port),
               GW_WEB_WORKERS="1", GW_SECRET_KEY="s" * 40, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "api"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while _status(f"http://127.0.0.1:{port}/healthz") != 200:
            assert proc.poll() is None and time.monotonic() < deadline, "the API did not start"
            time.sleep(0.25)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
            assert b"gridwarden_queue_depth" in resp.read()
        assert "gunicorn" in " ".join(psutil.Process(proc.pid).cmdline())   # exec'd
        assert (tmp_path / "metrics").is_dir()
    finally:
        proc.terminate()
        proc.wait(30)
