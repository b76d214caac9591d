"""End to end: a sag injected in the simulator on a board's feeder, polled by the real
poll job on RQ, shows as an event on every circuit below and as a system-level diagnosis
through the API: upstream of the board, between the incomer and the feeder."""
from __future__ import annotations

import time
from datetime import timedelta

from backend.clock import utcnow
from tests.test_poller import run_poll, sim, sim_api, site  # noqa: F401  (fixtures)

BOARD_CIRCUITS = ("QF-JQ1-WL1", "QF-JQ1-WL2", "QF-JQ1-WL3", "QF-JQ1-WL4")


def z(ts) -> str:
    return ts.isoformat().replace("+00:00", "Z")


def test_sag_on_a_feeder_is_diagnosed_upstream_of_its_board(app, client, root, site, sim):  # noqa: F811
    start = utcnow() - timedelta(minutes=1)
    for _ in range(2):
        run_poll(app, "normal")
    # 75 % of ~229 V = ~171 V: below the 90 % sag threshold (198 V), above the breakers'
    # under-voltage trip (160 V), so nothing trips and the circuits stay fed
    snap = sim_api(sim, "POST", "/api/devices/QF-AA1-WL1", {"disturb": {"voltage": 0.75}})
    assert snap["disturbance"]["voltage"] == [0.75, 0.75, 0.75]
    try:
        time.sleep(0.3)                                   # the next tick spreads it down
        for _ in range(2):
            run_poll(app, "normal")
    finally:
        sim_api(sim, "POST", "/api/devices/QF-AA1-WL1", {"disturb": None})
    time.sleep(0.3)
    for _ in range(2):
        run_poll(app, "normal")
    q = f"start={z(start)}&end={z(utcnow() + timedelta(minutes=1))}"

    ids = site["ids"]
    for code in ("QF-AA1-WL1", *BOARD_CIRCUITS):
        r = client.get(f"/api/v1/devices/{ids[code]}/quality?{q}", headers=root)
        assert r.status_code == 200, r.json
        sags = [e for e in r.json["events"] if e["kind"] == "sag"]
        assert len(sags) == 1, (code, r.json["events"])
        assert 60 < sags[0]["residual_pct"] < 90, sags
        assert not [e for e in r.json["events"] if e["kind"] == "trip"], code
    incomer = client.get(f"/api/v1/devices/{ids['PM-AA1-IN']}/quality?{q}", headers=root)
    assert [e["kind"] for e in incomer.json["events"]] == []

    r = client.get(f"/api/v1/sites/{site['site_id']}/quality/diagnosis?{q}", headers=root)
    assert r.status_code == 200, r.json
    [card] = [c for c in r.json["system"] if c["rule"] == "sag_upstream"]
    ev = card["evidence"]
    assert ev["board"] == "AP-JQ1"
    assert sorted(ev["points"]) == sorted(BOARD_CIRCUITS)
    assert (ev["highest_seen"], ev["not_seen_at"]) == ("AA1-WL1", "AA1-IN")
    assert card["cause"]["zh"] and card["hazard"]["en"] and card["remedy"]["zh"]
    assert any("AA1-IN" in step["en"] for step in card["reasoning"])
    # the site view carries the same card first, then the points' sag cards
    r = client.get(f"/api/v1/sites/{site['site_id']}/quality?{q}", headers=root)
    assert r.json["diagnosis"][0]["rule"] == "sag_upstream"
    assert sum(1 for c in r.json["diagnosis"] if c["rule"] == "sag") >= 5


def test_the_incomer_meter_gives_exact_unbalance_and_thd(app, client, root, site, sim):  # noqa: F811
    """The SDM630 reports line-to-line voltages (exact unbalance) and THD; harmonics
    injected on it show as a THD above GB/T 14549's 5 % and a harmonics card."""
    start = utcnow() - timedelta(minutes=1)
    sim_api(sim, "POST", "/api/devices/PM-AA1-IN", {"disturb": {"harmonics": 8}})
    try:
        time.sleep(0.3)
        for _ in range(3):
            run_poll(app, "normal")
    finally:
        sim_api(sim, "POST", "/api/devices/PM-AA1-IN", {"disturb": None})
    q = f"start={z(start)}&end={z(utcnow() + timedelta(minutes=1))}"
    r = client.get(f"/api/v1/devices/{site['ids']['PM-AA1-IN']}/quality?{q}", headers=root)
    assert r.status_code == 200, r.json
    u = r.json["indices"]["voltage_unbalance"]
    assert u["approximate"] is False and "line-to-line" in u["method"]
    assert u["max"] < 2.0                        # the supply's own bias: well under 2 %
    thd = r.json["indices"]["thd_voltage"]
    assert thd["available"] is True and thd["limits"]["max_pct"] == 5.0
    assert thd["p95"] >= 8.0 and thd["compliant"] is False
    assert "harmonics" in [c["rule"] for c in r.json["diagnosis"]]
    # a breaker reports neither: its unbalance stays approximate, THD unavailable
    r = client.get(f"/api/v1/devices/{site['ids']['QF-AA1-WL1']}/quality?{q}", headers=root)
    assert r.json["indices"]["voltage_unbalance"]["approximate"] is True
    assert r.json["indices"]["thd_voltage"]["available"] is False
