"""gunicorn settings file of the API (``--config python:backend.runtime.gunicorn_conf``;
the command line of backend/runtime/up.py sets everything else).

``child_exit``: a gunicorn worker that ended is marked dead for the Prometheus
multiprocess collector, as prometheus_client documents (its live gauges, the SSE clients,
stop counting).
"""
from __future__ import annotations


def child_exit(server, worker) -> None:
    from backend import metrics

    metrics.mark_dead(worker.pid)
