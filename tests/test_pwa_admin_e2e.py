"""The admin console end to end: the built PWA (pwa/dist, or GW_PWA_DIST) served by the
real backend, Debian's Chromium driven by playwright-core (pwa/e2e/admin.mjs).

Checks: a system administrator opens the console from the Me page, imports the example
facility (dry run and its report, then the import), creates a circuit and a device and
sees them on the facility topology page, gets the API's per-field 422 in a form, is told
why a board with circuits cannot be deleted (409 has_dependents), creates a user, grants
that staff user control of a circuit and a board, creates an alarm-rule override, reads the audit log and the cockpit; a staff user of another site
sees none of it and cannot open /admin. In the topology editor the administrator moves a
circuit under another circuit (seen on /facility) and is told the API refuses a loop.
Device profiles (设备型号): an upload with a wrong register type is refused with the error
naming its field; the correct file is listed as uploaded version 1 and downloads. Screenshots at 1280x800 go to test-artifacts/pwa/.

Skipped unless the PWA is built and its npm dependencies are installed and Chromium is
present (as tests/test_pwa_e2e.py).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from backend.extensions import db
from backend.field import catalog
from backend.models import Board, Circuit, ControlGrant, Device, DeviceProfile, Role, Site, User
from tests.authz_world import ACME_PROFILE
from tests.factories import PASSWORD, make_site, make_user

ROOT = Path(__file__).resolve().parent.parent
PWA = ROOT / "pwa"
DIST = Path(os.environ.get("GW_PWA_DIST") or PWA / "dist")
FACILITY = ROOT / "examples" / "facility.yaml"
ARTIFACTS = ROOT / "test-artifacts" / "pwa"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.skipif(not (DIST / "index.html").is_file(),
                       reason="PWA not built (make pwa, or make test)"),
    pytest.mark.skipif(not (PWA / "node_modules" / "playwright-core").is_dir(),
                       reason="PWA npm dependencies not installed (npm ci in pwa/)"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed"),
    pytest.mark.skipif(shutil.which("node") is None, reason="node not installed"),
]


@pytest.fixture
def console(app):
    previous = app.config.get("GW_PWA_DIST")
    app.config["GW_PWA_DIST"] = str(DIST)
    with app.app_context():
        other = make_site("DC2", "二号看守所")
        make_user("root", Role.admin, sites=[], superadmin=True)
        make_user("other", Role.staff, sites=[other])
        db.session.commit()
        catalog.forget()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        yield {"base": f"http://127.0.0.1:{server.server_port}", "other_site": other.name}
    finally:
        server.shutdown()
        app.config["GW_PWA_DIST"] = previous


def test_admin_console_end_to_end_in_chromium(app, console):
    env = {**os.environ, "GW_BASE_URL": console["base"], "GW_ARTIFACTS": str(ARTIFACTS),
           "GW_PASSWORD": PASSWORD, "GW_ADMIN": "root", "GW_OTHER": "other",
           "GW_FACILITY": str(FACILITY), "GW_OTHER_SITE_NAME": console["other_site"],
           "GW_PROFILE": ACME_PROFILE, "CHROMIUM": CHROMIUM}
    out = subprocess.run(["node", "e2e/admin.mjs"], cwd=PWA, env=env, capture_output=True,
                         text=True, timeout=600)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    report = json.loads(lines[-1]) if lines else {"ok": False, "error": out.stdout[-3000:]}
    assert report["ok"], (f"step {report.get('step')!r} failed: {report.get('error')}\n"
                          f"{out.stderr[-4000:]}")
    assert out.returncode == 0, out.stderr[-3000:]
    results = report["results"]
    assert results["import"]["dry"]["circuits"] > 0
    assert "AA1" in results["delete blocked"]["message"]
    refusal = results["topology editor"]["refusal"]
    assert "cycle" in refusal or "成环" in refusal, refusal     # the field message in Chinese
    profiles = results["device profiles"]
    errors = profiles["errors"]                         # one line each, naming its field
    assert len(errors) == 2, errors
    assert errors[0].startswith("metrics.voltage_a.type:") and "u17" in errors[0], errors
    assert errors[1].startswith("controls.open.colour:"), errors
    assert "acme-mcb" in profiles["row"] and profiles["download"] == "acme-mcb.yaml"
    with app.app_context():
        site = db.session.scalar(select(Site).where(Site.code == "DC-DEMO"))
        assert site is not None
        device = db.session.scalar(select(Device).where(Device.code == "QF-E2E"))
        assert device.site_id == site.id
        assert device.circuit_id == db.session.scalar(
            select(Circuit.id).where(Circuit.code == "E2E-C1"))
        assert db.session.scalar(select(Board.id).where(Board.code == "AA1"))   # not deleted
        assert db.session.scalar(select(func.count()).select_from(User)
                                 .where(User.username == "e2e-staff")) == 1
        staff = db.session.scalar(select(User).where(User.username == "e2e-staff"))
        grants = {(g.scope, g.target_id) for g in db.session.scalars(
            select(ControlGrant).where(ControlGrant.user_id == staff.id))}
        lighting = db.session.scalar(select(Circuit.id).where(Circuit.code == "AP-BG-WL1"))
        kitchen = db.session.scalar(select(Board.id).where(Board.code == "AP-ST"))
        assert grants == {("circuit", lighting), ("board", kitchen)}    # the area was removed
        moved = db.session.scalar(select(Circuit).where(Circuit.code == "E2E-C1"))
        upstream = db.session.scalar(select(Circuit).where(Circuit.code == "AP-BG-WL1"))
        assert moved.parent_id == upstream.id          # moved in the topology editor
        assert upstream.parent_id is None              # the loop was refused
        uploads = db.session.scalars(select(DeviceProfile)).all()   # only the valid one
        assert [(p.name, p.version, p.text) for p in uploads] == [("acme-mcb", 1, ACME_PROFILE)]
    assert len(results["control grants"]["grants"]) == 2
    scheduled = results["scene and its schedule"]        # saved, listed in the site's time
    assert scheduled["refusal"] in ("actions.0.device_id", "actions.0.action"), scheduled
    assert "e2e 夜间熄灯" in scheduled["row"] and "21:30" in scheduled["row"], scheduled
    assert "UTC" not in scheduled["row"] and scheduled["next"][11:16] == "21:30", scheduled
    for name in ("admin-users", "admin-control-grants", "admin-import-dry-run", "admin-facility-devices",
                 "admin-topology-new-device", "admin-delete-blocked", "admin-rules",
                 "admin-audit", "admin-cockpit", "admin-other-site", "admin-topology-moved",
                 "admin-topology-facility", "admin-topology-cycle",
                 "admin-profile-invalid", "admin-profiles"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 5000, name
