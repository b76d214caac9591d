"""Inspections (巡检与维保, issue 16) end to end: the built PWA served by the real backend,
the example facility plus a dual-power pair (a normal and a standby breaker, added by this
test's own facility import) served by the simulator and polled live, Debian's Chromium
driven by playwright-core (pwa/e2e/inspections.mjs).

Checks: in the console (/admin/inspections) an admin creates a monthly high-voltage room
inspection with its checklist and a measurement, and a switch-over test naming the two
breakers; on the phone a staff member opens the due inspection from the overview's card,
marks one checklist item 不合格, types the room temperature and a finding, takes a photo
(a JPEG file drawn in the page, uploaded through the form's file input) and submits; the
plan moves on a month. Then the simulator's transfer switch opens the normal breaker and
closes the standby 2.5 s later (POST /api/devices/<normal> {"transfer": ...}); once the
polled readings show it, the staff member records the switch-over test and the page shows
the time measured from the readings. The console lists both records and exports them.
Checked against the database: the photo's bytes are the file's, the measured time is the
gap between the breakers' first open and closed readings. Screenshots to
test-artifacts/pwa/.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
from datetime import timedelta

import pytest
import yaml
from sqlalchemy import select
from werkzeug.serving import make_server

from backend.accounts.security import Actor
from backend.extensions import db
from backend.facility.transfer import import_yaml
from backend.inspections.operations import SWITCH_METRIC, local_today
from backend.models import Device, Gateway, Role, Site
from backend.models.inspections import InspectionPhoto, InspectionPlan, InspectionRecord
from backend.models.telemetry import Reading
from simulator.engine import SimConfig, SimulatorThread
from simulator.fleet import from_facility
from tests.factories import PASSWORD, make_user
from tests.test_pwa_e2e import ARTIFACTS, CHROMIUM, FACILITY, PWA, Poller, pytestmark  # noqa: F401
from workers.jobs import poll

NORMAL, STANDBY = "QF-ATS-N", "QF-ATS-S"
GAP_MS = 2500
POLL_S = 0.25


def facility_with_transfer_pair(path):
    """examples/facility.yaml plus two circuits of the main board with their breakers: the
    normal supply (市电) and the standby (发电机) of a dual-power transfer switch."""
    doc = yaml.safe_load(FACILITY.read_text(encoding="utf-8"))
    doc["circuits"] += [
        {"code": "AA1-ATS-N", "name": "双电源常用回路", "board": "AA1", "parent": "AA1-IN",
         "category": "power", "area": "SBQ", "protected": True},
        {"code": "AA1-ATS-S", "name": "双电源备用回路（发电机）", "board": "AA1",
         "parent": "AA1-IN", "category": "power", "area": "SBQ", "protected": True}]
    unit = max(d["unit_id"] for d in doc["devices"] if d.get("gateway") == "GW-LV")
    for i, (code, circuit, name) in enumerate(((NORMAL, "AA1-ATS-N", "常用电源断路器"),
                                               (STANDBY, "AA1-ATS-S", "备用电源断路器"))):
        doc["devices"].append({"code": code, "name": name, "kind": "breaker", "circuit": circuit,
                               "gateway": "GW-LV", "unit_id": unit + 1 + i,
                               "profile": "gw-breaker", "poles": "3P+N", "rated_current": 250,
                               "trip_curve": "C", "rated_power": 120})
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def platform(app, tmp_path):
    path = facility_with_transfer_pair(tmp_path / "facility.yaml")
    fleet = from_facility(path)
    for g in fleet.gateways:
        g.port = 0
    config = SimConfig(tick=0.2, seed=7, start_time=10 * 3600, reclose_delay=5, http_port=0)
    with SimulatorThread(fleet, config) as sim, app.app_context():
        result = import_yaml(Actor.system("test"), path.read_text(encoding="utf-8"))
        for gw in db.session.scalars(select(Gateway)):
            gw.port = sim.sim.gateways[gw.code].port
            gw.timeout_ms = 500
        demo = db.session.get(Site, result["site_id"])
        make_user("chief", Role.admin, sites=[demo])
        make_user("op1", Role.staff, sites=[demo])
        db.session.commit()
        ids = dict(db.session.execute(select(Device.code, Device.id)).all())
        # the transfer switch on its normal supply: the standby breaker open
        sim.sim.devices[STANDBY].hand("open")
        poll.reset_for_tests()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        # fast polls (switch states) every quarter second: the switch-over is measured
        # as finely as this polls
        poller = Poller(app, interval=POLL_S, normal_every=4)
        poller.thread.start()
        try:
            yield {"site_id": demo.id, "ids": ids, "sim": sim, "port": server.server_port,
                   "poller": poller}
        finally:
            poller.stop.set()
            poller.thread.join(10)
            server.shutdown()


def first_transition(device_id, state):
    rows = db.session.execute(select(Reading.ts, Reading.value).where(
        Reading.device_id == device_id, Reading.metric_id == SWITCH_METRIC)
        .order_by(Reading.ts)).all()
    want, prev = (1, 0) if state == "closed" else (0, 1)
    last = None
    for ts, value in rows:
        if last == prev and value == want:
            return ts
        last = value
    return None


def test_inspection_and_switchover_test_recorded_in_chromium(app, platform):
    previous = app.config.get("GW_PWA_DIST")
    app.config["GW_PWA_DIST"] = str(PWA / "dist")
    ids = platform["ids"]
    with app.app_context():
        today = local_today(platform["site_id"])         # the site's date (Asia/Shanghai)
    try:
        env = {**os.environ, "GW_BASE_URL": f"http://127.0.0.1:{platform['port']}",
               "GW_SIM_URL": platform["sim"].sim.http_url, "GW_ARTIFACTS": str(ARTIFACTS),
               "GW_PASSWORD": PASSWORD, "GW_ADMIN": "chief", "GW_STAFF": "op1",
               "GW_SITE": str(platform["site_id"]), "CHROMIUM": CHROMIUM,
               "GW_NORMAL": NORMAL, "GW_STANDBY": STANDBY, "GW_GAP_MS": str(GAP_MS),
               "GW_NORMAL_ID": str(ids[NORMAL]), "GW_STANDBY_ID": str(ids[STANDBY]),
               "GW_TODAY": today.isoformat()}
        out = subprocess.run(["node", "e2e/inspections.mjs"], cwd=PWA, env=env,
                             capture_output=True, text=True, timeout=600)
    finally:
        app.config["GW_PWA_DIST"] = previous
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    report = json.loads(lines[-1]) if lines else {"ok": False, "error": out.stdout[-3000:]}
    assert report["ok"], (f"step {report.get('step')!r} failed: {report.get('error')}\n"
                          f"{out.stderr[-4000:]}")
    assert not platform["poller"].errors, platform["poller"].errors[:3]
    res = report["results"]

    with app.app_context():
        plans = {p.kind: p for p in db.session.scalars(select(InspectionPlan))}
        assert set(plans) == {"inspection", "switchover_test"}
        hv = plans["inspection"]
        assert [c["label"] for c in hv.checklist] == ["柜门关闭", "无异味异响", "绝缘垫完好"]
        assert (plans["switchover_test"].normal_device_id,
                plans["switchover_test"].standby_device_id) == (ids[NORMAL], ids[STANDBY])
        recs = {r.plan_id: r for r in db.session.scalars(select(InspectionRecord))}
        rec = recs[hv.id]
        assert [(r["key"], r["ok"]) for r in rec.results] == [("c1", True), ("c2", False),
                                                             ("c3", True)]
        assert [(v["key"], v["value"]) for v in rec.values] == [("m1", 26.5)]
        assert rec.findings == "2号柜有轻微异响"
        # the plan moved on one month from its first due date (today)
        assert rec.due_on == today and hv.next_due > today + timedelta(days=27)
        photos = list(db.session.scalars(select(InspectionPhoto).where(
            InspectionPhoto.record_id == rec.id)))
        assert len(photos) == 1 and photos[0].content_type == "image/jpeg"
        assert hashlib.sha256(photos[0].data).hexdigest() == res["photo file"]["sha256"]

        sw = recs[plans["switchover_test"].id]
        assert sw.switchover_source == "readings"
        opened = first_transition(ids[NORMAL], "open")
        closed = first_transition(ids[STANDBY], "closed")
        assert (sw.normal_opened_at, sw.standby_closed_at) == (opened, closed)
        assert sw.switchover_seconds == pytest.approx((closed - opened).total_seconds())
        # the simulator's 2.5 s gap, seen through quarter-second polls (a lower bound only)
        assert sw.switchover_seconds >= 1.5

    shown = res["switch-over test measured from the readings"]
    assert shown["source"] == "readings"
    assert float(shown["seconds"]) == pytest.approx(sw.switchover_seconds)
    assert "取自读数" in shown["text"] and "秒" in shown["text"]
    assert res["inspection recorded with checklist and photo"]["photos"] == 1
    console = res["console lists the records and exports them"]
    assert console["rows"] == 2 and console["download"].endswith(".xlsx")
    for name in ("desktop-inspections-plans", "phone-inspections-overview",
                 "phone-inspection-form", "phone-inspection-saved", "phone-switchover-saved",
                 "desktop-inspections-records"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 5000, name
