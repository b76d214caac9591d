"""The quiet console of ``gridwarden up``: what reaches the terminal, what only the files."""
from __future__ import annotations

import io
import logging
import subprocess
import sys

from backend.runtime.logs import FORMAT, ConsoleFilter, LogPump, dict_config

RQ_JOB = "2026-12-01 20:00:01 INFO rq.worker: poll: Job OK (3f2a)"
ACCESS = '127.0.0.1 - - [01/Dec/2026:20:00:01 +0000] "GET /api/v1/alarms HTTP/1.1" 200 12'
WARN = "2026-12-01 20:00:02,114 WARNING backend.field.modbus: GW-JQ1 stopped answering"
ALARM = ("2026-12-01 20:00:03,001 INFO gridwarden.events: alarm 7 raised: Over-voltage "
         "(alarm) at QF-AL1-WL1")
OTHER_INFO = "2026-12-01 20:00:03,002 INFO backend.alarms.poll_cycle: job x: poll fast"
GUNICORN_INFO = "[2026-12-01 20:00:00 +0000] [12] [INFO] Booting worker with pid: 12"
GUNICORN_ERR = "[2026-12-01 20:00:00 +0000] [12] [ERROR] Exception in worker process"


def shown(lines, everything=False):
    f = ConsoleFilter(everything)
    return [line for line in lines if f(line)]


def test_only_warnings_errors_and_events_reach_the_terminal():
    lines = [RQ_JOB, ACCESS, WARN, OTHER_INFO, ALARM, GUNICORN_INFO, GUNICORN_ERR]
    assert shown(lines) == [WARN, ALARM, GUNICORN_ERR]
    assert shown(lines, everything=True) == lines          # GW_LOG_LEVEL=DEBUG


def test_a_traceback_follows_its_record_and_stops_after():
    err = "2026-12-01 20:00:04,000 ERROR backend.alarms.poll_cycle: alarm evaluation failed"
    lines = [err, "Traceback (most recent call last):", '  File "x.py", line 1, in <module>',
             "ValueError: boom", RQ_JOB]
    assert shown(lines) == lines[:4]
    # an uncaught exception of a program that logs no level at all is shown too
    bare = ["Traceback (most recent call last):", '  File "y.py", line 2', "KeyError: 'x'",
            "serving on 127.0.0.1:8790"]
    assert shown(bare) == bare[:3]


def test_the_pump_keeps_every_line_in_a_file_and_filters_the_terminal(tmp_path):
    terminal = io.StringIO()
    pump = LogPump("poller-1", tmp_path, terminal=terminal)
    child = subprocess.Popen([sys.executable, "-c", "\n".join([
        "import logging, logging.config, sys",
        "from backend.runtime.logs import dict_config",
        "logging.config.dictConfig(dict_config('INFO'))",
        "logging.getLogger('rq.worker').info('poll: Job OK (1)')",
        "logging.getLogger('gridwarden.events').info('alarm 1 raised: over_voltage')",
        "logging.getLogger('backend.field.modbus').warning('GW-1 stopped answering')",
        "print('plain output', flush=True)"])], stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    pump.follow(child.stdout).join(timeout=30)
    child.wait(timeout=30)
    pump.close()
    kept = (tmp_path / "poller-1.log").read_text()
    for text in ("Job OK (1)", "alarm 1 raised", "GW-1 stopped answering", "plain output"):
        assert text in kept
    on_screen = terminal.getvalue().splitlines()
    assert len(on_screen) == 2
    assert "[poller-1]" in on_screen[0] and "alarm 1 raised" in on_screen[0]
    assert "WARNING backend.field.modbus: GW-1 stopped answering" in on_screen[1]


def test_the_children_format_is_the_one_the_filter_reads():
    config = dict_config("INFO")
    assert config["formatters"]["plain"]["format"] == FORMAT
    record = logging.makeLogRecord({"name": "backend.x", "levelname": "WARNING",
                                    "levelno": logging.WARNING, "msg": "m"})
    line = logging.Formatter(FORMAT, config["formatters"]["plain"]["datefmt"]).format(record)
    assert ConsoleFilter()(line)
