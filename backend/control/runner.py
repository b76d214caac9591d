"""The control runner: a thread in each poll process that takes commands from its inbox
and from the control queue and executes them on the process's field session, so a write
shares the gateway's connection with its polls (backend/control/execute.py).

Started by the poll worker (workers/worker.py ``PollWorker``); tests start one beside
the poll jobs they run. A Redis or database error is logged and the runner carries on
after a pause: nothing is lost, the command is still queued and the reconciler pushes it
again.
"""
from __future__ import annotations

import logging
import threading
import time

from backend.control import queue
from backend.field.session import SESSION, FieldSession

log = logging.getLogger(__name__)

BLOCK_SECONDS = 1


class ControlRunner(threading.Thread):
    def __init__(self, app, session: FieldSession = SESSION) -> None:
        super().__init__(name="control-runner", daemon=True)
        self.app, self.session = app, session
        self._halt = threading.Event()
        self.executed: list[tuple[int, str]] = []    # (command id, outcome), recent first

    def stop(self, timeout: float = 5.0) -> None:
        self._halt.set()
        self.join(timeout)

    def run(self) -> None:
        with self.app.app_context():
            from backend.extensions import db, redis

            inbox = queue.INBOX_KEY.format(owner=self.session.owner())
            while not self._halt.is_set():
                try:
                    item = redis.current().blpop([inbox, queue.QUEUE_KEY], BLOCK_SECONDS)
                    if item:
                        self._run_one(item[1])
                except Exception:  # noqa: BLE001 - keep serving; the reconciler re-pushes
                    log.exception("control runner: error, continuing in 1 s")
                    time.sleep(1)
                finally:
                    db.session.remove()

    def _run_one(self, item: str) -> None:
        from backend.control.execute import execute, read_settings

        if item.startswith("read:"):
            read_settings(*queue.parse_read(item), self.session)
            return
        command_id, hops = queue.parse(item)
        started = time.perf_counter()
        outcome = execute(command_id, self.session, hops)
        if outcome not in ("skipped", "handed_over"):
            log.info("command %s: %s in %.0f ms", command_id, outcome,
                     (time.perf_counter() - started) * 1000, extra={"command_id": command_id})
        self.executed.insert(0, (command_id, outcome))
        del self.executed[100:]
