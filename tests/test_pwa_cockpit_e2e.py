"""The cockpit end to end: the built PWA (pwa/dist) served by the real backend, the example
facility served by the simulator and polled live (with the energy rollup job), Debian's
Chromium driven by playwright-core (pwa/e2e/cockpit.mjs).

Checks: the phone's 总览 draws the one-line diagram of the example facility with every
board and circuit of its topology and live power; an injected fault (the simulator's
over-voltage trips QF-AA1-WL1) blinks its circuit red; the manager moves a card up and
hides another, and the choice survives a reload and shows in another browser profile
(server side, /me/preferences); the big screen (/admin/cockpit) shows the ranking and the
diagram. Screenshots at 390x844 and 1920x1080 go to test-artifacts/pwa/ (gitignored).
"""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from backend.accounts.security import Actor
from backend.extensions import db
from backend.facility.transfer import import_yaml
from backend.models import Board, Circuit, EnergySlot, Gateway, Role, Site, User
from backend.models.preferences import UserPreferences
from simulator.engine import SimConfig, SimulatorThread
from simulator.fleet import from_facility
from tests.factories import PASSWORD, make_site, make_user
from tests.test_pwa_e2e import ARTIFACTS, CHROMIUM, FACILITY, PWA, pytestmark  # noqa: F401
from workers.jobs import energy as energy_job
from workers.jobs import poll


class Poller(threading.Thread):
    """The poll worker's fast/normal shards every second, the energy rollup every 5 s."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app, self.stop, self.errors = app, threading.Event(), []

    def run(self):
        n = 0
        while not self.stop.is_set():
            try:
                with self.app.app_context():
                    poll.poll_shard("fast")
                    if n % 2 == 0:
                        poll.poll_shard("normal")
                    if n % 5 == 0:
                        energy_job.rollup()
            except Exception as exc:  # noqa: BLE001 - reported by the test
                self.errors.append(repr(exc))
            n += 1
            self.stop.wait(1.0)


@pytest.fixture
def platform(app):
    fleet = from_facility(FACILITY)
    for g in fleet.gateways:
        g.port = 0
    config = SimConfig(tick=0.2, seed=5, start_time=11 * 3600, reclose_delay=5, http_port=0)
    with SimulatorThread(fleet, config) as sim, app.app_context():
        result = import_yaml(Actor.system("test"), FACILITY.read_text(encoding="utf-8"))
        for gw in db.session.scalars(select(Gateway)):
            gw.port = sim.sim.gateways[gw.code].port
            gw.timeout_ms = 500
        demo = db.session.get(Site, result["site_id"])
        other = make_site("DC2", "二号看守所")
        make_user("boss", Role.manager, sites=[demo, other])
        make_user("chief", Role.admin, sites=[demo, other])
        db.session.commit()
        boards = sorted(db.session.scalars(select(Board.code).where(Board.site_id == demo.id)))
        circuits = sorted(db.session.scalars(select(Circuit.code).where(Circuit.site_id == demo.id)))
        poll.reset_for_tests()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        poller = Poller(app)
        poller.start()
        try:
            yield {"base": f"http://127.0.0.1:{server.server_port}", "sim": sim.sim.http_url,
                   "site": demo.id, "boards": boards, "circuits": circuits, "poller": poller}
        finally:
            poller.stop.set()
            poller.join(10)
            server.shutdown()
            poll.reset_for_tests()


def test_cockpit_in_chromium(app, platform):
    # a first fast and normal poll cycle, and energy rolled up from the counters polled
    with app.app_context():
        for _ in range(60):
            if db.session.scalar(select(func.count()).select_from(EnergySlot)):
                break
            db.session.rollback()
            time.sleep(1)
    env = {**os.environ, "GW_BASE_URL": platform["base"], "GW_SIM_URL": platform["sim"],
           "GW_ARTIFACTS": str(ARTIFACTS), "GW_PASSWORD": PASSWORD, "GW_MANAGER": "boss",
           "GW_ADMIN": "chief", "GW_SITE": str(platform["site"]), "CHROMIUM": CHROMIUM}
    out = subprocess.run(["node", "e2e/cockpit.mjs"], cwd=PWA, env=env, capture_output=True,
                         text=True, timeout=600)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    report = json.loads(lines[-1]) if lines else {"ok": False, "error": out.stdout[-3000:]}
    assert report["ok"], (f"step {report.get('step')!r} failed: {report.get('error')}\n"
                          f"{out.stderr[-4000:]}\npoll errors: {platform['poller'].errors[:3]}")
    r = report["results"]
    drawn = r["the diagram draws the facility live"]
    assert sorted(drawn["boards"]) == platform["boards"]          # every board of the site
    assert sorted(drawn["circuits"]) == platform["circuits"]      # every circuit of the site
    assert drawn["withPower"] >= 3 and float(drawn["total"]) > 0  # live kW on the branches
    fault = r["an injected fault blinks its circuit"]
    assert (fault["state"], fault["alarm"], fault["animation"]) == ("tripped", "alarm", "blink")
    assert fault["breaker"] == "tripped"
    assert fault["siteAlarms"] >= 1                               # the trip's alarm, ranked
    cards = r["a card moved and hidden survives reload and another profile"]
    assert cards["order"][0] == "oneline" and "top_circuits" not in cards["order"]
    assert cards["afterReload"] == cards["order"] == cards["otherProfile"]
    big = r["the big screen shows the ranking and the diagram"]
    assert big["circuits"] == len(platform["circuits"]) and big["rankRows"] == 2
    with app.app_context():
        boss = db.session.scalar(select(User.id).where(User.username == "boss"))
        saved = db.session.get(UserPreferences, boss).data["cockpit_cards"]
        assert [c["key"] for c in saved][0] == "oneline"
        assert {c["key"]: c["hidden"] for c in saved}["top_circuits"] is True
    for name in ("phone-cockpit", "phone-cockpit-fault", "phone-cockpit-edit", "desktop-cockpit-other",
                 "big-cockpit"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 5000, name
    assert not platform["poller"].errors, platform["poller"].errors[:3]
