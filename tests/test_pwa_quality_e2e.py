"""Power quality and fault location in the PWA end to end: the example facility polled by
the real poll job on RQ from the simulator, the built PWA served by the real backend,
Debian's Chromium driven by playwright-core (pwa/e2e/quality.mjs).

A sag injected in the simulator on the feeder of board AP-JQ1 (QF-AA1-WL1, 75 %: nothing
trips) shows in 电能质量 as sag events and as the system-level card "upstream of the
board" with its cause, hazard and remedy; one point's view shows its own sag and the
unbalance labelled approximate. Then the same feeder is tripped (short circuit): the 设施
topology marks AA1-WL1 as the located fault and shades the circuits below it, and the
trip alarm's detail shows the located fault with its reasoning. The console shows the
diagnosis rule table. Screenshots at 390x844 and 1280x800 go to test-artifacts/pwa/.
"""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time

from sqlalchemy import select
from werkzeug.serving import make_server

from backend.extensions import db
from backend.models import Alarm, Role, Site
from tests.factories import PASSWORD, make_user
from tests.test_poller import run_poll, sim, sim_api, site  # noqa: F401  (fixtures)
from tests.test_pwa_energy_e2e import ARTIFACTS, CHROMIUM, DIST, PWA, pytestmark  # noqa: F401

FEEDER = "QF-AA1-WL1"


def polls(app, n=2):
    """Both poll rates: the breakers' states (switch, trip cause) are fast metrics."""
    for _ in range(n):
        run_poll(app, "fast")
        run_poll(app, "normal")


def test_quality_view_and_fault_location_in_chromium(app, client, root, site, sim):  # noqa: F811
    ids = site["ids"]
    polls(app)
    sim_api(sim, "POST", f"/api/devices/{FEEDER}", {"disturb": {"voltage": 0.75}})
    try:
        time.sleep(0.3)                                   # the next tick spreads it down
        polls(app)
    finally:
        sim_api(sim, "POST", f"/api/devices/{FEEDER}", {"disturb": None})
    time.sleep(0.3)
    polls(app)
    r = client.get(f"/api/v1/sites/{site['site_id']}/quality/diagnosis", headers=root)
    assert [c["rule"] for c in r.json["system"]].count("sag_upstream") == 1, r.json
    # the sag, now over, is still recent: located where it started, at the feeder
    r = client.get(f"/api/v1/sites/{site['site_id']}/fault-location", headers=root)
    assert [(f["kind"], f["node"]["code"]) for f in r.json["faults"]] == [("sag", "AA1-WL1")], \
        r.json["faults"]

    sim_api(sim, "POST", f"/api/devices/{FEEDER}", {"trip": "short_circuit"})
    time.sleep(0.3)
    polls(app, 3)
    r = client.get(f"/api/v1/sites/{site['site_id']}/fault-location", headers=root)
    assert r.status_code == 200, r.json
    located = r.json["faults"]
    assert [(f["kind"], f["node"]["code"]) for f in located][:1] == [("trip", "AA1-WL1")], located
    affected = located[0]["affected_circuits"]
    assert len(affected) >= 4

    previous = app.config.get("GW_PWA_DIST")
    app.config["GW_PWA_DIST"] = str(DIST)
    with app.app_context():
        demo = db.session.get(Site, site["site_id"])
        make_user("op1", Role.staff, sites=[demo])
        make_user("admin1", Role.admin, sites=[demo])
        db.session.commit()
        trip_alarm = db.session.scalar(select(Alarm.id).where(
            Alarm.device_id == ids[FEEDER], Alarm.trip_cause == "short_circuit"))
        assert trip_alarm is not None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        env = {**os.environ, "GW_BASE_URL": f"http://127.0.0.1:{server.server_port}",
               "GW_ARTIFACTS": str(ARTIFACTS), "GW_PASSWORD": PASSWORD, "GW_STAFF": "op1",
               "GW_ADMIN": "admin1", "GW_SITE": str(site["site_id"]), "CHROMIUM": CHROMIUM,
               "GW_POINT": str(ids["QF-JQ1-WL1"]), "GW_ALARM": str(trip_alarm)}
        out = subprocess.run(["node", "e2e/quality.mjs"], cwd=PWA, env=env, capture_output=True,
                             text=True, timeout=600)
    finally:
        server.shutdown()
        app.config["GW_PWA_DIST"] = previous
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    report = json.loads(lines[-1]) if lines else {"ok": False, "error": out.stdout[-3000:]}
    assert report["ok"], (f"step {report.get('step')!r} failed: {report.get('error')}\n"
                          f"{out.stderr[-4000:]}")
    res = report["results"]

    view = res["sag in the quality view"]
    assert view["sags"] >= 5                              # the feeder and every circuit below
    card = view["card"]
    assert card["scope"] == "system" and card["cause"] and card["hazard"] and card["remedy"]
    assert view["indices"][:3] == ["voltage_deviation", "voltage_unbalance", "current_unbalance"]
    point = res["one point's quality"]
    assert point["sags"] == 1 and point["approximate"] >= 1
    topo = res["tripped feeder located on the topology"]
    assert topo["located"] == ["AA1-WL1"]
    assert topo["affected"] == len(affected)              # every affected circuit shaded
    assert topo["kind"] == "trip" and "短路" in topo["steps"]
    detail = res["the located fault in the alarm detail"]
    assert detail["nodes"][0] == "AA1-WL1" and detail["steps"] >= 3
    rules = res["console rule table"]
    assert rules["rows"] == rules["api"] >= 10
    for name in ("phone-quality-site", "phone-quality-point", "phone-facility-fault",
                 "desktop-alarm-fault", "desktop-quality-rules"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 5000, name
