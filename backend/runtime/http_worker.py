"""gunicorn's own error answers in the API's error shape.

gunicorn answers some requests itself, before the app sees them: a request line longer
than ``limit_request_line`` (414), headers beyond ``limit_request_field_size`` or
``limit_request_fields`` (431), a malformed request (400). It writes those as an HTML page.
``JsonErrorWorker`` keeps gunicorn's choice of status (``handle_error``, which also logs
and writes the access line) and replaces the page with ``{code, status, error, message}``
(backend/errors.py), so clients and monitoring read every error the same way.
"""
from __future__ import annotations

import json

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from backend.errors import error_payload

MESSAGES = {
    400: "Malformed HTTP request",
    414: "The request line (method and URL) is too long",
    431: "The request headers are too large",
}


class _Page:
    """Stands in for the client socket while gunicorn writes its HTML page."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def sendall(self, data: bytes) -> None:
        self.data += data


def json_error(page: bytes) -> bytes:
    """gunicorn's error response (status line, headers, HTML) as our JSON response."""
    _, code, reason = page.split(b"\r\n", 1)[0].decode("latin1").split(" ", 2)
    status = int(code)
    body = json.dumps(error_payload(status, MESSAGES.get(status, reason))).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin1") + body


class JsonErrorWorker(ThreadWorker):
    """gunicorn's gthread worker whose own error pages are JSON."""

    def handle_error(self, req, client, addr, exc):
        page = _Page()
        super().handle_error(req, page, addr, exc)
        try:
            util.write_nonblock(client, json_error(page.data))
        except Exception:  # noqa: BLE001 - the client may be gone, as gunicorn assumes too
            self.log.debug("Failed to send error message.")
