"""Login throttling: a progressive delay per account *and* client address, and a limit
per address (docs/decisions.md, 2026-12-01).

- Failures of one username from one address: the first ``login_free_failures`` cost
  nothing; each further one makes that address wait before trying that account again,
  ``login_delay_seconds`` doubling per failure up to ``login_max_delay_seconds`` (429
  ``login_delayed`` with Retry-After meanwhile). The count is forgotten a quiet
  ``login_window_seconds`` after the last delay, and at a successful login from there.
  Another address is not affected: no one can lock the duty staff out from elsewhere.
- Failures from one address, whatever the username (password spraying): at
  ``login_max_failures_per_ip`` within ``login_window_seconds`` (from the first), 429
  ``login_throttled`` until the window ends. A success does not reset it.
"""
from __future__ import annotations

import math

from backend.errors import TooManyRequests
from backend.extensions import redis


def _addr(remote_addr: str | None) -> str:
    return remote_addr or "-"


def pair_key(username: str, remote_addr: str | None) -> str:
    return f"gw:login:fail:pair:{_addr(remote_addr)}:{username.lower()}"


def delay_key(username: str, remote_addr: str | None) -> str:
    return f"gw:login:delay:{_addr(remote_addr)}:{username.lower()}"


def address_key(remote_addr: str) -> str:
    return f"gw:login:fail:ip:{remote_addr}"


def delay_after(settings, failures: int) -> int:
    """Seconds to wait after the ``failures``-th failure in a row (0: none)."""
    over = failures - settings.login_free_failures
    if over < 0:
        return 0
    return min(settings.login_delay_seconds * 2 ** min(over, 32), settings.login_max_delay_seconds)


def check(settings, username: str, remote_addr: str | None) -> None:
    """Raise 429 when this attempt must wait; before the password is looked at."""
    if remote_addr:
        key = address_key(remote_addr)
        if int(redis.get(key) or 0) >= settings.login_max_failures_per_ip:
            retry = max(int(redis.ttl(key)), 1)
            raise TooManyRequests(
                f"Too many failed logins from this client address; try again in {retry} s",
                error="login_throttled", headers={"Retry-After": str(retry)})
    wait_ms = int(redis.pttl(delay_key(username, remote_addr)))
    if wait_ms > 0:
        retry = max(math.ceil(wait_ms / 1000), 1)
        raise TooManyRequests(
            f"Too many failed logins for this account from this address; try again in "
            f"{retry} s", error="login_delayed", headers={"Retry-After": str(retry)})


def note_failure(settings, username: str, remote_addr: str | None) -> int:
    """Count a failure; returns the delay it starts (seconds, 0 for none)."""
    pipe = redis.pipeline()
    pipe.incr(pair_key(username, remote_addr))
    if remote_addr:
        # The window starts at the first failure (works on Redis 6.2: no EXPIRE NX).
        pipe.set(address_key(remote_addr), 0, ex=settings.login_window_seconds, nx=True)
        pipe.incr(address_key(remote_addr))
    failures = pipe.execute()[0]
    delay = delay_after(settings, failures)
    pipe = redis.pipeline()
    pipe.expire(pair_key(username, remote_addr), settings.login_window_seconds + delay)
    if delay:
        pipe.set(delay_key(username, remote_addr), failures, ex=delay)
    pipe.execute()
    return delay


def note_success(username: str, remote_addr: str | None) -> None:
    redis.delete(pair_key(username, remote_addr), delay_key(username, remote_addr))
