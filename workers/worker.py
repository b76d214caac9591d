"""The general RQ worker: forks per job (a job that leaks or crashes takes only its own
process), with the Flask app and the heavy imports made once, before forking.

A plain ``rq worker`` builds the app and imports wechatpy, cryptography and the rest
inside every forked job: about a second per notification on this machine, most of the
alarm latency (docs/benchmarks.md, "Alarm latency"). Here the parent does it once and
each fork inherits it. Nothing connects at app creation (DESIGN.md house rule 1); the
database pool is dropped in the child anyway, so no socket is ever shared across a fork.
"""
from __future__ import annotations

import os

from rq.worker import SimpleWorker, Worker


def _drop_inherited_connections() -> None:
    from backend.extensions import db

    if db._engine is not None:
        db._engine.dispose(close=False)      # the parent's sockets stay the parent's


class PreloadedWorker(Worker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from backend.runtime.context import preload_app

        preload_app()
        import workers.jobs.notify  # noqa: F401  (the channels, wechatpy, cryptography)
        from backend import metrics

        os.register_at_fork(after_in_child=_drop_inherited_connections)
        metrics.fork_jobs_share_files()      # its jobs, one at a time, share metric files


class PollWorker(SimpleWorker):
    """A poll worker: no fork per job (the field session's connections stay open), and
    the control runner beside the jobs, so commands share each gateway's connection with
    its polls (backend/control/runner.py)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from backend.control.runner import ControlRunner
        from backend.runtime.context import preload_app

        self.control_runner = ControlRunner(preload_app())
        self.control_runner.start()
        from backend.telemetry.memory import settle_long_lived_heap

        settle_long_lived_heap()
