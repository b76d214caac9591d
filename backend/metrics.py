"""The platform's Prometheus metrics, declared once (prometheus_client).

Served at ``/metrics`` by the API (backend/api/metrics.py), which adds what is read at
scrape time (devices offline, queue depths, outbox backlog). Everything here is recorded
where it happens, in whichever process that is: gunicorn workers (SSE clients), the poll
workers (poll cycles, readings, failed reads, command latency) and the RQ workers' jobs
(notification attempts, alarm latency).

Multiprocess mode (docs/operations.md): ``gridwarden up`` gives every child
``PROMETHEUS_MULTIPROC_DIR`` (``GW_DATA_DIR/metrics``, emptied at each start); each process
writes its values to its own files there and the scrape sums them. A process is named by
``host-pid`` (so that containers sharing one metrics volume never write the same file),
and every job a general RQ worker forks takes its worker's name plus ``-job``: those jobs
run one at a time, so they share one set of files instead of leaving one per job.
A dead process is marked dead (``mark_dead``): the supervisor does it for its children,
gunicorn's ``child_exit`` hook for its workers (backend/runtime/gunicorn_conf.py).

Importing this module connects to nothing; it must be imported after the environment
is set (prometheus_client reads ``PROMETHEUS_MULTIPROC_DIR`` when it is first imported).
"""
from __future__ import annotations

import os
import socket
from datetime import datetime, timezone

from prometheus_client import Counter, Gauge, Histogram, values
from prometheus_client import multiprocess as _multiprocess

PREFIX = "gridwarden_"
_forked_from: int | None = None      # in a forked RQ job: its worker's pid


def process_id(pid: int | None = None) -> str:
    """The name of a process's metric files: ``host-pid`` (``host-pid-job`` in a forked
    job of that worker)."""
    host = socket.gethostname()
    if pid is not None:
        return f"{host}-{pid}"
    if _forked_from is not None:
        return f"{host}-{_forked_from}-job"
    return f"{host}-{os.getpid()}"


def _in_forked_job(parent: int) -> None:
    global _forked_from
    _forked_from = parent


def fork_jobs_share_files() -> None:
    """Called by a forking RQ worker (workers/worker.py): its jobs, one at a time, write
    one shared set of files instead of one set per job."""
    parent = os.getpid()
    os.register_at_fork(after_in_child=lambda: _in_forked_job(parent))


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def mark_dead(pid: int, path: str | None = None) -> None:
    """A process has ended: drop its live gauges (prometheus_client's documented call)."""
    path = path or multiprocess_dir()
    if path:
        _multiprocess.mark_process_dead(process_id(pid), path)
        _multiprocess.mark_process_dead(f"{process_id(pid)}-job", path)


if values.ValueClass._multiprocess:     # PROMETHEUS_MULTIPROC_DIR set when first imported
    values.ValueClass = values.MultiProcessValue(process_identifier=process_id)

# -- the poll path (backend/runtime/poll_cycle.py) ---------------------------------------
POLL_CYCLE_SECONDS = Histogram(
    PREFIX + "poll_cycle_seconds", "Duration of one poll job (a shard at a rate), storing "
    "and alarm evaluation included", ["rate", "shard"],
    buckets=(0.25, 0.5, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 30, 60))
READINGS = Counter(PREFIX + "readings", "Readings stored (rows written by the poll path)")
DEVICES_POLLED = Counter(PREFIX + "device_polls", "Device polls, answered or not")
FAILED_READS = Counter(PREFIX + "failed_reads", "Device polls that got no valid answer, "
                       "per gateway", ["gateway"])

# -- alarms, notifications and commands --------------------------------------------------
ALARM_LATENCY = Histogram(
    PREFIX + "alarm_notify_latency_seconds", "From the fault seen (the alarm raised by a "
    "poll) to the first attempt of each recipient's notification of it",
    buckets=(0.5, 1, 2, 3, 4, 5, 7.5, 10, 15, 30, 60, 120, 300, 900))
NOTIFY_ATTEMPTS = Counter(PREFIX + "notification_attempts", "Notification channel attempts, "
                          "by channel and outcome", ["channel", "outcome"])
COMMAND_LATENCY = Histogram(
    PREFIX + "command_latency_seconds", "From a switching command requested to its end "
    "(confirmed, failed, refused, ...), by final state", ["state"],
    buckets=(0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 30, 60, 300, 900))

# -- the API -----------------------------------------------------------------------------
SSE_CLIENTS = Gauge(PREFIX + "sse_clients", "Live event streams open (Server-Sent Events)",
                    multiprocess_mode="livesum")


def seconds_since(then: datetime | None) -> float | None:
    if then is None:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    return max(0.0, (datetime.now(timezone.utc) - then).total_seconds())


def observe_since(histogram, then: datetime | None) -> None:
    """Observe the seconds from ``then`` to now (nothing without ``then``); never raises:
    a metric must not break what it measures."""
    try:
        elapsed = seconds_since(then)
        if elapsed is not None:
            histogram.observe(elapsed)
    except Exception:  # noqa: BLE001
        pass
