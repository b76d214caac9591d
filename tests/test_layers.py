"""The layer contracts of .importlinter hold, and they do catch a violation."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("backend", "workers", "simulator", "standins")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(exe), "--no-cache", "--config", str(root / ".importlinter")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_the_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_backend_module_importing_workers_is_refused(tmp_path):
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, tmp_path / pkg,
                        ignore=shutil.ignore_patterns("__pycache__", "*.yaml"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    (tmp_path / "backend" / "alarms" / "shortcut.py").write_text(
        "from workers.jobs.notify import deliver  # the cycle issue 9 removed\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout
    assert "The backend imports no worker, simulator or stand-in code BROKEN" in result.stdout
    assert "backend.alarms.shortcut -> workers.jobs.notify" in result.stdout
