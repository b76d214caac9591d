"""Fault location's pure core on small hand-made supply trees (docs/quality.md).

The tree of most tests: board MAIN's incomer circuit INC (breaker 1) feeds F1 (breaker 2)
and F2 (breaker 3); F1 feeds board DB1 whose circuits L1, L2, L3 (breakers 4, 5, 6) are
its final circuits; F2 has the child circuit P (breaker 7). Gateway 10 polls the main
board's breakers (1, 2, 3, 7), gateway 20 the breakers of DB1 (4, 5, 6).
"""
from backend.quality.fault_location import (
    DEAD_V,
    DeviceState,
    dead_v,
    device_observation,
    for_device,
    locate,
)
from backend.vocabulary import nominal_phase_voltage

V = (230.0, 231.0, 229.0)
DEAD = (0.0, 0.0, 0.0)

# circuit id -> (code, board, upstream circuit)
CIRCUITS = {1: ("INC", 100, None), 2: ("F1", 100, 1), 3: ("F2", 100, 1), 7: ("P", 100, 3),
            4: ("L1", 200, 2), 5: ("L2", 200, 2), 6: ("L3", 200, 2)}
BOARDS = {100: ("MAIN", None), 200: ("DB1", 2)}
GATEWAY = {1: 10, 2: 10, 3: 10, 7: 10, 4: 20, 5: 20, 6: 20}


def tree():
    boards = {b: {"code": code, "name": code, "level": 1, "feeder": feeder, "circuits": []}
              for b, (code, feeder) in BOARDS.items()}
    circuits = {}
    for cid, (code, board, up) in CIRCUITS.items():
        circuits[cid] = {"code": code, "name": code, "board": board, "upstream": up}
        boards[board]["circuits"].append(cid)
    return {"boards": boards, "circuits": circuits, "points": {c: c for c in CIRCUITS}}


def states(**changes):
    """One breaker per circuit (device id = circuit id), all closed with voltage, then the
    changes: ``b2={"switch_state": "open", ...}``."""
    out = {}
    for cid in CIRCUITS:
        kw = dict(id=cid, code=f"B{cid}", circuit_id=cid, gateway_id=GATEWAY[cid],
                  online=True, switch_state="closed", trip_cause="none", voltages=V)
        kw.update(changes.get(f"b{cid}", {}))
        out[cid] = DeviceState(**kw)
    return out


def kinds(result):
    return [(f["kind"], f["node"]["type"], f["node"]["code"]) for f in result["faults"]]


def text(fault, lang="en"):
    return " | ".join(step[lang] for step in fault["reasoning"])


def test_healthy_site_has_no_fault():
    r = locate(tree(), states())
    assert r["faults"] == []
    assert set(r["circuits"].values()) == {"ok"}


def test_tripped_feeder_with_dead_children_is_one_fault_at_the_feeder():
    r = locate(tree(), states(b2={"switch_state": "open", "trip_cause": "short_circuit",
                                  "voltages": DEAD},
                              b4={"voltages": DEAD}, b5={"voltages": DEAD},
                              b6={"voltages": DEAD}))
    assert kinds(r) == [("trip", "circuit", "F1")]
    f = r["faults"][0]
    assert f["power"] and f["cause"] == "short_circuit" and f["devices"] == [2]
    assert f["affected_circuits"] == [4, 5, 6]
    assert f["affected_devices"] == [2, 4, 5, 6]
    en, zh = text(f), text(f, "zh")
    assert "trip cause: short circuit" in en and "短路" in zh
    assert "upstream circuit INC has voltage" in en      # why not further up
    assert "L1, L2, L3" in en and "explained by it" in en
    assert r["circuits"][4] == "dead" and r["circuits"][1] == "ok"


def test_upstream_trip_explains_the_trip_below_it():
    # the incomer trips (over-voltage); F1's breaker also opened on under-voltage
    r = locate(tree(), states(
        b1={"switch_state": "open", "trip_cause": "over_voltage", "voltages": DEAD},
        b2={"switch_state": "open", "trip_cause": "under_voltage", "voltages": DEAD},
        **{f"b{c}": {"voltages": DEAD} for c in (3, 4, 5, 6, 7)}))
    assert kinds(r) == [("trip", "circuit", "INC")]
    assert r["faults"][0]["affected_circuits"] == [2, 3, 4, 5, 6, 7]
    assert "this is an incoming circuit" in text(r["faults"][0])


def test_gateway_offline_is_communication_not_power():
    r = locate(tree(), states(**{f"b{c}": {"online": False, "voltages": ()} for c in (4, 5, 6)}),
               {10: "GW-MAIN", 20: "GW-DB1"})
    assert kinds(r) == [("gateway_offline", "gateway", "GW-DB1")]
    f = r["faults"][0]
    assert f["power"] is False and f["affected_devices"] == [4, 5, 6]
    assert f["affected_circuits"] == [4, 5, 6]
    assert "F1" in text(f) and "not a power fault" in text(f)   # F1 still reports voltage
    assert "不是供电故障" in text(f, "zh")
    assert r["unknown_circuits"] == [4, 5, 6]


def test_one_silent_device_on_a_live_gateway_is_its_own_communication_fault():
    r = locate(tree(), states(b5={"online": False, "voltages": ()}))
    assert kinds(r) == [("communication", "device", "B5")]


def test_two_independent_faults_at_once():
    r = locate(tree(), states(
        b7={"switch_state": "open", "trip_cause": "overload", "voltages": DEAD},
        b5={"switch_state": "open", "trip_cause": "residual_current", "voltages": DEAD}))
    assert kinds(r) == [("trip", "circuit", "L2"), ("trip", "circuit", "P")]   # same depth
    assert [f["cause"] for f in r["faults"]] == ["residual_current", "overload"]
    assert all(f["affected_circuits"] == [] for f in r["faults"])


def test_flapping_device_is_intermittent_and_explains_nothing():
    r = locate(tree(), states(b3={"flapping": True}))
    assert kinds(r) == [("flapping", "device", "B3")]
    assert r["faults"][0]["affected_circuits"] == []
    assert "intermittent" in text(r["faults"][0])


def test_phase_loss_on_a_three_phase_feeder():
    # F1 loses phase C; DB1's L3 is single-phase on C (dead), L1 and L2 on A and B
    r = locate(tree(), states(b2={"voltages": (230.0, 229.0, 3.0)},
                              b4={"voltages": (230.0,)}, b5={"voltages": (229.0,)},
                              b6={"voltages": (2.0,)}))
    assert kinds(r) == [("phase_loss", "circuit", "F1")]
    f = r["faults"][0]
    assert f["affected_circuits"] == [6]
    assert "lost phase C" in text(f) and "remaining phases" in text(f)
    assert "C 相无电压" in text(f, "zh")


def test_loss_of_voltage_on_every_circuit_of_a_board_points_upstream_of_it():
    # DB1 dead everywhere, its feeder F1 not monitored (no device): the board's supply
    s = states(**{f"b{c}": {"voltages": DEAD} for c in (4, 5, 6)})
    del s[2]
    r = locate(tree(), s)
    assert kinds(r) == [("loss_of_voltage", "board", "DB1")]
    f = r["faults"][0]
    assert f["affected_circuits"] == [4, 5, 6]
    assert "all 3 observed circuits of board DB1 lost voltage" in text(f)
    assert "incomer of board DB1" in text(f)


def test_a_sag_on_every_circuit_of_a_board_is_located_upstream_of_the_board():
    r = locate(tree(), states(**{f"b{c}": {"sag": True} for c in (4, 5, 6)}))
    assert kinds(r) == [("sag", "board", "DB1")]
    f = r["faults"][0]
    assert f["affected_circuits"] == [4, 5, 6]
    assert "the same sag is seen on all 3 observed circuits" in text(f)
    assert "F1 has voltage" in text(f)


def test_a_sag_on_one_circuit_only_stays_on_that_circuit():
    r = locate(tree(), states(b5={"sag": True}))
    assert kinds(r) == [("sag", "circuit", "L2")]
    assert "only this circuit saw the sag" in text(r["faults"][0])


def test_a_sag_on_a_feeder_and_everything_below_it_is_located_at_the_feeder():
    r = locate(tree(), states(**{f"b{c}": {"sag": True} for c in (2, 4, 5, 6)}))
    assert kinds(r) == [("sag", "circuit", "F1")]
    f = r["faults"][0]
    assert f["affected_circuits"] == [4, 5, 6]
    assert "seen on 3 circuit(s) below it and not upstream" in text(f)


def test_a_dead_board_under_a_live_feeder_is_located_between_them():
    r = locate(tree(), states(**{f"b{c}": {"voltages": DEAD} for c in (4, 5, 6)}))
    assert kinds(r) == [("loss_of_voltage", "board", "DB1")]
    assert "upstream circuit F1 has voltage" in text(r["faults"][0])


def test_a_switched_off_feeder_explains_its_dead_children_and_says_it_is_no_fault():
    r = locate(tree(), states(b3={"switch_state": "open", "voltages": DEAD},
                              b7={"voltages": DEAD}))
    assert kinds(r) == [("switched_off", "circuit", "F2")]
    assert "not a fault" in text(r["faults"][0])


def test_fault_indicators_are_reported_where_they_are_lit():
    r = locate(tree(), states(b6={"fault_indicators": ("temperature",)}))
    assert kinds(r) == [("fault_indicator", "circuit", "L3")]
    assert "温度" in text(r["faults"][0], "zh")


def test_for_device_picks_the_faults_that_concern_it():
    r = locate(tree(), states(b2={"switch_state": "open", "trip_cause": "overload",
                                  "voltages": DEAD},
                              **{f"b{c}": {"voltages": DEAD} for c in (4, 5, 6)}))
    assert [f["node"]["code"] for f in for_device(r, 5, 5)] == ["F1"]
    assert for_device(r, 7, 7) == []


# a 10 kV meter behind PTs reports its phases in volts: ~5,774 V nominal
KV10 = nominal_phase_voltage({"nominal_kv": 10})


def test_the_dead_level_follows_the_declared_nominal():
    assert round(KV10) == 5774
    meter = DeviceState(id=1, code="M1", circuit_id=1, nominal_v=KV10)
    assert round(dead_v(meter)) == 2887                       # 115 V x 5,774 / 230
    assert dead_v(DeviceState(id=2, code="B2", circuit_id=1)) == DEAD_V == 115.0
    assert dead_v(DeviceState(id=3, code="B3", circuit_id=1, nominal_v=230.0)) == 115.0

    def seen(volts, nominal=KV10):
        return device_observation(DeviceState(id=1, code="M1", circuit_id=1, voltages=volts,
                                              nominal_v=nominal))[0]
    # a phase at 1 kV on a 10 kV meter is dead (the fixed 115 V took it for live)
    assert seen((1000.0, 1000.0, 1000.0)) == "dead"
    assert seen((5800.0, 5790.0, 5810.0)) == "ok"
    assert seen((5800.0, 5790.0, 1000.0)) == "phase_loss"
    # a 230 V point (declared or not) still uses 115 V
    for nominal in (None, 230.0):
        assert seen((120.0, 120.0, 120.0), nominal) == "ok"
        assert seen((110.0, 110.0, 110.0), nominal) == "dead"


def test_a_dead_10kv_incomer_is_a_loss_of_voltage_with_its_level_in_the_reasoning():
    # the incomer INC is a 10 kV meter at 1 kV on every phase: the site lost its supply
    s = states(**{f"b{c}": {"voltages": DEAD} for c in (2, 3, 4, 5, 6, 7)})
    s[1] = DeviceState(id=1, code="M1", circuit_id=1, gateway_id=10, voltages=(1000.0,) * 3,
                       nominal_v=KV10)
    r = locate(tree(), s)
    assert r["circuits"][1] == "dead"
    assert kinds(r) == [("loss_of_voltage", "circuit", "INC")]
    assert "below 2887 V" in text(r["faults"][0]) and "低于 2887 V" in text(r["faults"][0], "zh")
    s[1] = DeviceState(id=1, code="M1", circuit_id=1, gateway_id=10, voltages=(5800.0,) * 3,
                       nominal_v=KV10)
    assert locate(tree(), s)["circuits"][1] == "ok"
