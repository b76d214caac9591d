"""gunicorn's own error answers (before the app) are JSON in the API's error shape: a real
gunicorn with the worker and limits `gridwarden up` starts it with."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backend.runtime import up
from backend.runtime.http_worker import json_error

ROOT = Path(__file__).resolve().parent.parent


def hello(environ, start_response):
    """The app behind gunicorn: the errors under test never reach it."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ask(port: int, request: bytes) -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split(" ")[1]), headers, body


@pytest.fixture(scope="module")
def gunicorn():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--worker-class", "backend.runtime.http_worker.JsonErrorWorker", "--threads", "2",
         "--limit-request-line", str(up.LIMIT_REQUEST_LINE),
         "--limit-request-field_size", str(up.LIMIT_REQUEST_FIELD_SIZE),
         "tests.test_http_worker:hello"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):          # bounded: until it answers
            assert proc.poll() is None, "gunicorn exited"
            try:
                _ask(port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_app_still_answers(gunicorn):
    status, _, body = _ask(gunicorn, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert (status, body) == (200, b"hello")


@pytest.mark.parametrize(("request_bytes", "status", "error"), [
    (b"GET /" + b"a" * (up.LIMIT_REQUEST_LINE + 10) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
     414, "uri_too_long"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * (up.LIMIT_REQUEST_FIELD_SIZE + 10)
     + b"\r\n\r\n", 431, "headers_too_large"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400, "bad_request"),
], ids=["414", "431", "400"])
def test_gunicorn_errors_are_json(gunicorn, request_bytes, status, error):
    got, headers, body = _ask(gunicorn, request_bytes)
    assert got == status
    assert headers["Content-Type"] == "application/json"
    assert int(headers["Content-Length"]) == len(body)
    payload = json.loads(body)
    assert payload["code"] == status and payload["error"] == error and payload["message"]


def test_json_error_keeps_gunicorns_status():
    page = b"HTTP/1.1 414 URI Too Long\r\nConnection: close\r\n\r\n<html>...</html>"
    head, _, body = json_error(page).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 URI Too Long\r\n")
    assert json.loads(body)["error"] == "uri_too_long"
