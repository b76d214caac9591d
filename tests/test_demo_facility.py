"""The realistic demo facility (examples/detention-center): the committed file is the
generator's output, and it is what the issue describes (pure, no services: < 1 s)."""
from __future__ import annotations

import importlib.util
import re
from collections import Counter
from pathlib import Path

import yaml

from simulator.fleet import from_facility

HERE = Path(__file__).resolve().parents[1] / "examples" / "detention-center"


def _generator():
    spec = importlib.util.spec_from_file_location("dc_generate", HERE / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_committed_file_is_the_generators_output():
    gen = _generator()
    assert (HERE / "facility.yaml").read_text(encoding="utf-8") == gen.render(gen.build()), \
        "run python examples/detention-center/generate.py and commit facility.yaml"
    assert gen.main(["--check"]) == 0


def test_the_facility_is_a_realistic_detention_centre():
    doc = yaml.safe_load((HERE / "facility.yaml").read_text(encoding="utf-8"))
    rooms = Counter(r["kind"] for r in doc["rooms"])
    assert rooms == {"high_voltage": 1, "low_voltage": 1, "generator": 1, "secondary": 2}
    assert len([a for a in doc["areas"] if re.fullmatch(r"JQ\d", a["code"])]) == 6
    assert {"BGL", "ST", "YWS"} <= {a["code"] for a in doc["areas"]}
    assert {b["level"] for b in doc["boards"]} == {1, 2, 3}
    devices = doc["devices"]
    breakers = [d for d in devices if d["kind"] == "breaker"]
    assert 280 <= len(breakers) <= 320
    assert {d["poles"] for d in breakers} == {"1P", "1P+N", "3P", "3P+N"}
    assert {d.get("trip_curve") for d in breakers} >= {"B", "C", "D"}
    circuits = {c["code"]: c for c in doc["circuits"]}
    # the numbering scheme: a breaker is QF- and its circuit, a circuit its board and
    # a position with its type (WL lighting, WP power, WX sockets) or IN / N / S
    for d in breakers:
        assert d["code"] == f"QF-{d['circuit']}"
        c = circuits[d["circuit"]]
        assert re.fullmatch(rf"{re.escape(c['board'])}-(W[LPX]\d+|IN|N|S)", c["code"]), c
    security = [c for c in circuits.values() if c["category"] == "security_critical"]
    assert security and all(c.get("protected") for c in security)
    # two transformer incomers with high- and low-side meters; the ATS's two breakers
    meters = {d["code"]: d for d in devices if d["kind"] == "meter"}
    assert {"PM-AH1-IN", "PM-AH2-IN", "PM-AA1-IN", "PM-AA2-IN"} <= set(meters)
    assert meters["PM-AH1-IN"]["attributes"]["side"] == "high"
    assert {"QF-AT1-N", "QF-AT1-S"} <= {d["code"] for d in breakers}
    kinds = Counter(d["kind"] for d in devices)
    assert kinds["temp_sensor"] >= 5 and kinds["env_sensor"] >= 6 and kinds["camera"] >= 12
    assert kinds["knx_group"] >= 6
    assert any(d.get("profile") == "gw-level" for d in devices)
    roles = {d["attributes"]["role"] for d in devices if d["kind"] == "load"}
    assert roles == {"pump", "siren", "light", "fan", "ac"}
    # unit ids unique per gateway, one port per gateway
    units = Counter((d["gateway"], d["unit_id"]) for d in devices if d.get("gateway"))
    assert max(units.values()) == 1
    assert len({g["port"] for g in doc["gateways"]}) == len(doc["gateways"])


def test_the_simulator_serves_every_modbus_device_of_it():
    fleet = from_facility(HERE / "facility.yaml")
    assert fleet.skipped == [] and fleet.timezone == "Asia/Shanghai"
    hv = next(d for d in fleet.devices if d.code == "PM-AH1-IN")
    assert hv.transformer_ratio == 25
