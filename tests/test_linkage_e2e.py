"""Linkage end to end against the simulator: a water leak injected in the simulated
sensor switches the pump, the siren and the lights on (commands of the rule, confirmed by
the simulated controllers), raises the rule's alarm, pushes the camera pop-up on the live
stream and logs the firing with its command ids, within two fast polls (run as the poll
process runs them); the leak's end clears it. Rule state read back after a restart."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.automation import linkage_evaluate
from backend.clock import iso, utcnow
from backend.extensions import db
from backend.models import LinkageFiring, LinkageRuleState
from backend.runtime import poll_cycle
from tests.control_world import runner, settled, world  # noqa: F401  (fixtures)
from tests.test_poller import run_poll, sim, sim_api, site  # noqa: F401

LOADS = ("LC-PDF-PUMP", "LC-PDF-SIREN", "LC-PDF-LIGHT")


def _leak_rule(client, w) -> dict:
    """The shipped default of the distribution rooms' area, enabled."""
    r = client.post(f"/api/v1/sites/{w['site']}/linkage-rules/defaults", headers=w["h"]["ad"])
    assert r.status_code == 201, r.json
    rule = next(x for x in r.json["created"] if x["default_key"].startswith("water_leak:")
                and any(a.get("device_id") == w["ids"]["LC-PDF-PUMP"] for a in x["actions"]))
    r = client.put(f"/api/v1/linkage-rules/{rule['id']}", json={"enabled": True},
                   headers=w["h"]["m1"])
    assert r.status_code == 200 and r.json["enabled"] is True
    return r.json


def _events(client, w, after) -> list[dict]:
    r = client.get("/api/v1/stream", query_string={"site_id": w["site"],
                                                   "last_event_id": after},
                   headers=w["h"]["m1"])
    assert r.status_code == 200, r.json
    return r.json["events"]


def test_a_water_leak_switches_pump_siren_lights_and_pops_up_the_camera(
        app, client, world, sim):  # noqa: F811
    w, h = world, world["h"]["m1"]
    rule = _leak_rule(client, w)
    for code in LOADS:
        assert sim.sim.devices[code].on is False          # standby equipment starts off
    start = client.get("/api/v1/stream", query_string={"site_id": w["site"]},
                       headers=h).json["last_event_id"]
    sim_api(sim, "POST", "/api/devices/ENV-PDF-LV", {"set": {"water_leak": True}})
    try:
        firings, polls = [], 0
        while not firings and polls < 2:
            run_poll(app, "fast")
            polls += 1
            firings = client.get(f"/api/v1/linkage-rules/{rule['id']}/firings",
                                 headers=h).json
        assert len(firings) == 1, f"no firing within {polls} fast polls"
        firing = firings[0]
        assert firing["inputs"]["device_code"] == "ENV-PDF-LV"
        assert firing["metric"] == "water_leak" and firing["value"] is True
        by_device = {r.get("device_id"): r for r in firing["results"] if r["kind"] == "command"}
        for code in LOADS:
            result = by_device[w["ids"][code]]
            assert result["state"] == "queued", result
            done = settled(client, w, result["command_id"])
            assert done["state"] == "confirmed", done
            assert (done["origin_kind"], done["origin_id"]) == ("rule", rule["id"])
            assert sim.sim.devices[code].on is True
        # the protected fire pump's breaker waits for a second person
        assert by_device[w["ids"]["QF-AA1-WL5"]]["state"] == "awaiting_approval"
        listed = client.get("/api/v1/commands", query_string={
            "origin_kind": "rule", "origin_id": rule["id"]}, headers=h).json
        assert {c["id"] for c in listed} == {r["command_id"] for r in by_device.values()}
        # the rule's alarm, on the sensor's area, with its timeline
        alarm = client.get(f"/api/v1/alarms/{firing['alarm_id']}", headers=h).json
        assert alarm["rule"] == "linkage" and alarm["level"] == "alarm"
        assert alarm["area_id"] == rule["condition"]["area_id"]
        assert [e["kind"] for e in alarm["timeline"]][:1] == ["raised"]
        # the pop-up: the alarm, the area, the area's camera with its stream
        popups = [e for e in _events(client, w, start) if e["type"] == "popup"]
        assert len(popups) == 1
        pop = popups[0]["data"]
        assert pop["rule_id"] == rule["id"] and pop["firing_id"] == firing["id"]
        assert pop["alarm"]["id"] == firing["alarm_id"] and pop["area_name"] == "设备区"
        assert [(c["code"], c["stream_kind"]) for c in pop["cameras"]] == [("CAM-PDF-LV", "hls")]
        assert pop["cameras"][0]["stream_url"].endswith(".m3u8")
        # the leak stops: the rule clears once, the siren goes off, the alarm clears
        # (the siren was switched a moment ago: no minimum interval here)
        app.config["GW_CONTROL_MIN_INTERVAL_SECONDS"] = 0
        sim_api(sim, "POST", "/api/devices/ENV-PDF-LV", {"set": {"water_leak": False}})
        run_poll(app, "fast")
        firing = client.get(f"/api/v1/linkage-rules/{rule['id']}/firings", headers=h).json[0]
        assert firing["cleared_at"] is not None and firing["clear_value"] is False
        siren_off = next(r for r in firing["clear_results"] if r["kind"] == "command")
        assert settled(client, w, siren_off["command_id"])["state"] == "confirmed"
        assert sim.sim.devices["LC-PDF-SIREN"].on is False
        assert sim.sim.devices["LC-PDF-PUMP"].on is True       # keeps draining
        assert client.get(f"/api/v1/alarms/{firing['alarm_id']}",
                          headers=h).json["state"] == "cleared"
        run_poll(app, "fast")
        assert len(client.get(f"/api/v1/linkage-rules/{rule['id']}/firings",
                              headers=h).json) == 1
    finally:
        app.config.pop("GW_CONTROL_MIN_INTERVAL_SECONDS", None)
        sim_api(sim, "POST", "/api/devices/ENV-PDF-LV", {"clear": ["water_leak"]})
        for code in LOADS:
            sim.sim.devices[code].command("off", "hand")


def test_rule_state_is_read_back_from_the_database_after_a_restart(
        app, client, world, sim):  # noqa: F811
    w = world
    env = w["ids"]["ENV-PDF-LV"]
    r = client.post("/api/v1/linkage-rules", json={
        "site_id": w["site"], "name": "持续高温", "enabled": True,
        "condition": {"device_id": env, "metric": "temperature", "op": ">", "value": -40,
                      "for_seconds": 600},
        "actions": [{"kind": "command", "device_id": w["ids"]["LC-PDF-LIGHT"],
                     "action": "on"}]}, headers=w["h"]["m1"])
    assert r.status_code == 201, r.json
    rule_id = r.json["id"]
    try:
        run_poll(app, "fast")
        run_poll(app, "normal")                  # temperature is read at the normal rate
        with app.app_context():
            state = db.session.execute(select(LinkageRuleState).where(
                LinkageRuleState.rule_id == rule_id)).scalar_one()
            since = state.since
            assert since is not None and state.firing is False
        # a restart: every per-process cache gone, a new session
        poll_cycle.reset_for_tests()
        with app.app_context():
            db.session.remove()
            later = utcnow() + timedelta(seconds=601)
            done = linkage_evaluate.evaluate({env}, now=later)
            assert [d["event"] for d in done] == ["fire"]      # held since before the restart
            firing = db.session.execute(select(LinkageFiring).where(
                LinkageFiring.rule_id == rule_id)).scalar_one()
            assert firing.inputs["since"] == iso(since)
            poll_cycle.reset_for_tests()
            db.session.remove()
            assert linkage_evaluate.evaluate({env}, now=later + timedelta(seconds=5)) == []
    finally:
        sim.sim.devices["LC-PDF-LIGHT"].command("off", "hand")
