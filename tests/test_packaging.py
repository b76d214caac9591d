"""The production image leaves the development tools out: the Dockerfile copies only what
the platform runs, and the command works without the simulator and stand-in packages."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WITHOUT_DEV_TOOLS = """
import importlib.abc, sys
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("simulator", "standins"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Absent())
from backend.cli import main
main(["--help"], prog_name="gridwarden")
"""


def test_the_image_copies_the_platform_and_not_the_dev_tools():
    text = (ROOT / "Dockerfile").read_text()
    # the production stage (`runtime`); the `dev` stage on top adds the tools on purpose
    runtime = text.split("\nFROM runtime AS dev", 1)[0]
    copied = set(re.findall(r"^COPY (?!--from)(\S+) ", runtime, re.MULTILINE))
    assert {"backend", "workers", "migrations"} <= copied
    assert not copied & {"simulator", "standins", "tests", "bench"}
    assert re.search(r'^CMD \["gridwarden", "up"\]', runtime, re.MULTILINE)
    assert text.rstrip().endswith("FROM runtime")     # a plain `docker build .`: production


def test_the_command_runs_without_the_dev_tool_packages():
    out = subprocess.run([sys.executable, "-c", WITHOUT_DEV_TOOLS], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    commands = set(re.findall(r"^  (\S+)", out.stdout.split("Commands:")[1], re.MULTILINE))
    assert {"up", "migrate", "create-admin", "import", "export"} <= commands
    assert not commands & {"simulate", "standins"}


def test_in_a_development_install_the_tools_plug_in():
    out = subprocess.run([sys.executable, "-m", "backend.cli", "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert re.search(r"^  simulate ", out.stdout, re.MULTILINE)
    assert re.search(r"^  standins ", out.stdout, re.MULTILINE)
