"""The site box's shipper: the one loop that sends the outbox up (docs/sitelink.md).

A child of ``gridwarden up --role site`` (``gridwarden uplink``), one per box, guarded by
a PostgreSQL advisory lock held for its life. Each step: number the committed rows, ask
the centre's watermark after any interruption, send the next bounded batch over HTTP(S)
with the site's token, mark what the centre acknowledged; then take the centre's commands
for this box (``command_down``) and its configuration (``config_down``). A refused batch (422
``uplink_rejected``) stops the stream (state ``stopped``) instead of skipping it; any
other failure is retried forever with a capped backoff. Nothing is held in a transaction
across the network.
"""
from __future__ import annotations

import logging
import time

import orjson
import requests
from sqlalchemy import text

from backend.extensions import db
from backend.settings import setting
from backend.sitelink import SCHEMA, batching, command_down, config_down, outbox, watch

log = logging.getLogger(__name__)

LOCK_ID = 0x67775550      # pg advisory lock: one shipper per site box
IDLE_SECONDS = 1.0
STOPPED_SECONDS = 10.0
TIMEOUT = (5, 30)         # connect, read


class Shipper:
    def __init__(self, base_url: str | None = None, token: str | None = None):
        self.base = (base_url or setting("central_url")).rstrip("/")
        self.token = token or setting("site_token")
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {self.token}"
        self.watermark: int | None = None     # None: ask the centre first
        self.failures = 0
        self.config = config_down.ConfigSync(self.http, self.base)   # configuration down
        self.commands = command_down.CommandSync(self.http, self.base)  # commands down

    # --- HTTP ---------------------------------------------------------------------
    def _get_watermark(self) -> int:
        r = self.http.get(f"{self.base}/api/v1/uplink/watermark", timeout=TIMEOUT)
        body = _json(r)
        if r.status_code != 200:
            raise _Refused(r.status_code, body)
        return int(body["watermark"])

    def _post(self, batch: tuple[int, int, str]):
        first, last, items = batch
        head = orjson.dumps({"site_code": outbox.site_code(), "first_seq": first,
                             "last_seq": last, "schema": SCHEMA}).decode()
        db.session.commit()
        body = f'{head[:-1]},"items":{items}}}'.encode()
        r = self.http.post(f"{self.base}/api/v1/uplink/batches", data=body, timeout=TIMEOUT,
                           headers={"Content-Type": "application/json"})
        return r.status_code, _json(r)

    # --- one step -----------------------------------------------------------------
    def step(self) -> float:
        """Do one unit of work; returns how long to wait before the next."""
        if outbox.state().state == "stopped":
            db.session.commit()
            self.config.maybe()          # accounts still flow down while the stream is stopped
            return STOPPED_SECONDS
        outbox.number()
        try:
            if self.watermark is None:
                self.watermark = self._get_watermark()
                self._acknowledged(self.watermark)
            first = outbox.first_unsent_seq()
            db.session.commit()
            if first is not None and first > self.watermark + 1:
                return self._stop(f"the centre's watermark {self.watermark} is behind the "
                                  f"oldest row kept ({first}): restore the centre or clear "
                                  "the site's stream by hand", self.watermark + 1)
            batch = outbox.next_batch_json(self.watermark)
            if batch is None:
                self._idle()
                return IDLE_SECONDS
            status, body = self._post(batch)
        except (requests.RequestException, _Refused) as exc:
            return self._down(exc)
        if status == 200:
            self._acknowledged(int(body["watermark"]))
            self.config.maybe()
            self.commands.sync()         # the centre's commands, after each round trip
            return 0.0
        if status == 409 and body.get("error") == "uplink_gap":
            self.watermark = int(body["watermark"])       # resend from where it is
            return 0.0
        if status == 422 and body.get("error") == "uplink_rejected":
            return self._stop(body.get("message") or "rejected", body.get("seq"))
        return self._down(_Refused(status, body))

    def _acknowledged(self, w: int) -> None:
        self.watermark = w
        self.failures = 0
        outbox.acknowledged(w)

    def _idle(self) -> None:
        outbox.set_state("up")
        outbox.prune()
        watch.check()
        self.config.maybe()
        self.commands.sync()

    def _down(self, exc) -> float:
        self.failures += 1
        self.watermark = None            # after any interruption: ask the centre again
        self.config.force()              # and its configuration, once it answers
        db.session.rollback()
        outbox.set_state("down", str(exc)[:500])
        watch.check()
        wait = batching.backoff(self.failures)
        log.warning("uplink down (attempt %d, next in %.0f s): %s", self.failures, wait, exc)
        return wait

    def _stop(self, message: str, seq) -> float:
        outbox.set_state("stopped", message[:2000], seq)
        log.error("uplink stopped at seq %s: %s", seq, message)
        watch.check()
        return STOPPED_SECONDS

    # --- the loop -------------------------------------------------------------------
    def run(self, stop=lambda: False) -> None:
        with db.engine.connect() as lock_conn:
            while not lock_conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                        {"k": LOCK_ID}).scalar():
                lock_conn.commit()
                log.info("another shipper holds the uplink lock: waiting")
                if stop():
                    return
                time.sleep(5)
            lock_conn.commit()
            log.info("uplink shipper started: %s", self.base)
            while not stop():
                try:
                    wait = self.step()
                except Exception:       # noqa: BLE001 - the loop outlives a database blip
                    log.exception("uplink step failed")
                    db.session.rollback()
                    wait = 5.0
                finally:
                    db.session.remove()
                _sleep(wait, stop)


class _Refused(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(f"HTTP {status} {body.get('error', '')}: {body.get('message', '')}")
        self.status, self.body = status, body


def _json(r) -> dict:
    try:
        body = r.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _sleep(seconds: float, stop) -> None:
    end = time.monotonic() + seconds
    while not stop() and time.monotonic() < end:
        time.sleep(min(0.2, max(0.0, end - time.monotonic())))
