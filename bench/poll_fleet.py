"""bench_poll's servers and fleet: the simulator in a child process, the bench site in the
database (also used by bench_alarm_latency)."""
from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Simulator:
    """``python -m simulator`` in a child process; ``ports`` maps gateway code -> port."""

    def __init__(self, args, baud: int, idle_seconds: float = 2.0, processes: int = 1):
        cmd = [sys.executable, "-m", "simulator", "--gateways", str(args.gateways),
               "--breakers-per-gateway", str(args.per_gateway), "--seed", str(args.seed),
               "--base-port", "0", "--http-port", "-1", "--tick", str(args.tick),
               "--bus-baud", str(baud), "--bus-turnaround-ms", str(args.turnaround_ms)]
        if processes > 1:
            cmd += ["--processes", str(processes)]
        self.processes = processes
        self.command = " ".join(["python"] + cmd[1:])
        env = {**os.environ, "PYTHONPATH": str(ROOT), "GW_LOG_LEVEL": "WARNING"}
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True)
        self.ports: dict[str, int] = {}
        started = time.perf_counter()
        for line in self.proc.stdout:
            m = re.match(r"gateway (\S+): [^ ]+:(\d+) ", line)
            if m:
                self.ports[m.group(1)] = int(m.group(2))
            if line.startswith("simulator ready"):
                break
        else:
            raise RuntimeError(f"simulator exited ({self.proc.wait()}): {self.command}")
        self.start_seconds = time.perf_counter() - started
        import psutil

        self._ps = psutil.Process(self.proc.pid)
        self._procs = [self._ps] + self._ps.children(recursive=True)   # --processes workers
        # Its own model stepping costs CPU whether polled or not: measure that idle rate
        # and leave it out of the per-reading figure (it would swamp a slow poller's).
        cpu0, t0 = self._total(), time.perf_counter()
        time.sleep(idle_seconds)
        self.idle_rate = (self._total() - cpu0) / (time.perf_counter() - t0)
        self._t = time.perf_counter()

    def _total(self) -> float:
        """CPU seconds of the simulator and its worker processes."""
        return sum(t.user + t.system for t in (p.cpu_times() for p in self._procs))

    def cpu(self) -> float:
        """CPU seconds used beyond the idle rate, counted from start (differences only)."""
        return self._total() - self.idle_rate * (time.perf_counter() - self._t)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def create_fleet(spec, timeout_ms: int):
    """The simulator's fleet as a site in the database; returns (site_id, {gw code: id},
    [(device_id, gateway code, unit, poles)])."""
    from backend.extensions import db
    from backend.models import Device, Gateway, Site

    site = Site(code=f"BENCH-POLL-{secrets.token_hex(3)}", name="bench poll")
    db.session.add(site)
    db.session.flush()
    gws = {g.code: Gateway(site_id=site.id, code=g.code, name=g.code, host="127.0.0.1",
                           port=1, transport="tcp", timeout_ms=timeout_ms)
           for g in spec.gateways}
    db.session.add_all(gws.values())
    db.session.flush()
    devices = [Device(site_id=site.id, gateway_id=gws[d.gateway].id, code=d.code, name=d.code,
                      kind=d.kind, unit_id=d.unit_id, profile=d.profile, poles=d.poles,
                      rated_current=d.rated_current, trip_curve=d.trip_curve,
                      rated_residual_current=d.rated_residual_current,
                      rated_power=d.rated_power) for d in spec.devices]
    db.session.add_all(devices)
    db.session.commit()
    out = [(dev.id, d.gateway, d.unit_id, d.poles) for dev, d in zip(devices, spec.devices)]
    return site.id, {c: g.id for c, g in gws.items()}, out


def point_gateways(gw_ids: dict[str, int], ports: dict[str, int]) -> None:
    from sqlalchemy import update

    from backend.extensions import db
    from backend.models import Gateway

    for code, gid in gw_ids.items():
        db.session.execute(update(Gateway).where(Gateway.id == gid).values(port=ports[code]))
    db.session.commit()


def cleanup_fleet(site_id: int, device_ids: list[int]) -> None:
    from sqlalchemy import text

    from backend.extensions import db, redis
    from backend.live.keys import site_stream
    from backend.telemetry.latest import latest_key

    db.session.rollback()
    params = {"ids": device_ids, "s": site_id}
    for sql in ("DELETE FROM readings WHERE device_id = ANY(:ids)",
                "DELETE FROM device_status_events WHERE device_id = ANY(:ids)",
                "DELETE FROM device_status WHERE device_id = ANY(:ids)",
                "DELETE FROM devices WHERE site_id = :s",
                "DELETE FROM gateways WHERE site_id = :s",
                "DELETE FROM sites WHERE id = :s"):
        db.session.execute(text(sql), params)
    db.session.commit()
    keys = [latest_key(d) for d in device_ids] + [site_stream(site_id)]
    for i in range(0, len(keys), 1000):
        redis.delete(*keys[i:i + 1000])
