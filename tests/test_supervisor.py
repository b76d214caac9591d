"""The supervisor's restart policy, on real child processes: the delay doubles for a child
that keeps crashing, never exceeds the child's cap, and starts again from the first delay
once the child had been up for a while (issue 18, item 5: killing the poller every ~40 s
used to reach 16 s delays)."""
from __future__ import annotations

import signal
import sys
import time

from backend.runtime import supervisor
from backend.runtime.supervisor import Child, Supervisor


def _crash(sup: Supervisor, child: Child, now: float) -> float:
    """Wait for the child to exit; let the supervisor notice at ``now``; the delay."""
    child.proc.wait(10)
    sup._check(child, now)
    assert child.restart_at is not None
    return round(child.restart_at - now, 3)


def _restart(sup: Supervisor, child: Child) -> None:
    sup._check(child, child.restart_at)
    assert child.alive or child.proc.poll() is not None   # spawned again
    assert child.restart_at is None


def test_backoff_doubles_is_capped_and_resets_after_a_healthy_run():
    sup = Supervisor()
    child = sup.start(Child("crasher", [sys.executable, "-c", "raise SystemExit(3)"],
                            max_backoff=2.0))
    try:
        delays = []
        for _ in range(5):                       # crashes right after each start
            delays.append(_crash(sup, child, child.started_at + 0.1))
            _restart(sup, child)
        assert delays == [0.5, 1.0, 2.0, 2.0, 2.0]
        # This run lasted longer than STABLE_AFTER before it crashed: first delay again.
        delay = _crash(sup, child, child.started_at + supervisor.STABLE_AFTER + 1)
        assert delay == supervisor.BACKOFF_START
    finally:
        sup.stop_all()


def test_a_child_is_stopped_with_its_own_stop_signal(tmp_path):
    """PostgreSQL's fast shutdown is SIGINT (SIGTERM waits for every client)."""
    ready = tmp_path / "ready"
    code = ("import pathlib, signal, sys, time\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "signal.signal(signal.SIGINT, lambda *a: sys.exit(0))\n"
            f"pathlib.Path({str(ready)!r}).touch()\n"
            "time.sleep(60)\n")
    sup = Supervisor(stop_timeout=5)
    child = sup.start(Child("fast-stop", [sys.executable, "-c", code],
                            stop_signal=signal.SIGINT))
    assert child.max_backoff == supervisor.BACKOFF_MAX
    proc = child.proc
    try:
        deadline = time.monotonic() + 10
        while not ready.exists():                 # its handlers are installed
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
    finally:
        sup.stop_all()
    assert proc.returncode == 0, proc.returncode   # stopped by SIGINT, not killed
