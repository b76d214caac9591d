"""No secret in the API's logs: gunicorn's logger with tokens taken out of URLs.

The access log writes each request line, query string included, and gunicorn's error log
writes the URI of a request that failed. A URL may carry a stream ticket (``?ticket=``,
single use and short-lived anyway) or, from an old client, a token: their values become
``[redacted]`` before the line is written. ``gridwarden up`` starts gunicorn with
``--logger-class backend.runtime.access_log.RedactingLogger``.
"""
from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

SECRET_PARAMS = ("ticket", "access_token", "refresh_token", "token", "jwt")
_SECRET_VALUE = re.compile(r"(?i)(?<![\w-])(" + "|".join(SECRET_PARAMS) + r")=[^&;\s\"]*")


def redact(text: str) -> str:
    """``text`` with the value of every secret query parameter replaced."""
    return _SECRET_VALUE.sub(r"\1=[redacted]", text) if "=" in text else text


class RedactSecrets(logging.Filter):
    """A logging filter applying ``redact`` to the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class RedactingLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        if not any(isinstance(f, RedactSecrets) for f in self.error_log.filters):
            self.error_log.addFilter(RedactSecrets())   # "Error handling request <uri>"
        from backend.config import Settings
        from backend.runtime import logs

        if Settings.from_env().log_format == "json":   # GW_LOG_FORMAT=json: JSON lines
            for handler in (*self.error_log.handlers, *self.access_log.handlers):
                handler.setFormatter(logs.json_formatter())

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "q", "f"):          # request line, query string, referer
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
