"""A small supervisor of child processes, the heart of ``gridwarden up``.

- Each child runs in its own session (``setsid``), so Ctrl-C on the terminal reaches
  only the supervisor, which then stops the children in order. On Linux a child also
  gets SIGTERM if the supervisor itself dies (``PR_SET_PDEATHSIG``), so a killed
  supervisor leaves no orphan holding the port or the Redis socket.
- A child that dies is restarted with exponential backoff (0.5 s doubling up to the
  child's ``max_backoff``: low for the pollers, the scheduler and the stores, since
  polling and every alarm wait for them); a child that stayed up ``STABLE_AFTER``
  seconds before it died starts again from the first delay. Whatever the dead child
  left behind in its process group (e.g. gunicorn workers of a killed master) is
  terminated first.
- A child that is alive but silent is *hung* (SIGSTOP, a deadlock): a child with a
  ``beat`` (seconds since its last heartbeat, read from Redis by its pid) that shows no
  heartbeat for ``hung_after`` seconds is killed (SIGKILL, its whole group) and restarted
  as if it had died. Silence is counted from the latest of its last heartbeat, its start
  (a child that has not beaten once yet gets ``START_GRACE``: imports, app preload) and
  the moment its heartbeats could be read again: while Redis is down or hung every
  heartbeat is stale, and it is Redis that needs restarting, not the children.
- A ``Watch`` supervises what is not our child (the embedded PostgreSQL runs as
  pg_ctl's daemon): its check runs every few seconds, and a failed check runs its
  restart, with the same backoff.
- SIGTERM, SIGINT or SIGHUP stops everything: children are stopped tier by tier,
  highest tier first (apps before the embedded Redis they use); each gets SIGTERM,
  then, after ``stop_timeout`` seconds, SIGKILL for its whole process group.

Usage::

    with Supervisor() as sup:
        sup.start(Child("redis", argv, env, tier=0))
        ...  # wait for it, migrate, start the rest
        sup.run()       # blocks until a stop signal; children are stopped on exit
"""
from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from backend.runtime.logs import LogPump

log = logging.getLogger("gridwarden.supervisor")

BACKOFF_START = 0.5
BACKOFF_MAX = 30.0   # the default cap of a child's restart delay
STABLE_AFTER = 10.0  # seconds of uptime after which a crash counts as the first again
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
START_GRACE = 60.0   # seconds a child may take to its first heartbeat
HANG_CHECK_EVERY = 1.0


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    tier: int = 1  # stop order: higher tiers stop first (tier 0: infrastructure)
    max_backoff: float = BACKOFF_MAX  # the longest wait before a restart
    stop_signal: int = signal.SIGTERM  # what asks it to stop (postgres: SIGINT, "fast")
    proc: subprocess.Popen | None = field(default=None, repr=False)
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None  # set while waiting out the backoff
    # Seconds since the child's last heartbeat, given its pid (None: none seen yet); raises
    # when the heartbeats cannot be read. Without it the child is never judged hung.
    beat: Callable[[int], float | None] | None = field(default=None, repr=False)
    hung_after: float = 0.0          # seconds of silence after which it counts as hung
    beats_back_at: float = float("-inf")  # when its heartbeats could be read again
    beats_unreadable: bool = False
    next_hang_check: float = 0.0

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class Watch:
    """A server that runs outside our process tree, checked and restarted by the loop."""
    name: str
    check: Callable[[], bool]        # True while it runs
    restart: Callable[[], None]      # start it again (raises when that fails)
    every: float = 2.0
    max_backoff: float = 2.0
    next_check: float = 0.0
    failures: int = 0


def _describe(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"{returncode} ({signal.Signals(-returncode).name})"
        except ValueError:
            pass
    return str(returncode)


_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class Supervisor:
    def __init__(self, *, stop_timeout: float = 10.0, poll_interval: float = 0.2,
                 log_dir: Path | None = None, console_everything: bool = False,
                 on_exit: Callable[[int], None] | None = None,
                 json_lines: bool = False) -> None:
        self.children: list[Child] = []
        # Called with the pid of every child that ended (its metrics: backend/metrics.py).
        self.on_exit = on_exit
        self.watches: list[Watch] = []
        # With a log_dir, each child's output goes through a pipe to logs/<child>.log and,
        # filtered, to the terminal (backend/runtime/logs.py); without, it is inherited.
        self.log_dir = log_dir
        self.console_everything = console_everything
        self.json_lines = json_lines        # GW_LOG_FORMAT=json (backend/runtime/logs.py)
        self._pumps: dict[str, LogPump] = {}
        self.stop_timeout = stop_timeout
        self.poll_interval = poll_interval
        self.stop_requested = False
        self._supervising = False  # inside run(): signals only set the flag
        self._deferring = False  # inside uninterrupted(): the interrupt waits for the block
        self._old_handlers: dict[int, object] = {}

    # -- lifecycle ---------------------------------------------------------------
    def __enter__(self) -> "Supervisor":
        for sig in STOP_SIGNALS:
            self._old_handlers[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.stop_all()
        finally:
            for sig, handler in self._old_handlers.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame) -> None:
        if not self.stop_requested:
            log.info("received %s: stopping", signal.Signals(signum).name)
        self.stop_requested = True
        # During start-up (waiting for Redis, migrating) interrupt the current step;
        # __exit__ then stops whatever was already started.
        if not self._supervising and not self._deferring:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def uninterrupted(self):
        """A start-up step a stop signal must not cut short: the interrupt comes after it."""
        outer, self._deferring = self._deferring, True
        try:
            yield
        finally:
            self._deferring = outer
        if self.stop_requested and not self._supervising and not outer:
            raise KeyboardInterrupt

    # -- children ----------------------------------------------------------------
    def start(self, child: Child) -> Child:
        """Start ``child`` now and supervise it from then on."""
        with self.uninterrupted():  # never lose track of a started process
            self._spawn(child)
            self.children.append(child)
        return child

    def _spawn(self, child: Child) -> None:
        piped = self.log_dir is not None
        child.proc = subprocess.Popen(
            child.argv,
            env=child.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if piped else None,
            stderr=subprocess.STDOUT if piped else None,
            start_new_session=True,  # own session + process group: no terminal signals
            preexec_fn=_die_with_parent,
        )
        if piped:
            pump = self._pumps.get(child.name)
            if pump is None:
                pump = self._pumps[child.name] = LogPump(
                    child.name, self.log_dir, everything=self.console_everything,
                    json_lines=self.json_lines)
            pump.follow(child.proc.stdout)
        child.started_at = time.monotonic()
        child.restart_at = None
        child.next_hang_check = 0.0
        log.info("started %s (pid %d)", child.name, child.proc.pid)

    def watch(self, watch: Watch) -> Watch:
        """Check ``watch`` from now on (every ``watch.every`` seconds while ``run`` runs)."""
        watch.next_check = time.monotonic() + watch.every
        self.watches.append(watch)
        return watch

    def _check_watch(self, watch: Watch, now: float) -> None:
        if now < watch.next_check:
            return
        watch.next_check = now + watch.every
        try:
            if watch.check():
                watch.failures = 0
                return
        except Exception as exc:      # a check that cannot tell counts as "not running"
            log.warning("checking %s failed: %s", watch.name, exc)
        log.warning("%s is not running: restarting it (attempt %d)", watch.name,
                    watch.failures + 1)
        try:
            watch.restart()
        except Exception as exc:
            delay = min(watch.max_backoff, BACKOFF_START * 2 ** min(watch.failures, 16))
            watch.failures += 1
            watch.next_check = time.monotonic() + delay
            log.error("could not restart %s: %s; next attempt in %.1f s", watch.name, exc,
                      delay)
            return
        watch.failures = 0
        log.warning("restarted %s", watch.name)

    def _check(self, child: Child, now: float) -> None:
        if child.restart_at is not None:
            if now >= child.restart_at:
                try:
                    self._spawn(child)
                except OSError as exc:
                    log.error("could not restart %s: %s", child.name, exc)
                    self._schedule_restart(child, now)
                    return
                log.warning("restarted %s (pid %d), attempt %d", child.name, child.proc.pid,
                            child.failures)
            return
        code = child.proc.poll()
        if code is None:
            if child.beat is not None and now >= child.next_hang_check:
                child.next_hang_check = now + HANG_CHECK_EVERY
                self._check_hung(child, now)
            return
        _killpg(child.proc.pid, signal.SIGTERM)  # leftovers of the dead child's group
        self._exited(child)
        if now - child.started_at >= STABLE_AFTER:
            child.failures = 0
        delay = self._schedule_restart(child, now)
        log.warning("%s (pid %d) exited with code %s; restarting in %.1f s",
                    child.name, child.proc.pid, _describe(code), delay)

    def _exited(self, child: Child) -> None:
        if self.on_exit is not None:
            try:
                self.on_exit(child.proc.pid)
            except Exception as exc:  # noqa: BLE001 - bookkeeping must not stop supervising
                log.warning("after %s exited: %s", child.name, exc)

    @staticmethod
    def silence(child: Child, now: float) -> float | None:
        """Seconds the running ``child`` has given no sign of life, as far as can be told
        (None: its heartbeats cannot be read now)."""
        try:
            age = child.beat(child.proc.pid)
        except Exception as exc:
            if not child.beats_unreadable:
                log.warning("cannot read the heartbeat of %s: %s", child.name, exc)
            child.beats_unreadable = True
            return None
        if child.beats_unreadable:
            child.beats_unreadable, child.beats_back_at = False, now
        quiet = min(now - child.started_at, now - child.beats_back_at)
        if age is None:                  # no heartbeat (yet): starting up, or Redis lost it
            return None if quiet <= START_GRACE else quiet
        return min(age, quiet)

    def _check_hung(self, child: Child, now: float) -> bool:
        """Kill ``child`` if it is hung (its exit is then handled as any other); True if so."""
        silent = self.silence(child, now)
        if silent is None or silent <= child.hung_after:
            return False
        log.warning("%s (pid %d) is hung: no heartbeat for %.1f s (limit %.1f s); killing it",
                    child.name, child.proc.pid, silent, child.hung_after)
        _killpg(child.proc.pid, signal.SIGKILL)   # a stopped process dies of SIGKILL too
        return True

    @staticmethod
    def _schedule_restart(child: Child, now: float) -> float:
        delay = min(child.max_backoff, BACKOFF_START * 2 ** min(child.failures, 16))
        child.failures += 1
        child.restart_at = now + delay
        return delay

    def run(self) -> int:
        """Supervise until a stop signal arrives; return 0 (children are stopped by __exit__)."""
        self._supervising = True  # from here on a signal only sets the flag
        while not self.stop_requested:
            now = time.monotonic()
            for child in self.children:
                self._check(child, now)
            for watch in self.watches:
                self._check_watch(watch, now)
            time.sleep(self.poll_interval)
        return 0

    def stop_all(self) -> None:
        """Stop every child, highest tier first; SIGKILL what outlives ``stop_timeout``."""
        self._supervising = True  # a second Ctrl-C must not abort the shutdown
        for tier in sorted({c.tier for c in self.children}, reverse=True):
            group = [c for c in self.children if c.tier == tier and c.proc is not None]
            for child in group:
                child.restart_at = None
                if child.alive:
                    log.info("stopping %s (pid %d)", child.name, child.proc.pid)
                    child.proc.send_signal(child.stop_signal)
            deadline = time.monotonic() + self.stop_timeout
            for child in group:
                try:
                    child.proc.wait(max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    log.warning("%s (pid %d) did not stop within %.0f s: killing it",
                                child.name, child.proc.pid, self.stop_timeout)
                    _killpg(child.proc.pid, signal.SIGKILL)
                    child.proc.wait()
                _killpg(child.proc.pid, signal.SIGKILL)  # nothing of the child may remain
                log.info("%s stopped (exit code %s)", child.name, _describe(child.proc.returncode))
        self.children.clear()
        self.watches.clear()
