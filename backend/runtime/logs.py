"""A quiet console for ``gridwarden up``, and every line kept in rotating files.

Each supervised child writes to a pipe that the supervisor pumps, line by line, into
``GW_DATA_DIR/logs/<child>.log`` (rotating: 10 MB, 5 kept). Only these lines also reach
the terminal: warnings and errors (with the traceback that follows), and the INFO lines
of the ``gridwarden.events`` logger: one line per alarm raised or cleared, and the status
line every 60 s. RQ's per-job lines, gunicorn's access log and everything else at INFO go
to the files only. ``GW_LOG_LEVEL=DEBUG`` puts every line on the terminal.

The children log in one format (``FORMAT``: RQ through ``workers/rq_config.py``, the
backend's loggers through the same root handler) so the level can be read off each line.
"""
from __future__ import annotations

import logging
import logging.handlers
import re
import sys
import threading
from pathlib import Path

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


def dict_config(level: str = "INFO") -> dict:
    """``logging.config.dictConfig`` of a child process: one handler on the root logger,
    to stderr (the supervisor's pipe), in ``FORMAT``."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": FORMAT, "datefmt": DATE_FORMAT}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                                "stream": "ext://sys.stderr"}},
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


class LogPump:
    """Pumps one child's pipe into its rotating file and, filtered, to the terminal."""

    _terminal_lock = threading.Lock()

    def __init__(self, name: str, log_dir: Path, *, everything: bool = False,
                 terminal=None) -> None:
        self.name = name
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
        self.file.handle(logging.makeLogRecord({"msg": text, "levelno": logging.INFO}))
        if show(text):
            with self._terminal_lock:
                self.terminal.write(f"[{self.name}] {text}\n")
                self.terminal.flush()

    def close(self) -> None:
        self.file.close()
