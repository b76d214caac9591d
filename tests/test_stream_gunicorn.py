"""Live streams under the real server (gunicorn, started as ``gridwarden up`` starts it):
after its replay a stream hands its socket to the live hub, which writes every event in
HTTP/1.1 chunked framing itself (backend/live/outlet.py). Checked on the wire: the chunks
parse, every stream gets each event once, a resumed stream gets what it missed."""
from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from backend.live import stream
from backend.runtime import up
from tests.test_runtime import _free_port
from tests.test_telemetry import build_world

ROOT = Path(__file__).resolve().parent.parent


class Stream:
    """One SSE connection, read as raw bytes and de-chunked by hand."""

    def __init__(self, port: int, headers: dict) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.sock.sendall(f"GET /api/v1/stream HTTP/1.1\r\nHost: t\r\n"
                          f"Accept: text/event-stream\r\n{lines}\r\n".encode())
        self.raw = b""
        while b"\r\n\r\n" not in self.raw:
            self.raw += self.sock.recv(65536)
        head, _, self.raw = self.raw.partition(b"\r\n\r\n")
        self.head = head.decode("latin1")
        self.text = ""

    def _dechunk(self) -> None:
        while b"\r\n" in self.raw:
            size_line, _, rest = self.raw.partition(b"\r\n")
            size = int(size_line, 16)            # a bad frame fails here
            if len(rest) < size + 2:
                return
            assert rest[size:size + 2] == b"\r\n", rest[:size + 2]
            self.text += rest[:size].decode()
            self.raw = rest[size + 2:]

    def wait_for(self, needle: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        self._dechunk()
        while needle not in self.text:
            assert time.monotonic() < deadline, f"{needle!r} not in {self.text[-500:]!r}"
            self.sock.settimeout(max(deadline - time.monotonic(), 0.05))
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            assert chunk, f"closed before {needle!r}: {self.text[-500:]!r}"
            self.raw += chunk
            self._dechunk()
        return self.text

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def api(settings, urls):
    port = _free_port()
    env = {**os.environ, **settings.child_environ(), "PYTHONPATH": str(ROOT),
           "GW_WEB_WORKERS": "1", "GW_SSE_MAX_STREAMS": "20"}
    argv = up.app_children(settings.with_overrides(web_workers=1, sse_max_streams=20), env,
                           f"127.0.0.1:{port}")[0].argv
    argv = [a if a != "-" else "/dev/null" for a in argv]
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            assert proc.poll() is None, "gunicorn exited"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(15)


def test_the_hub_writes_valid_chunks_to_every_stream_and_resume_works(ctx, api):
    w = build_world()
    streams = [Stream(api, w["h"]) for _ in range(3)]
    try:
        for s in streams:
            assert s.head.startswith("HTTP/1.1 200"), (s.head, s.raw[:300])
            assert "Transfer-Encoding: chunked" in s.head
            s.wait_for(": connected to 1 site(s)")
        time.sleep(0.5)                          # every stream has handed off its socket
        first = stream.publish(w["site"], "test", {"n": 1})
        other = stream.publish(w["site_b"], "test", {"n": 2})     # not their site
        second = stream.publish(w["site"], "test", {"n": 3})
        for s in streams:
            text = s.wait_for(f"id: {second}")
            assert text.count(f"id: {first}") == 1 and f"id: {other}" not in text
            assert text.index(f"id: {first}") < text.index(f"id: {second}")
        streams[0].close()                      # gone: the hub drops it at its next write
        third = stream.publish(w["site"], "test", {"n": 4})
        for s in streams[1:]:
            s.wait_for(f"id: {third}")
        resumed = Stream(api, {**w["h"], "Last-Event-ID": first})
        streams.append(resumed)
        text = resumed.wait_for(f"id: {third}")
        assert f"id: {second}" in text and f"id: {first}" not in text
    finally:
        for s in streams:
            s.close()
