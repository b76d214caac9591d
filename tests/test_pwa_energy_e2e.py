"""The energy tab and the console's meter replacement end to end: the built PWA served by
the real backend, Debian's Chromium driven by playwright-core (pwa/e2e/energy.mjs).

The example facility's meters get 30 hours of five-minute counter readings through
telemetry ingest, rolled by the real ``energy.rollup`` job: the incomer 8 % above its
six outgoing breakers (the board's balance flagged above 5 %), the kitchen breaker silent
for three hours (a gap: its slots spread and marked estimated), the office breaker's
meter swapped five hours ago (a reset until the replacement is recorded). A manager of
two sites opens 能耗 on a phone: today's kWh equals the API's, the total across sites is
shown, the trend switches granularity and marks the gap's estimated slots, the balance
is flagged. An administrator records the swap in the console (a wrong old final reading
first: the 422 under its field, in Chinese), and the office breaker's trend is re-rolled:
no estimated slot left. The departments' share and ranking drill from 办公区 into its
sub-area 指挥中心 (the API's answer for ``parent_area_id``), chart its trend and come back by
the breadcrumb. Offline, the tab shows the last data with the banner. Screenshots at 390x844 and 1280x800 go to test-artifacts/pwa/.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from werkzeug.serving import make_server

from backend.accounts.security import Actor
from backend.extensions import db
from backend.facility.transfer import import_yaml
from backend.models import Circuit, Device, MeterReplacement, Role, Site, User
from backend.telemetry import ingest
from tests.factories import PASSWORD, auth, make_site, make_user
from workers.jobs import energy as energy_job

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

STEP = timedelta(minutes=5)
HOURS = 30
# kWh per five minutes of the six outgoing breakers of AA1; the incomer reads 8 % more.
RATES = {"QF-AA1-WL1": 3.0, "QF-AA1-WL2": 2.5, "QF-AA1-WL3": 1.5, "QF-AA1-WL4": 1.0,
         "QF-AA1-WL5": 0.5, "QF-AA1-WL6": 0.25}
GAP = (10, 7)          # the kitchen breaker (WL3) says nothing from 10 h ago to 7 h ago
SWAP_HOURS = 5         # the office breaker's (WL4) meter swapped 5 h ago (+2 min)
OLD_START, NEW_INITIAL = 5000.0, 0.2


def readings(ids: dict[str, int], now: datetime) -> tuple[list, dict]:
    """Five-minute counter readings of the last ``HOURS`` hours, and the swap's facts."""
    first = now.replace(second=0, microsecond=0) - timedelta(minutes=now.minute % 5,
                                                             hours=HOURS)
    times = [first + k * STEP for k in range(HOURS * 12 + 1) if first + k * STEP <= now]
    gap_from, gap_to = now - timedelta(hours=GAP[0]), now - timedelta(hours=GAP[1])
    swap_index = next(i for i, ts in enumerate(times) if ts >= now - timedelta(hours=SWAP_HOURS))
    swap_at = times[swap_index] + timedelta(minutes=2)     # a whole minute: datetime-local
    batch = []
    for i, ts in enumerate(times):
        for code, rate in RATES.items():
            if code == "QF-AA1-WL3" and gap_from < ts < gap_to:
                continue
            if code == "QF-AA1-WL4" and i > swap_index:      # the new meter
                value = NEW_INITIAL + rate * 0.6 + (i - swap_index - 1) * rate
            else:
                value = OLD_START + i * rate
            batch.append((ids[code], ts, {"energy_import": round(value, 3)}))
        batch.append((ids["PM-AA1-IN"], ts, {"energy_import": round(
            20000 + i * sum(RATES.values()) * 1.08, 3)}))
    last_old = OLD_START + swap_index * RATES["QF-AA1-WL4"]
    swap = {"at": swap_at, "old_final": last_old + RATES["QF-AA1-WL4"] * 0.4, "last_old": last_old}
    return batch, swap


@pytest.fixture
def energy_world(app, client):
    previous = app.config.get("GW_PWA_DIST")
    app.config["GW_PWA_DIST"] = str(DIST)
    with app.app_context():
        result = import_yaml(Actor.system("test"), FACILITY.read_text(encoding="utf-8"))
        demo = db.session.get(Site, result["site_id"])
        other = make_site("DC2", "二号看守所")
        boss = make_user("boss", Role.manager, sites=[demo, other])
        admin = make_user("admin1", Role.admin, sites=[demo])
        db.session.commit()
        # a time-of-use tariff with a half-past boundary and this year's carbon factor,
        # so that the analysis shows real costs and carbon
        ha = auth(db.session.get(User, admin.id))
        assert client.post("/api/v1/energy-tariffs", headers=ha, json={
            "site_id": demo.id, "name": "工商业", "valid_from": "2000-01-01", "periods": [
                {"period": "valley", "start": "23:00", "end": "07:00"},
                {"period": "flat", "start": "07:00", "end": "10:30"},
                {"period": "peak", "start": "10:30", "end": "23:00"}],
            "prices": {"valley": 0.3, "flat": 0.6, "peak": 1.0}}).status_code == 201
        assert client.post("/api/v1/carbon-factors", headers=ha, json={
            "site_id": demo.id, "year": datetime.now(UTC).year - 1,
            "kg_per_kwh": 0.58}).status_code == 201
        # this local month's KPI denominators of the site (the manager enters them): 150
        # persons, 4,000 m², 4,500 detainee-days
        month = datetime.now(ZoneInfo(demo.timezone)).date().replace(day=1).isoformat()
        for kind, value in (("persons", 150), ("floor_m2", 4000), ("detainee_days", 4500)):
            assert client.post("/api/v1/energy-denominators", headers=ha, json={
                "site_id": demo.id, "month": month, "kind": kind,
                "value": value}).status_code == 201
        ids = dict(db.session.execute(select(Device.code, Device.id)).all())
        circuits = dict(db.session.execute(select(Circuit.code, Circuit.id)).all())
        batch, swap = readings(ids, datetime.now(UTC))
        for k in range(0, len(batch), 500):       # poll-sized batches
            ingest.ingest(batch[k:k + 500])
        done = energy_job.rollup()                # the periodic job, as RQ runs it
        assert done.get("failed", 0) == 0, done
        headers = auth(db.session.get(User, boss.id))
        world = {"site": demo.id, "other": other.id, "ids": ids, "circuits": circuits,
                 "swap": swap, "headers": headers}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        yield {**world, "base": f"http://127.0.0.1:{server.server_port}"}
    finally:
        server.shutdown()
        app.config["GW_PWA_DIST"] = previous


def estimated_slots(client, headers, node, node_id) -> int:
    r = client.get(f"/api/v1/energy/trend?node={node}&node_id={node_id}&interval=15min",
                   headers=headers)
    assert r.status_code == 200, r.json
    return sum(p["estimated"] for p in r.json["points"])


def test_energy_tab_and_meter_replacement_in_chromium(app, client, energy_world):
    w = energy_world
    ids, swap = w["ids"], w["swap"]
    with app.app_context():
        gap_estimated = estimated_slots(client, w["headers"], "circuit", w["circuits"]["AA1-WL3"])
        swap_estimated = estimated_slots(client, w["headers"], "device", ids["QF-AA1-WL4"])
    assert gap_estimated >= 8 and swap_estimated >= 1      # the world is what we meant
    env = {**os.environ, "GW_BASE_URL": w["base"], "GW_ARTIFACTS": str(ARTIFACTS),
           "GW_PASSWORD": PASSWORD, "GW_MANAGER": "boss", "GW_ADMIN": "admin1",
           "GW_SITE": str(w["site"]), "CHROMIUM": CHROMIUM,
           "GW_GAP_CIRCUIT": str(w["circuits"]["AA1-WL3"]),
           "GW_SWAP_DEVICE": str(ids["QF-AA1-WL4"]),
           "GW_SWAP_AT_MS": str(int(swap["at"].timestamp() * 1000)),
           "GW_SWAP_OLD_FINAL": str(swap["old_final"]),
           "GW_SWAP_NEW_INITIAL": str(NEW_INITIAL)}
    out = subprocess.run(["node", "e2e/energy.mjs"], cwd=PWA, env=env, capture_output=True,
                         text=True, timeout=600)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    report = json.loads(lines[-1]) if lines else {"ok": False, "error": out.stdout[-3000:]}
    assert report["ok"], (f"step {report.get('step')!r} failed: {report.get('error')}\n"
                          f"{out.stderr[-4000:]}")
    assert out.returncode == 0, out.stderr[-3000:]
    r = report["results"]

    today = r["today equals the API"]
    assert today["shown"] == today["expected"] and float(today["kwh"]) == today["api"]
    assert today["api"] > 0 and today["total"] is not None
    trend = r["trend granularity and estimated slots"]
    assert trend["intervals"] == ["hour", "15min", "day", "month"]
    assert trend["gap_estimated"] == gap_estimated            # every estimated slot marked
    assert trend["legend"] == ["实测", "估算"]
    balance = r["balance flagged"]
    assert balance["flagged"] == "true" and "超过阈值" in balance["tag"]
    refused = r["replacement refused under the field"]
    assert refused["field"].startswith("旧表止码小于换表前最后一次读数")
    assert str(int(swap["last_old"])) in refused["field"]
    assert "readings.energy_import.old_final" in refused["fields"]
    params = r["energy parameters in the console"]
    assert params["from"] == "2000-01-01" and "峰 1 CNY" in params["text"]
    assert params["carbon"] == 1
    rerolled = r["replacement recorded and the trend re-rolled"]
    assert rerolled["before"] == swap_estimated and rerolled["after"] == 0
    assert rerolled["rows"] == 1
    # typed and shown in the site's zone (Asia/Shanghai), not the browser's (UTC)
    assert rerolled["shown_at"] == rerolled["expected_at"]
    analysis = r["analysis equals the API"]
    assert analysis["compare_kwh"] == analysis["api_compare_kwh"] > 0
    assert analysis["share"] == analysis["api_share"] and analysis["share_cost"] > 0
    assert analysis["circuits"] == analysis["api_circuits"] and len(analysis["circuits"]) >= 1
    assert analysis["departments"] == analysis["api_departments"]
    assert analysis["dept_cost"] > 0 and analysis["dept_carbon"] > 0
    assert analysis["legend"] == ["本期", "去年同期"]
    drill = r["departments drill into sub-areas"]
    # inside 办公区: its one sub-area 指挥中心, which holds the security supply (WL6)
    assert drill["crumbs"] == ["全部部门", "办公区"]
    assert drill["share"] == drill["api_share"] and drill["ranking"] == drill["api_ranking"]
    assert drill["sub"] == "BGQ-ZH" and 0 < drill["share"][0][1] < drill["parent_kwh"]
    assert drill["trend_kwh"] == drill["api_trend_kwh"] > 0
    assert drill["back"] == drill["api_back"] and len(drill["back"]) >= 4
    kpis = r["KPIs equal the API"]
    assert kpis["rows"] == kpis["api_rows"] and len(kpis["rows"]) >= 1
    # only this month has denominators: its kWh / 150 persons, / 4,000 m² (the intensity)
    this_month = kpis["api_this_month_kwh"]
    assert this_month > 0
    assert abs(kpis["per_person"] - this_month / 150) < 1e-9
    assert abs(kpis["intensity"] - this_month / 4000) < 1e-9
    assert kpis["per_m2_tile"] == kpis["api_per_m2"] and kpis["kind"] == "floor_m2"
    assert "能耗指标" in kpis["title"]
    offline = r["offline keeps the last energy data"]
    assert offline["offline"] == offline["today"] == str(today["api"])
    with app.app_context():
        row = db.session.scalar(select(MeterReplacement))
        assert (row.device_id, row.at) == (ids["QF-AA1-WL4"], swap["at"])
        assert row.readings == {"energy_import": {"old_final": swap["old_final"],
                                                  "new_initial": NEW_INITIAL}}
        assert estimated_slots(client, w["headers"], "device", ids["QF-AA1-WL4"]) == 0
        assert db.session.execute(text(
            "SELECT count(*) FROM audit_log WHERE entity_type = 'meter_replacement'")).scalar() == 1
    for name in ("phone-energy", "phone-energy-trend", "phone-energy-balance", "desktop-energy",
                 "phone-energy-analysis", "phone-energy-drill", "desktop-energy-analysis", "desktop-energy-parameters",
                 "phone-energy-kpis", "desktop-energy-kpis",
                 "desktop-meter-refused", "desktop-meter-recorded", "phone-energy-rerolled",
                 "phone-energy-offline"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 5000, name
