"""KNX lighting end to end against a real knxd on loopback (a free UDP port): KNX
gateways through the API (scoped, validated), lights switched and dimmed through the
command API and confirmed from their state addresses (the simulator's actuators on the
bus), a telegram sent with knxtool seen in the latest values and on the live stream, and
the communication alarm when knxd stops, cleared when it is back."""
from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import threading
import time
import uuid

import pytest

from backend.extensions import db, redis
from backend.live import stream
from backend.models import Alarm, KnxGateway, Role, Site
from backend.runtime.knx_process import KnxProcess
from simulator.knx import Actuator, KnxActuators
from tests.factories import auth, make_user

pytestmark = pytest.mark.skipif(shutil.which("knxd") is None or shutil.which("knxtool") is None,
                                reason="knxd and knxtool (make system-deps) are needed")

LIGHTS = {"KNX-L1": {"switch": "1/2/3", "switch_state": "1/2/4"},
          "KNX-L2": {"switch": "1/2/10", "switch_state": "1/2/11", "brightness": "1/2/12",
                     "brightness_state": "1/2/13"}}


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Knxd:
    """knxd serving KNXnet/IP tunnelling on ``port`` and its own socket for knxtool."""

    def __init__(self, port: int, sock: str) -> None:
        self.port, self.sock, self.proc = port, sock, None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["knxd", "-e", "0.0.1", "-E", "0.0.2:8", "-T", f"-S224.0.23.12:{self.port}",
             "-u", self.sock, "-b", "dummy:"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while subprocess.run(["ss", "-lun", f"sport = :{self.port}"], capture_output=True,
                             text=True).stdout.count("\n") < 2:
            assert time.monotonic() < deadline, "knxd did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


class LoopThread(threading.Thread):
    """An asyncio loop in a thread, running ``main``."""

    def __init__(self, main) -> None:
        super().__init__(daemon=True)
        self.main, self.loop = main, asyncio.new_event_loop()

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.main())


@pytest.fixture(scope="module")
def knxd(tmp_path_factory):
    daemon = Knxd(_free_udp_port(), str(tmp_path_factory.mktemp("knxd") / "knxd.sock"))
    daemon.start()
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def actuators(knxd):
    acts = [Actuator(code, **addrs) for code, addrs in LIGHTS.items()]
    bus = KnxActuators(acts, "127.0.0.1", knxd.port)
    stop = None

    async def main():
        nonlocal stop
        stop = asyncio.Event()
        await bus.start()
        await stop.wait()
        await bus.stop()
    t = LoopThread(main)
    t.start()
    time.sleep(1)
    yield acts
    t.loop.call_soon_threadsafe(stop.set)
    t.join(10)


@pytest.fixture
def world(app, client, knxd, actuators):
    with app.app_context():
        site = Site(code="K1", name="KNX所")
        other = Site(code="K2", name="别的所")
        db.session.add_all([site, other])
        db.session.flush()
        admin = make_user("ad", Role.admin, [site])
        w = {"site": site.id, "other": other.id, "ad": auth(admin),
             "m1": auth(make_user("m1", Role.manager, [site])),
             "ad2": auth(make_user("ad2", Role.admin, [other]))}
    r = client.post("/api/v1/knx-gateways", headers=w["ad"], json={
        "site_id": w["site"], "code": "KNX-GW1", "name": "KNX网关", "host": "127.0.0.1",
        "port": knxd.port, "local_ip": "127.0.0.1"})
    assert r.status_code == 201, r.json
    w["gw"] = r.json["id"]
    w["ids"] = {}
    for code, addrs in LIGHTS.items():
        r = client.post("/api/v1/devices", headers=w["ad"], json={
            "site_id": w["site"], "code": code, "name": f"灯 {code}", "kind": "knx_group",
            "knx_gateway_id": w["gw"], "attributes": addrs})
        assert r.status_code == 201, r.json
        w["ids"][code] = r.json["id"]
    proc = KnxProcess(app, probe_s=0.5, backoff_max=1, reconnect_wait_s=1)
    t = LoopThread(proc.run)
    t.start()
    w["proc"] = proc
    _wait(lambda: all(_online(client, w, code) for code in LIGHTS), 15, "groups online")
    yield w
    t.loop.call_soon_threadsafe(proc.stop)
    t.join(15)


def _wait(check, timeout, what):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _online(client, w, code) -> bool:
    r = client.get(f"/api/v1/devices/{w['ids'][code]}/status", headers=w["m1"])
    return r.status_code == 200 and r.json.get("online") is True


def _latest(client, w, code) -> dict:
    r = client.get(f"/api/v1/devices/{w['ids'][code]}/latest", headers=w["m1"])
    assert r.status_code == 200, r.json
    return r.json


def _value(client, w, code, metric):
    cell = _latest(client, w, code).get("values", {}).get(metric)
    return cell.get("v") if isinstance(cell, dict) else cell


def _command(client, w, code, action, value=None) -> dict:
    body = {"action": action, "reason": "测试"}
    if value is not None:
        body["value"] = value
    r = client.post(f"/api/v1/devices/{w['ids'][code]}/commands", json=body,
                    headers={**w["m1"], "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code in (201, 202), r.json
    deadline = time.monotonic() + 15
    while True:
        d = client.get(f"/api/v1/commands/{r.json['id']}", headers=w["m1"]).json
        if d["state"] not in ("requested", "queued", "sent") or time.monotonic() > deadline:
            return d
        time.sleep(0.05)


def test_switch_and_dim_confirmed_from_the_state_address(app, client, world, actuators):
    d = _command(client, world, "KNX-L1", "on")
    assert d["state"] == "confirmed", d
    assert d["observed"] == {"light": "on"}
    assert actuators[0].on is True
    assert _value(client, world, "KNX-L1", "light") == "on"
    d = _command(client, world, "KNX-L2", "dim", 40)
    assert d["state"] == "confirmed", d
    assert d["observed"] == {"brightness": 40}
    assert actuators[1].level == 102            # 40 % of 255, on the bus
    _wait(lambda: _value(client, world, "KNX-L2", "brightness") == 40, 5, "brightness 40")
    # the accepted commands of each group: dim only with a brightness address
    assert [client.get(f"/api/v1/devices/{world['ids'][c]}", headers=world["m1"])
            .json["actions"] for c in ("KNX-L1", "KNX-L2")] == [["on", "off"],
                                                                ["on", "off", "dim"]]
    # ... also in the topology and the latest values the PWA reads (its controls)
    assert _latest(client, world, "KNX-L2")["actions"] == ["on", "off", "dim"]
    topo = client.get(f"/api/v1/sites/{world['site']}/topology", headers=world["m1"]).json
    assert {d["code"]: d["actions"] for d in topo["unattached_devices"]} == {
        "KNX-L1": ["on", "off"], "KNX-L2": ["on", "off", "dim"]}
    assert {d["knx_gateway_id"] for d in topo["unattached_devices"]} == {world["gw"]}
    r = client.post(f"/api/v1/devices/{world['ids']['KNX-L1']}/commands",
                    json={"action": "dim", "value": 10, "reason": "测试"},
                    headers={**world["m1"], "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 422 and r.json["error"] == "action_not_supported"


def test_a_telegram_from_knxtool_shows_in_the_latest_values_and_on_the_stream(
        app, client, world, knxd, actuators):
    with app.app_context():
        after = stream.poll(redis.current(), [world["site"]], None)["last_event_id"]
    assert _command(client, world, "KNX-L1", "off")["state"] == "confirmed"
    subprocess.run(["knxtool", "groupswrite", f"local:{knxd.sock}", "1/2/3", "1"],
                   check=True, capture_output=True, timeout=10)
    _wait(lambda: actuators[0].on is True, 5, "the actuator switched by the telegram")
    _wait(lambda: _value(client, world, "KNX-L1", "light") == "on", 5, "light on")
    with app.app_context():
        events = stream.poll(redis.current(), [world["site"]], after, 1000)["events"]
    seen = [e["data"] for e in events if e["type"] == "knx_telegram"]
    assert any(t["device_id"] == world["ids"]["KNX-L1"] and t["address"] == "1/2/3"
               and t["kind"] == "write" and t["values"] == {"light": "on"} for t in seen), seen
    readings = [e["data"] for e in events if e["type"] == "reading"]
    assert any(d["device_id"] == world["ids"]["KNX-L1"] and d["values"].get("light", {})
               .get("v") == "on" for r in readings for d in r["devices"]), readings


def test_bad_addresses_and_another_sites_gateway(client, world):
    base = {"site_id": world["site"], "name": "灯", "kind": "knx_group",
            "knx_gateway_id": world["gw"]}
    r = client.post("/api/v1/devices", headers=world["ad"],
                    json={**base, "code": "BAD1", "attributes": {"switch": "1/2/999"}})
    assert r.status_code == 422 and r.json["error"] == "invalid_group_address"
    assert "attributes.switch" in r.json["errors"]
    r = client.post("/api/v1/devices", headers=world["ad"],
                    json={**base, "code": "BAD2", "attributes": {"switch_state": "1/2/4"}})
    assert r.status_code == 422 and "attributes.switch" in r.json["errors"]
    r = client.post("/api/v1/knx-gateways", headers=world["ad"], json={
        "site_id": world["site"], "code": "G2", "name": "x", "host": "127.0.0.1",
        "mode": "multicast"})
    assert r.status_code == 422
    assert client.get(f"/api/v1/knx-gateways/{world['gw']}", headers=world["ad2"]) \
        .status_code == 404
    assert client.get("/api/v1/knx-gateways", headers=world["ad2"]).json == []
    assert [g["code"] for g in client.get("/api/v1/knx-gateways", headers=world["m1"]).json] \
        == ["KNX-GW1"]
    r = client.put(f"/api/v1/knx-gateways/{world['gw']}", headers=world["m1"],
                   json={"port": 1})
    assert r.status_code == 403


def test_a_scene_switches_knx_lights_through_the_same_commands(client, world, actuators):
    actions = [{"kind": "command", "device_id": world["ids"]["KNX-L1"], "action": "off"},
               {"kind": "command", "device_id": world["ids"]["KNX-L2"], "action": "dim",
                "value": 60}]
    r = client.post("/api/v1/scenes", headers=world["m1"],
                    json={"site_id": world["site"], "name": "熄灯", "actions": actions})
    assert r.status_code == 201, r.json
    bad = [{"kind": "command", "device_id": world["ids"]["KNX-L1"], "action": "dim",
            "value": 5}]
    r2 = client.post("/api/v1/scenes", headers=world["m1"],
                     json={"site_id": world["site"], "name": "坏", "actions": bad})
    assert r2.status_code == 422 and r2.json["error"] == "action_not_supported", r2.json
    run = client.post(f"/api/v1/scenes/{r.json['id']}/run", json={"reason": "测试"},
                      headers={**world["m1"], "Idempotency-Key": uuid.uuid4().hex})
    assert run.status_code in (200, 201, 202), run.json
    ids = [res["command_id"] for res in run.json["results"]]
    deadline = time.monotonic() + 15
    while True:
        states = [client.get(f"/api/v1/commands/{i}", headers=world["m1"]).json["state"]
                  for i in ids]
        if all(s not in ("requested", "queued", "sent") for s in states) \
                or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert states == ["confirmed", "confirmed"]
    assert actuators[0].on is False and actuators[1].level == 153      # 60 % of 255


def test_no_answer_from_the_state_address_times_out_and_another_value_fails(
        client, world, actuators):
    actuators[0].on = False                          # the light is off (as if by hand)
    actuators[0].silent = True                       # a dead actuator: nothing answers
    try:
        d = _command(client, world, "KNX-L1", "on")
    finally:
        actuators[0].silent = False
    assert (d["state"], d["error"]) == ("timed_out", "knx_no_answer"), d
    assert "1/2/4" in d["message"] and d["message_zh"]
    assert actuators[0].on is False                  # the write reached nobody
    # a group whose state address shows another light's state: written, not confirmed
    r = client.post("/api/v1/devices", headers=world["ad"], json={
        "site_id": world["site"], "code": "KNX-X", "name": "错接的灯", "kind": "knx_group",
        "knx_gateway_id": world["gw"], "attributes": {"switch": "1/3/1",
                                                      "switch_state": "1/2/4"}})
    assert r.status_code == 201, r.json
    world["ids"]["KNX-X"] = r.json["id"]
    _wait(lambda: _online(client, world, "KNX-X"), 20, "the new group probed")
    d = _command(client, world, "KNX-X", "on")
    assert (d["state"], d["error"]) == ("failed", "not_confirmed"), d
    assert d["observed"] == {"light": "off"}


def test_knxd_stopped_raises_the_communication_alarm_and_reconnects(app, client, world,
                                                                    knxd):
    def open_alarm():
        with app.app_context():
            gw = db.session.get(KnxGateway, world["gw"])
            alarm = db.session.get(Alarm, gw.alarm_id) if gw.alarm_id else None
            return alarm if alarm and alarm.state == "active" else None
    assert open_alarm() is None
    knxd.stop()
    _wait(lambda: open_alarm() is not None, 30, "the knx_offline alarm")
    _wait(lambda: not _online(client, world, "KNX-L1"), 30, "the groups offline")
    alarm_id = open_alarm().id
    with app.app_context():
        assert db.session.get(Alarm, alarm_id).rule == "knx_offline"
    knxd.start()
    _wait(lambda: open_alarm() is None, 40, "the alarm cleared on reconnect")
    with app.app_context():
        assert db.session.get(Alarm, alarm_id).state == "cleared"
        assert db.session.get(KnxGateway, world["gw"]).connected is True
    # offline while it reconnected; online again once the actuators (their keep-alive
    # reconnected them too) answer the probe; then a light switches again
    _wait(lambda: _online(client, world, "KNX-L1"), 40, "the group answering again")
    d = _command(client, world, "KNX-L1", "on")
    assert d["state"] == "confirmed", d
