"""A quiet console for ``gridwarden up``, and every line kept in rotating files.

Each supervised child writes to a pipe that the supervisor pumps, line by line, into
``GW_DATA_DIR/logs/<child>.log`` (rotating: 10 MB, 5 kept). Only these lines also reach
the terminal: warnings and errors (with the traceback that follows), and the INFO lines
of the ``gridwarden.events`` logger: one line per alarm raised or cleared, and the status
line every 60 s. RQ's per-job lines, gunicorn's access log and everything else at INFO go
to the files only. ``GW_LOG_LEVEL=DEBUG`` puts every line on the terminal.

The children log in one format (``FORMAT``: RQ through ``workers/rq_config.py``, the
backend's loggers through the same root handler) so the level can be read off each line.

``GW_LOG_FORMAT=json``: every line of every process, in the files and on the terminal, is
one JSON object (python-json-logger): ``time`` (UTC, ISO 8601), ``level``, ``logger``,
``message``, ``exc_info`` (a traceback, in the same object), ``job_id`` inside an RQ job, and
the ids a line is about where it names them (``alarm_id``, ``device_id``, ``gateway_id``,
``command_id``, ``notification_id``). gunicorn's access and error lines too
(backend/runtime/access_log.py). A line a program printed itself (not through logging) is
wrapped by the pump: ``{"time", "source", "message"}``; on the terminal every object also
carries ``source``, the child's name.
"""
from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from pythonjsonlogger.json import JsonFormatter

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
EVENTS = "gridwarden.events"        # its INFO lines reach the terminal
FILE_BYTES = 10 * 1024 * 1024
FILE_COUNT = 5
LOUD = {"WARNING", "ERROR", "CRITICAL"}
# Our FORMAT ("2026-12-01 20:00:00,123 WARNING backend.x: ...", RQ's date format has no
# milliseconds) and gunicorn's ("[2026-12-01 20:00:00 +0000] [123] [ERROR] ...").
_OURS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:,\d+)? (?P<level>[A-Z]+) (?P<name>\S+): ")
_GUNICORN = re.compile(r"^\[[^\]]+\] \[\d+\] \[(?P<level>[A-Z]+)\] ")
_EXCEPTION_LINE = re.compile(r"^[\w.]+(Error|Exception|Exit|Interrupt)\b")   # ends a traceback


FORMATS = ("text", "json")
JSON_FIELDS = {"levelname": "level", "name": "logger"}


class JobContext(logging.Filter):
    """Puts the running RQ job's id on each record (``job_id``), unless the call gave one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "job_id", None) is None:
            try:
                from rq import get_current_job

                job = get_current_job()
            except Exception:  # noqa: BLE001 - outside a worker, or no rq: no job
                job = None
            if job is not None:
                record.job_id = job.id
        return True


def json_formatter() -> logging.Formatter:
    """One JSON object per record (``GW_LOG_FORMAT=json``)."""
    return JsonFormatter("%(levelname)s %(name)s %(message)s", rename_fields=JSON_FIELDS,
                         timestamp="time", json_ensure_ascii=False)


def formatter(fmt: str = "text") -> logging.Formatter:
    return json_formatter() if fmt == "json" else logging.Formatter(FORMAT, DATE_FORMAT)


def dict_config(level: str = "INFO", fmt: str = "text") -> dict:
    """``logging.config.dictConfig`` of a child process: one handler on the root logger,
    to stderr (the supervisor's pipe), in ``FORMAT`` or (``fmt="json"``) as JSON lines."""
    formatters = {"plain": {"format": FORMAT, "datefmt": DATE_FORMAT},
                  "json": {"()": "backend.runtime.logs.json_formatter"}}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": formatters,
        "filters": {"job": {"()": "backend.runtime.logs.JobContext"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler",
                                "formatter": "json" if fmt == "json" else "plain",
                                "filters": ["job"], "stream": "ext://sys.stderr"}},
        "root": {"level": level, "handlers": ["stderr"]},
        # pgserver logs every pg_ctl call with its whole output at INFO; alembic its plugins
        "loggers": {name: {"level": "DEBUG" if level == "DEBUG" else "WARNING"}
                    for name in ("pgserver", "alembic")},
    }


class ConsoleFilter:
    """Decides, line by line, what of one child's output the terminal shows."""

    def __init__(self, everything: bool = False) -> None:
        self.everything = everything
        self._showing = False          # continuation lines follow their record

    def __call__(self, line: str) -> bool:
        if self.everything:
            return True
        record = parse_json(line)
        if record is not None:          # GW_LOG_FORMAT=json: a whole record, traceback in it
            level = str(record.get("level", ""))
            self._showing = False
            return level in LOUD or (record.get("logger") == EVENTS and level == "INFO")
        match = _OURS.match(line) or _GUNICORN.match(line)
        if match is not None:
            name = match.groupdict().get("name")
            self._showing = match["level"] in LOUD or (name == EVENTS and match["level"] == "INFO")
        elif line.startswith("Traceback (most recent call last)"):
            self._showing = True         # an uncaught exception, from any program
        elif not line[:1].isspace() and not self._showing_continuation(line):
            self._showing = False        # a line of its own that says no level: file only
        return self._showing

    def _showing_continuation(self, line: str) -> bool:
        """The last line of a traceback ("ValueError: ...") belongs to it."""
        return self._showing and bool(_EXCEPTION_LINE.match(line))


def parse_json(line: str) -> dict | None:
    """The record of a JSON log line, None for any other line."""
    if not line.startswith("{"):
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _utc_now() -> str:
    return datetime.fromtimestamp(time.time(), timezone.utc).isoformat()


class LogPump:
    """Pumps one child's pipe into its rotating file and, filtered, to the terminal.
    With ``json_lines`` every line it writes is a JSON object (see the module's text)."""

    _terminal_lock = threading.Lock()

    def __init__(self, name: str, log_dir: Path, *, everything: bool = False,
                 terminal=None, json_lines: bool = False) -> None:
        self.name = name
        self.json_lines = json_lines
        log_dir.mkdir(parents=True, exist_ok=True)
        self.file = logging.handlers.RotatingFileHandler(
            log_dir / f"{name}.log", maxBytes=FILE_BYTES, backupCount=FILE_COUNT,
            encoding="utf-8")
        self.file.setFormatter(logging.Formatter("%(message)s"))
        self.everything = everything
        self.terminal = terminal or sys.stderr

    def follow(self, pipe) -> threading.Thread:
        """Read ``pipe`` (a child's stdout+stderr, bytes) in a daemon thread until EOF."""
        thread = threading.Thread(target=self._run, args=(pipe,), daemon=True,
                                  name=f"log-{self.name}")
        thread.start()
        return thread

    def _run(self, pipe) -> None:
        show = ConsoleFilter(self.everything)
        with pipe:
            for raw in iter(pipe.readline, b""):
                self.line(raw.decode("utf-8", "replace").rstrip("\r\n"), show)

    def line(self, text: str, show: ConsoleFilter) -> None:
        shown = show(text)
        if self.json_lines:
            record = parse_json(text)
            if record is None:               # printed by the program itself: wrapped
                text = json.dumps({"time": _utc_now(), "source": self.name, "message": text},
                                  ensure_ascii=False)
            terminal = json.dumps({**(record or {}), "source": self.name},
                                  ensure_ascii=False) if record is not None else text
        else:
            terminal = f"[{self.name}] {text}"
        self.file.handle(logging.makeLogRecord({"msg": text, "levelno": logging.INFO}))
        if shown:
            with self._terminal_lock:
                self.terminal.write(terminal + "\n")
                self.terminal.flush()

    def close(self) -> None:
        self.file.close()
