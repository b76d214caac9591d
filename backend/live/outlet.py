"""A stream's socket, written by the live hub itself (backend/live/hub.py).

Under gunicorn a stream's response is a thread blocked in its generator; waking 500 such
threads per event to each write a few hundred bytes cost the rest of the API its latency
(issue 18, item 4). Once a stream has sent its headers and its replay the normal way, it
hands the connection's socket (``environ["gunicorn.socket"]``) to the hub, whose one
thread writes every event to every socket without blocking (HTTP/1.1 chunked framing, as
gunicorn would), and the stream's thread only waits for the end. A client that reads too
slowly gets nothing more once ``MAX_PENDING`` bytes wait for it.
"""
from __future__ import annotations

import socket

MAX_PENDING = 1 << 20       # bytes waiting for one client before it counts as too slow


class SocketOutlet:
    def __init__(self, sock: socket.socket, chunked: bool) -> None:
        self.sock = sock
        self.chunked = chunked
        self.pending = bytearray()
        self._timeout = sock.gettimeout()
        sock.setblocking(False)

    def write(self, text: str) -> str | None:
        """Queue ``text`` and send what the socket takes now; a reason to end or None."""
        data = text.encode()
        if self.chunked:
            data = b"%x\r\n%s\r\n" % (len(data), data)
        self.pending += data
        return self.flush()

    def flush(self) -> str | None:
        while self.pending:
            try:
                sent = self.sock.send(self.pending)
            except BlockingIOError:
                break
            except OSError:
                return "gone"
            del self.pending[:sent]
        return "too_slow" if len(self.pending) > MAX_PENDING else None

    def release(self, timeout: float = 5.0) -> bool:
        """Back to the server's thread: blocking again, what is pending sent first (at most
        ``timeout`` seconds). False when the client is gone."""
        try:
            self.sock.settimeout(timeout)
            if self.pending:
                self.sock.sendall(self.pending)
            return True
        except OSError:
            return False
        finally:
            self.pending.clear()
            try:
                self.sock.settimeout(self._timeout)
            except OSError:
                pass
