"""The per-gateway Redis lock (SET NX PX) that keeps one poller, or one command, per
gateway at a time; its value is "<poller identity>:<random>" (backend/field/session.py).

The lock is a lease of one fast-poll interval (``lease_ms``), renewed every third of it by
its holder's renewer thread while the poll or command runs. A poller that dies (SIGKILL,
a machine lost) stops renewing, so its gateways are free again within one fast interval
and another poll worker picks them up at its next cycle. How long one poll may run at
most (``lock_ms``, a cancelled flight beyond it) is a separate, longer limit."""
from __future__ import annotations

from collections.abc import Iterable

from backend.extensions import redis
from backend.field.poller import PollGateway

LOCK_KEY = "gw:lock:poll:{gateway_id}"
RELEASE = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
            "return redis.call('del', KEYS[1]) else return 0 end")
RELEASE_OWNED = ("local v = redis.call('get', KEYS[1]) "
                  "if v and string.sub(v, 1, string.len(ARGV[1])) == ARGV[1] then "
                  "return redis.call('del', KEYS[1]) else return 0 end")
EXTEND = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
           "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end")


def lease_ms(fast_seconds: float) -> int:
    """A lock's lifetime without renewal: one fast interval (1 s at least)."""
    return int(1000 * max(1.0, float(fast_seconds)))


def lock_ms(gateways: Iterable[PollGateway]) -> int:
    return int(1000 * max(30.0, 3 * max((gw.address.timeout_s for gw in gateways),
                                        default=1.0)))


def extend(client, held: list[tuple[int, str]], ttl_ms: int) -> list[bool]:
    """Renew the locks these (gateway id, token) pairs hold, in one round trip; per pair
    False if it was lost (expired, taken).

    One pipeline, not a call per gateway: a poller holding hundreds of gateways would
    otherwise wait for the interpreter lock after every reply while its polling thread
    runs, and on a loaded machine the round of renewals outlasted the lease itself."""
    if not held:
        return []
    script = client.register_script(EXTEND)
    pipe = client.pipeline(transaction=False)
    for gateway_id, token in held:
        script(keys=[LOCK_KEY.format(gateway_id=gateway_id)], args=[token, ttl_ms],
               client=pipe)
    return [bool(ok) for ok in pipe.execute()]


def release(gateway_id: int, token: str) -> None:
    redis.register_script(RELEASE)(keys=[LOCK_KEY.format(gateway_id=gateway_id)],
                                    args=[token])


def owner_of(token: str | None) -> str | None:
    """The poller identity in a lock token ("<owner>:<random>")."""
    return token.rsplit(":", 1)[0] if token and ":" in token else None
