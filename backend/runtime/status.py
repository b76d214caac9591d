"""The status line ``gridwarden up`` prints every 60 s: devices online and offline,
readings stored per second, open alarms, queue depths, and the parts that stopped
(backend/liveness.py). Read straight from PostgreSQL and
Redis by the supervisor (no app), on the ``gridwarden.events`` logger (the terminal)."""
from __future__ import annotations

import logging
import threading
import time

import redis as redis_lib
from sqlalchemy import create_engine, func, select

from backend import liveness
from backend.jobs import QUEUES
from backend.models import Alarm, Device, DeviceStatus
from backend.models.alarms import OPEN_STATES
from backend.runtime.logs import EVENTS
from backend.telemetry.ingest import STORED_KEY

events = logging.getLogger(EVENTS)
log = logging.getLogger(__name__)
INTERVAL = 60.0


class StatusReporter:
    def __init__(self, settings, interval: float = INTERVAL) -> None:
        self.settings = settings
        self.engine = create_engine(settings.database_url, pool_size=1, max_overflow=0)
        self.redis = redis_lib.Redis.from_url(settings.redis_url, decode_responses=True)
        self.raw = redis_lib.Redis.from_url(settings.redis_url)   # RQ's registries: bytes
        self.interval = interval
        self._last: tuple[float, int] | None = None
        self._stop = threading.Event()

    def line(self) -> str:
        with self.engine.connect() as conn:
            by_state = dict(conn.execute(
                select(DeviceStatus.online, func.count()).join(
                    Device, Device.id == DeviceStatus.device_id)
                .where(Device.enabled).group_by(DeviceStatus.online)).all())
            alarms = dict(conn.execute(select(Alarm.level, func.count()).where(
                Alarm.state.in_(OPEN_STATES), Alarm.parent_id.is_(None))
                .group_by(Alarm.level)).all())
        stored = int(self.redis.get(STORED_KEY) or 0)
        now = time.monotonic()
        rate = ""
        if self._last is not None and now > self._last[0]:
            rate = f"{max(0, stored - self._last[1]) / (now - self._last[0]):.0f}/s"
        self._last = (now, stored)
        depths = {q: self.redis.llen(f"rq:queue:{q}") for q in QUEUES}
        parts = liveness.report(self.redis, self.raw, self.settings)
        stale = [f"poll {name}" for name, p in parts["poll"].items() if not p["ok"]] + [
            name for name in ("scheduler", "workers") if not parts[name]["ok"]]
        return (f"status: devices {by_state.get(True, 0)} online, {by_state.get(False, 0)} "
                f"offline; readings stored {rate or 'n/a'}; open alarms "
                f"{alarms.get('alarm', 0)} alarm, {alarms.get('warning', 0)} warning; queues "
                + " ".join(f"{q}={n}" for q, n in depths.items())
                + (f"; stale: {', '.join(stale)}" if stale else ""))

    def start(self) -> None:
        threading.Thread(target=self._run, name="status", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        try:
            self.line()                          # the baseline of the per-second rate
        except Exception as exc:                 # not up yet: the next one counts from zero
            log.debug("status baseline failed: %s", exc)
        while not self._stop.wait(self.interval):
            try:
                events.info(self.line())
            except Exception as exc:             # the status line must never stop `up`
                log.warning("status line failed: %s", exc)
