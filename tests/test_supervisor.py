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


class FakeBeats:
    """A child's heartbeat as the supervisor reads it: an age in seconds, None (not
    registered yet) or an error (Redis down)."""
    def __init__(self):
        self.age: float | None = None
        self.error: Exception | None = None

    def __call__(self, pid: int) -> float | None:
        if self.error is not None:
            raise self.error
        return self.age


def _sleeper(sup: Supervisor, beats: FakeBeats, hung_after: float = 12.0) -> Child:
    return sup.start(Child("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"],
                           beat=beats, hung_after=hung_after))


def _judge(sup: Supervisor, child: Child, at: float) -> bool:
    """Let the supervisor check the child ``at`` seconds after its start; True when it
    killed it."""
    if not sup._check_hung(child, child.started_at + at):
        assert child.proc.poll() is None
        return False
    child.proc.wait(5)
    assert child.proc.returncode == -signal.SIGKILL
    return True


def test_a_silent_child_is_killed_and_restarted(caplog):
    sup, beats = Supervisor(), FakeBeats()
    child = _sleeper(sup, beats)
    try:
        beats.age = 1.0
        child.next_hang_check = 0.0
        sup._check(child, child.started_at + 30)         # beating: left alone
        assert child.alive and child.next_hang_check > child.started_at + 30
        beats.age = 12.5                                  # silent past its limit
        assert _judge(sup, child, 31)
        assert "sleeper (pid %d) is hung: no heartbeat for 12.5 s" % child.proc.pid in caplog.text
        first = child.proc.pid
        sup._check(child, child.started_at + 31.1)       # noticed as dead: restart scheduled
        _restart(sup, child)
        assert child.alive and child.proc.pid != first
    finally:
        sup.stop_all()


def test_a_starting_child_gets_its_grace():
    sup, beats = Supervisor(), FakeBeats()
    child = _sleeper(sup, beats)
    try:
        assert not _judge(sup, child, supervisor.START_GRACE - 1)   # not registered yet
        beats.age = 50.0                   # an old beat cannot predate this start
        assert not _judge(sup, child, 5)
        beats.age = None
        assert _judge(sup, child, supervisor.START_GRACE + 1)       # never came up
    finally:
        sup.stop_all()


def test_no_child_is_killed_while_heartbeats_cannot_be_read():
    """Redis down or hung: every heartbeat is stale, and Redis is what needs restarting.
    Once Redis answers again each child gets its limit anew to beat again."""
    import redis

    sup, beats = Supervisor(), FakeBeats()
    child = _sleeper(sup, beats)
    try:
        beats.age = 5.0
        assert not _judge(sup, child, 20)
        beats.error = redis.TimeoutError("Timeout reading from socket")
        for at in (40, 100, 300):
            assert not _judge(sup, child, at)
        beats.error, beats.age = None, 295.0           # back; its last beat is old
        assert not _judge(sup, child, 301)
        assert not _judge(sup, child, 312)
        assert _judge(sup, child, 314)                 # 13 s since Redis came back
    finally:
        sup.stop_all()
