"""The RQ queues GridWarden declares, in priority order.

A worker listens on all of them in this order, and RQ's default dequeue strategy
always takes the first non-empty queue, so earlier queues win:

- ``control``:  switching commands a person is waiting for (write + read-back).
- ``alarms``:   alarm follow-up work (escalation, acknowledgement side effects).
- ``notify``:   outbox deliveries: WeChat, SMS, Web Push.
- ``poll``:     gateway polling (one job per shard of gateways and rate; ingest + alarm
                evaluation). Served by dedicated ``SimpleWorker`` processes (no fork per
                job), so the Modbus connections of workers/jobs/poll.py stay open.
- ``default``:  everything else (reports, exports, one-off maintenance).
- ``periodic``: jobs enqueued by the cron scheduler (workers/schedule.py).

Scale-out is more ``rq worker`` processes (on more machines) against the same Redis,
optionally listening on a subset of these names.
"""
from __future__ import annotations

import redis
from rq import Queue

QUEUES: tuple[str, ...] = ("control", "alarms", "notify", "poll", "default", "periodic")
# What the general (forking) workers listen on; ``poll`` has its own workers.
GENERAL_QUEUES: tuple[str, ...] = tuple(q for q in QUEUES if q != "poll")
POLL_QUEUE = "poll"


def connection(redis_url: str) -> redis.Redis:
    """A Redis connection suitable for RQ (bytes responses: RQ does its own decoding)."""
    return redis.Redis.from_url(redis_url)


def get_queue(name: str, connection: redis.Redis) -> Queue:
    """The declared queue ``name``; unknown names are a programming error."""
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}; declared queues: {', '.join(QUEUES)}")
    return Queue(name, connection=connection)
