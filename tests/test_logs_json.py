"""``GW_LOG_FORMAT=json`` (backend/runtime/logs.py): one JSON object per line, with the RQ
job's id inside a job and the alarm, device and notification ids a line is about; under
``gridwarden up`` every line of every file and of the terminal is JSON.

The ``up`` test binds the demo's fixed ports: run it under the machine-wide lock
(``flock /tmp/gw-fixed-ports.lock``)."""
from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from rq import SimpleWorker

from backend.config import ConfigError, Settings
from backend.extensions import redis
from backend.jobs import get_queue
from backend.runtime import logs
from tests.test_alarm_notify import raise_trip
from tests.test_alarm_notify import w as w  # noqa: F401, PLC0414  (fixture)
from tests.test_runtime import Up, _free_port, data_dir  # noqa: F401  (fixture)
from tests.test_runtime_demo import SMALL_DEMO, _inject

ROOT = Path(__file__).resolve().parents[1]


def test_the_format_is_text_or_json():
    assert Settings.from_env({"GW_SECRET_KEY": "k" * 40}).log_format == "text"
    settings = Settings.from_env({"GW_SECRET_KEY": "k" * 40, "GW_LOG_FORMAT": "JSON"})
    assert settings.log_format == "json"
    assert settings.child_environ()["GW_LOG_FORMAT"] == "json"
    with pytest.raises(ConfigError, match="GW_LOG_FORMAT must be text or json"):
        Settings.from_env({"GW_SECRET_KEY": "k" * 40, "GW_LOG_FORMAT": "xml"})


@pytest.fixture
def json_lines():
    """Every record of every logger, as the json format writes it, into a buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logs.json_formatter())
    handler.addFilter(logs.JobContext())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(level)


def test_lines_carry_the_job_alarm_device_and_notification_ids(w, app, json_lines):  # noqa: F811
    alarm = raise_trip(w)                                # the poll path's event line
    q = get_queue("notify", redis.raw())
    SimpleWorker([q], connection=redis.raw()).work(burst=True)   # the delivery job's lines
    logging.getLogger("tests.logs").exception("boom", exc_info=ValueError("bad"))
    lines = json_lines.getvalue().splitlines()
    records = [json.loads(line) for line in lines]      # every line is one whole object
    assert all(isinstance(r, dict) and {"time", "level", "logger", "message"} <= set(r)
               for r in records)
    datetime.fromisoformat(records[0]["time"])
    [raised] = [r for r in records if r["logger"] == logs.EVENTS
                and r["message"].startswith(f"alarm {alarm.id} raised")]
    assert (raised["level"], raised["alarm_id"], raised["device_id"]) == (
        "INFO", alarm.id, w["d4"])
    assert "job_id" not in raised                       # not inside an RQ job here
    sent = [r for r in records if "notification_id" in r]
    assert sent, records
    done = set(q.finished_job_registry.get_job_ids())
    for record in sent:
        assert record["alarm_id"] == alarm.id
        assert record["job_id"] in done                 # the RQ job that delivered it
    [boom] = [r for r in records if r["message"] == "boom"]
    assert boom["level"] == "ERROR" and "ValueError: bad" in boom["exc_info"]


def test_under_up_every_line_is_json(data_dir):  # noqa: F811
    up = _JsonUp(data_dir, _free_port())
    try:
        up.wait_ready(timeout=90)
        poller_log = data_dir / "logs" / "poller-1.log"
        up.wait_for("poll jobs in logs/poller-1.log", lambda: poller_log.exists() and len(
            [r for r in _records(poller_log) if "Job OK" in r["message"]]) >= 3, 60)
        _inject("QF-AA1-WL1", {"voltage": 280})
        line = up.wait_for("the alarm's JSON line on the terminal", lambda: next(
            (r for r in _terminal(up) if r.get("logger") == logs.EVENTS
             and re.match(r"alarm \d+ raised", r.get("message", ""))), None), 60)
        assert line["source"] == "poller-1"
        assert isinstance(line["alarm_id"], int) and isinstance(line["device_id"], int)
        assert line["job_id"]                               # raised inside a poll job
        assert up.terminate() == 0
        for path in (data_dir / "logs").glob("*.log"):
            for text in path.read_text().splitlines():
                assert text.startswith("{") and isinstance(json.loads(text), dict), (
                    path.name, text)
        api = _records(data_dir / "logs" / "api.log")
        assert any("GET /healthz" in r["message"] for r in api)   # gunicorn's access line
        simulator = _records(data_dir / "logs" / "simulator.log")
        assert any(r.get("source") == "simulator" and "simulator ready" in r["message"]
                   for r in simulator)                      # printed lines, wrapped
    finally:
        up.kill_all()


class _JsonUp(Up):
    """``gridwarden up --demo`` with GW_LOG_FORMAT=json (else as tests/test_runtime.py's)."""

    def __init__(self, data_dir, port: int) -> None:  # noqa: F811
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "REDIS_URL") and not k.startswith(("GW_", "RQ_"))}
        env.update(GW_ENV="development", GW_DATA_DIR=str(data_dir), GW_HTTP_HOST="127.0.0.1",
                   GW_HTTP_PORT=str(port), GW_WEB_WORKERS="1", GW_RQ_WORKERS="1",
                   GW_LOG_FORMAT="json", PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = data_dir.parent / "up-json.log"
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "up", *SMALL_DEMO],
                                         cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)


def _records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def _terminal(up) -> list[dict]:
    """The terminal's JSON lines after the banner."""
    tail = up.output().split("Press Ctrl-C to stop.", 1)[-1]
    return [logs.parse_json(line) for line in tail.splitlines() if logs.parse_json(line)]


def test_children_see_the_poll_shards_up_was_given():
    """The scheduler (a child) enqueues one poll job per shard: it reads GW_POLL_SHARDS,
    which must be the resolved setting, not only what the parent's environment held."""
    from backend.config import Settings

    settings = Settings.from_env().with_overrides(poll_shards=4)
    env = settings.child_environ()
    assert env["GW_POLL_SHARDS"] == "4"
    assert Settings.from_env(env).poll_shards == 4
