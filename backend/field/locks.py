"""The per-gateway Redis lock (SET NX PX) that keeps one poller, or one command, per
gateway at a time; its value is "<poller identity>:<random>" (backend/field/session.py)."""
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


def lock_ms(gateways: Iterable[PollGateway]) -> int:
    return int(1000 * max(30.0, 3 * max((gw.address.timeout_s for gw in gateways),
                                        default=1.0)))


def release(gateway_id: int, token: str) -> None:
    redis.register_script(RELEASE)(keys=[LOCK_KEY.format(gateway_id=gateway_id)],
                                    args=[token])


def owner_of(token: str | None) -> str | None:
    """The poller identity in a lock token ("<owner>:<random>")."""
    return token.rsplit(":", 1)[0] if token and ":" in token else None
