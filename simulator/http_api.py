"""A small JSON HTTP API for fault injection (stdlib ``http.server``, loopback only).

    GET  /api/status                 clock, step time, gateways (ports, silence, bus)
    GET  /api/devices                every device: code, kind, profile, gateway, unit id
    GET  /api/devices/{code}         values, settings, overrides, silence, latency
    POST /api/devices/{code}         operations, e.g. {"set": {"voltage": 280}}
    GET  /api/gateways/{code}
    POST /api/gateways/{code}        e.g. {"silent": true} or {"bus": {"baud": 19200}}

Errors: ``{"error": message}`` with 400 (bad operation, names the field), 404 (unknown
code) or 409 (refused, e.g. hand operation in maintenance). The server runs in a thread;
every request is executed on the simulator's event loop, so the simulation never sees two
writers.
"""
from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from simulator.faults import FaultError, apply

MAX_BODY = 64 * 1024


class HttpApi:
    def __init__(self, sim, loop: asyncio.AbstractEventLoop, host: str, port: int):
        self.sim, self.loop = sim, loop
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                api.handle(self, "GET")

            def do_POST(self):
                api.handle(self, "POST")

            def log_message(self, *args):      # quiet: the simulator logs what matters
                pass

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="gw-sim-http",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _on_loop(self, fn, *args):
        async def run():
            return fn(self.sim, *args)
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def route(self, method: str, path: str, body):
        parts = [unquote(p) for p in path.split("?")[0].strip("/").split("/")]
        if parts[:1] != ["api"]:
            raise FaultError(404, "not found; see /api/status")
        rest = parts[1:]
        if method == "GET" and rest == ["status"]:
            return self._on_loop(lambda sim: sim.status())
        if method == "GET" and rest == ["devices"]:
            return self._on_loop(lambda sim: [
                {k: v for k, v in d.snapshot().items() if k not in ("values", "settings")}
                for d in sim.devices.values()])
        if len(rest) == 2 and rest[0] in ("devices", "gateways"):
            kind, code = rest[0][:-1], rest[1]
            if method == "POST":
                return self._on_loop(apply, kind, code, body)
            return self._on_loop(apply, kind, code, {})
        raise FaultError(404, "not found; see /api/status")

    def handle(self, req: BaseHTTPRequestHandler, method: str) -> None:
        status, payload = 200, None
        try:
            body = None
            if method == "POST":
                length = int(req.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    raise FaultError(413, "body too large")
                raw = req.rfile.read(length) if length else b"{}"
                try:
                    body = json.loads(raw or b"{}")
                except ValueError as exc:
                    raise FaultError(400, f"body is not JSON: {exc}") from exc
            payload = self.route(method, req.path, body)
        except FaultError as exc:
            status, payload = exc.status, {"error": exc.message}
        except Exception as exc:
            status, payload = 500, {"error": f"{type(exc).__name__}: {exc}"}
        data = json.dumps(payload, ensure_ascii=False, default=str).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json; charset=utf-8")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)
