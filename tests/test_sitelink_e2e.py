"""The link-cut test with real processes (docs/sitelink.md): the centre's API under
gunicorn (the command line ``gridwarden up`` gives it) and the site box's shipper as
``gridwarden uplink``; the centre is stopped, the shipper killed and restarted during the
cut, the centre started again; everything of the period arrives exactly once, in order,
and the energy figures agree. Free ports, no fixed ones."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import requests
from sqlalchemy import select, text

from backend.accounts.security import Actor
from backend.alarms import lifecycle
from backend.extensions import db, redis
from backend.models import User
from backend.runtime.up import app_children, child_environ, reset_metrics_dir
from backend.sitelink import outbox
from tests.sitelink_world import feed_energy, link, platforms  # noqa: F401  (fixtures)
from tests.test_sitelink import energy, raise_over_voltage, readings, site_audit


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what, check, timeout: float = 90.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = check()
        if got:
            return got
        time.sleep(0.3)
    raise AssertionError(f"gave up waiting for {what}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _status(w) -> dict:
    with w.site.app_context():
        return outbox.status()


def test_link_cut_with_real_processes(link, settings, tmp_path):  # noqa: F811
    w = link
    w.server.stop()                       # the in-process centre: replaced by gunicorn here
    port = _free_port()
    c_cfg = w.centre.config["GW_SETTINGS"].with_overrides(
        data_dir=tmp_path / "centre", web_workers=1, sse_max_streams=4)
    reset_metrics_dir(tmp_path / "centre")
    c_env = child_environ(c_cfg)
    api = next(c for c in app_children(c_cfg, c_env, f"127.0.0.1:{port}") if c.name == "api")
    s_cfg = w.site.config["GW_SETTINGS"].with_overrides(
        data_dir=tmp_path / "site", central_url=f"http://127.0.0.1:{port}", site_token=w.token)
    reset_metrics_dir(tmp_path / "site")
    s_env = child_environ(s_cfg)
    shipper_argv = [sys.executable, "-m", "backend.cli", "uplink"]
    logs = open(tmp_path / "procs.log", "ab")

    def start_centre():
        proc = subprocess.Popen(api.argv, env=api.env or c_env, stdout=logs, stderr=logs)
        _wait("the centre's API", lambda: _up(port) or _exited(proc))
        assert proc.poll() is None, (tmp_path / "procs.log").read_text()[-3000:]
        return proc

    procs = []
    try:
        centre = start_centre()
        procs.append(centre)
        shipper = subprocess.Popen(shipper_argv, env=s_env, stdout=logs, stderr=logs)
        procs.append(shipper)
        feed_energy(w, 0, 30)
        alarm_id = raise_over_voltage(w)
        site_audit(w, 2)
        _wait("the first data acknowledged", lambda: _status(w)["backlog"] == 0
              and _status(w)["acked_seq"] > 0)

        _stop(centre)                     # the cut
        feed_energy(w, 30, 60)
        with w.site.app_context():
            duty = db.session.scalar(select(User).where(User.username == "duty"))
            lifecycle.acknowledge(Actor.of(duty), [alarm_id], "cut off, still working")
            db.session.commit()
        site_audit(w, 3)
        _wait("the site to see the link down", lambda: _status(w)["state"] == "down")
        _stop(shipper)                    # the site's shipper restarts during the cut
        shipper = subprocess.Popen(shipper_argv, env=s_env, stdout=logs, stderr=logs)
        procs.append(shipper)
        feed_energy(w, 60, 90)
        assert _status(w)["backlog"] > 0

        centre = start_centre()           # restored
        procs.append(centre)
        _wait("the backlog to drain", lambda: (lambda st: st["backlog"] == 0
                                               and st["state"] == "up")(_status(w)))
    finally:
        for proc in procs:
            _stop(proc)
        logs.close()

    assert readings(w.centre) == readings(w.site)
    q_site = ("SELECT a.id, e.id, e.kind FROM alarm_events e JOIN alarms a "
              "ON a.id = e.alarm_id ORDER BY e.id")
    q_centre = ("SELECT a.origin_id, e.origin_id, e.kind FROM alarm_events e JOIN alarms a "
                "ON a.id = e.alarm_id ORDER BY e.id")
    q_audit = ("SELECT {id}, action, entity_type, after FROM audit_log WHERE {id} IS NOT NULL "
               "AND entity_type = 'device' AND action = 'update' ORDER BY id")
    with w.site.app_context():
        events = db.session.execute(text(q_site)).all()
        audits = db.session.execute(text(q_audit.format(id="id"))).all()
        last = outbox.state().last_seq
        db.session.commit()
    with w.centre.app_context():
        c_events = db.session.execute(text(q_centre)).all()
        c_audits = db.session.execute(text(q_audit.format(id="origin_id"))).all()
        seqs = db.session.scalars(text("SELECT seq FROM uplink_received ORDER BY seq")).all()
        db.session.commit()
    assert [tuple(e) for e in c_events] == [tuple(e) for e in events]
    assert "acknowledged" in [e[2] for e in c_events]
    assert [tuple(a) for a in c_audits] == [tuple(a) for a in audits] and len(audits) == 5
    assert seqs == list(range(1, last + 1))
    with w.centre.app_context():
        marks = redis.current().zrange("gw:energy:dirty", 0, -1, withscores=True)
        keys = redis.current().keys("gw:energy*")
    site_energy = energy(w.site)
    assert site_energy and energy(w.centre) == site_energy, ("centre's marks", marks, keys)


def _exited(proc) -> bool:
    return proc.poll() is not None


def _up(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False
