"""Power quality's pure core against hand-computed values (the arithmetic is written
beside each expectation): the 95 % value, each index, exact and approximate unbalance,
compliance, events from samples and breaker states, the rule table, and the system-level
diagnosis on small trees."""
from __future__ import annotations

import cmath
import math
from datetime import datetime, timedelta, timezone

import pytest

from backend.quality import diagnosis, events, indices, report
from backend.quality.report import PointSpec

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc)


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def rows_of(**series) -> list[dict]:
    n = len(next(iter(series.values())))
    return [{"ts": at(600 * i), **{k: v[i] for k, v in series.items()}} for i in range(n)]


# --- the 95 % value ------------------------------------------------------------------------
def test_p95_drops_the_largest_five_percent():
    # n = 20: floor(0.05 * 20) = 1 value dropped -> the second largest
    assert indices.p95(list(range(1, 21))) == 19
    # n = 10: floor(0.5) = 0 dropped -> the maximum
    assert indices.p95(list(range(1, 11))) == 10
    # n = 40: 2 dropped -> the third largest
    assert indices.p95(list(range(1, 41))) == 38
    # the lower side mirrors it: n = 20, the smallest dropped -> the second smallest
    assert indices.p95_low(list(range(1, 21))) == 2
    assert indices.p95([]) is None and indices.compliance_pct([]) is None


def test_rms_of_rms_samples():
    # sqrt((200² + 240²) / 2) = sqrt((40000 + 57600) / 2) = sqrt(48800)
    assert indices.rms([200, 240]) == pytest.approx(math.sqrt(48800))


# --- voltage deviation (GB/T 12325) ---------------------------------------------------------
def _equal_phases(devs_pct):
    v = [220 * (1 + d / 100) for d in devs_pct]
    return rows_of(voltage_a=v, voltage_b=v, voltage_c=v)


def test_voltage_deviation_three_phase_plus_minus_7():
    # 18 intervals at +2 %, one at +8 %, one at -8 %: 18 of 20 within ±7 % -> 90 %
    rows = _equal_phases([2.0] * 18 + [8.0, -8.0])
    r = report.voltage_deviation(rows, PointSpec(phases=3))
    assert r["standard"] == "GB/T 12325-2008 4.2"
    assert (r["limits"]["upper_pct"], r["limits"]["lower_pct"]) == (7.0, -7.0)
    assert r["compliance_pct"] == 90.0 and r["intervals"] == 20
    # highs sorted down: 8, 2, 2, ...; one dropped -> 2. lows sorted up: -8, 2, ... -> 2
    assert r["p95"] == pytest.approx(2.0) and r["p95_low"] == pytest.approx(2.0)
    assert r["max"] == pytest.approx(8.0) and r["min"] == pytest.approx(-8.0)
    assert r["compliant"] is True
    # 19 at +8 %: the 95 % value is 8 > 7 -> not compliant
    bad = report.voltage_deviation(_equal_phases([8.0] * 19 + [0.0]), PointSpec(phases=3))
    assert bad["p95"] == pytest.approx(8.0) and bad["compliant"] is False
    assert bad["compliance_pct"] == 5.0


def test_voltage_deviation_single_phase_is_plus_7_minus_10():
    # 220 V single-phase: -8 % is within +7/-10 %, so 19 of 20 comply -> 95 %
    v = [220 * (1 + d / 100) for d in [2.0] * 18 + [8.0, -8.0]]
    r = report.voltage_deviation(rows_of(voltage_a=v), PointSpec(phases=1))
    assert r["standard"] == "GB/T 12325-2008 4.3"
    assert (r["limits"]["upper_pct"], r["limits"]["lower_pct"]) == (7.0, -10.0)
    assert r["compliance_pct"] == 95.0
    # the lowest interval is -8 %: (202.4 - 220) / 220 = -8 %
    assert r["min"] == pytest.approx(-8.0)


def test_one_phase_out_makes_the_interval_non_compliant():
    rows = rows_of(voltage_a=[220, 220], voltage_b=[220, 240], voltage_c=[220, 220])
    r = report.voltage_deviation(rows, PointSpec(phases=3))
    # 240 V: (240 - 220) / 220 = +9.09 % > 7 %: the second interval fails -> 50 %
    assert r["compliance_pct"] == 50.0 and r["max"] == pytest.approx(100 * 20 / 220, abs=1e-4)


# --- unbalance (GB/T 15543) -----------------------------------------------------------------
def test_unbalance_from_magnitudes_is_labelled_approximate():
    # a, b, c = 230, 220, 220: a² + b² + c² - ab - bc - ca = ((a-b)² + (b-c)² + (c-a)²) / 2
    # = (100 + 0 + 100) / 2 = 100; sqrt = 10; / (a + b + c) = 10 / 670 = 1.4925 %
    assert indices.unbalance_from_magnitudes(230, 220, 220) == pytest.approx(100 * 10 / 670)
    # the largest deviation from the mean (MyEMS' "GB/T 15543") is twice that:
    # mean 223.33, 230 - 223.33 = 6.667, / 223.33 = 2.985 %
    assert indices.max_deviation_from_mean(230, 220, 220) == pytest.approx(
        100 * (230 - 670 / 3) / (670 / 3))
    rows = rows_of(voltage_a=[230] * 3, voltage_b=[220] * 3, voltage_c=[220] * 3)
    r = report.voltage_unbalance(rows, PointSpec(phases=3))
    assert r["approximate"] is True and "APPROXIMATE" in r["method"]
    assert r["p95"] == pytest.approx(1.4925, abs=1e-4) and r["compliant"] is True
    assert r["standard"] == "GB/T 15543-2008 4.1"


def test_exact_unbalance_from_line_voltages_and_phasors():
    # phasors 230 /0°, 220 /-120°, 220 /120°: U2 = (230 - 220) / 3, U1 = 670 / 3 -> 1.4925 %
    va, vb, vc = 230, 220 * cmath.exp(-2j * math.pi / 3), 220 * cmath.exp(2j * math.pi / 3)
    assert indices.unbalance_from_phasors(va, vb, vc) == pytest.approx(100 * 10 / 670)
    # line-to-line magnitudes at 120°: |Uab|² = a² + b² + ab
    uab = math.sqrt(230 ** 2 + 220 ** 2 + 230 * 220)     # sqrt(151900) = 389.74
    ubc = math.sqrt(3 * 220 ** 2)                          # sqrt(145200) = 381.05
    uca = uab
    assert indices.unbalance_from_line_voltages(uab, ubc, uca) == pytest.approx(
        100 * 10 / 670, rel=1e-9)
    rows = rows_of(voltage_a=[230], voltage_b=[220], voltage_c=[220], voltage_ab=[uab],
                   voltage_bc=[ubc], voltage_ca=[uca])
    r = report.voltage_unbalance(rows, PointSpec(phases=3))
    assert r["approximate"] is False and r["method"].startswith("exact")


def test_the_magnitude_approximation_misses_angle_unbalance():
    # equal magnitudes, phase b displaced by 5° (at -115°): the approximation says 0 %,
    # symmetrical components: 220(1 + /125° + /240°) / 3 over 220(1 + /5° + /0°) / 3
    # = |(-0.073576, -0.046873)| / |(2.996195, 0.087156)| = 0.087239 / 2.997462 = 2.910 %
    va = 220
    vb = 220 * cmath.exp(1j * math.radians(-115))
    vc = 220 * cmath.exp(1j * math.radians(120))
    assert indices.unbalance_from_magnitudes(220, 220, 220) == 0
    assert indices.unbalance_from_phasors(va, vb, vc) == pytest.approx(2.9104, abs=1e-3)
    rows = rows_of(voltage_a=[220], voltage_b=[220], voltage_c=[220],
                   voltage_angle_b=[-115.0], voltage_angle_c=[120.0])
    r = report.voltage_unbalance(rows, PointSpec(phases=3))
    assert r["approximate"] is False and r["p95"] == pytest.approx(2.9104, abs=1e-3)
    assert r["compliant"] is False          # 95 % value 2.91 > 2 %


def test_unbalance_short_time_limit_is_4_percent_on_the_maximum():
    # 20 intervals: 19 at 1 %, one at 5 %: the 95 % value is 1 % <= 2 %, but the
    # maximum 5 % > 4 % -> not compliant. k = u/100 gives phases (1+2k, 1-k, 1-k).
    def phases(u):
        k = u / 100
        return 220 * (1 + 2 * k), 220 * (1 - k), 220 * (1 - k)
    vs = [phases(1.0)] * 19 + [phases(5.0)]
    rows = rows_of(voltage_a=[v[0] for v in vs], voltage_b=[v[1] for v in vs],
                   voltage_c=[v[2] for v in vs])
    r = report.voltage_unbalance(rows, PointSpec(phases=3))
    assert r["p95"] == pytest.approx(1.0) and r["max"] == pytest.approx(5.0)
    assert r["compliance_pct"] == 95.0 and r["compliant"] is False


def test_current_unbalance_while_loaded():
    # (100 - 70) / 100 = 30 %; (50 - 45) / 50 = 10 %; an interval at 3 A max is below
    # the load floor (10 % of In = 100 A -> 10 A) and left out
    rows = rows_of(current_a=[100, 50, 3], current_b=[80, 45, 1], current_c=[70, 48, 2])
    r = report.current_unbalance(rows, PointSpec(phases=3, rated_current=100))
    assert r["intervals"] == 2 and r["max"] == pytest.approx(30.0)
    assert r["compliance_pct"] == 50.0 and r["compliant"] is False   # p95 (n=2) = 30 > 25
    assert r["standard"] is None
    assert report.current_unbalance(rows, PointSpec(phases=1))["available"] is False


# --- frequency, power factor, harmonics -------------------------------------------------------
def test_frequency_against_plus_minus_0_2_hz():
    # |50.1 - 50| = 0.1 ok, |49.7 - 50| = 0.3 out, 3 at 50.0 -> 4 of 5 -> 80 %
    r = report.frequency(rows_of(frequency=[50.1, 49.7, 50.0, 50.0, 50.0]), PointSpec())
    assert r["compliance_pct"] == 80.0
    assert r["max"] == pytest.approx(0.3) and r["compliant"] is False
    assert r["standard"] == "GB/T 15945-2008 3.1"


def test_power_factor_from_mean_powers_against_the_target():
    # P/sqrt(P²+Q²): 9/15 = 0.6, 8/10 = 0.8, 12/13 = 0.923, 0.04 kW: too little load
    rows = rows_of(active_power=[9, 8, 12, 0.04], reactive_power=[12, 6, 5, 1])
    r = report.power_factor(rows, PointSpec(pf_target=0.9))
    assert r["intervals"] == 3 and r["compliance_pct"] == pytest.approx(100 / 3, abs=0.01)
    assert r["p95"] == pytest.approx(0.6) and r["compliant"] is False   # lowest (n=3)
    assert report.power_factor(rows, PointSpec(pf_target=0.55))["compliant"] is True


def test_thd_only_where_the_device_reports_it():
    none = report.thd_voltage(rows_of(voltage_a=[220]), PointSpec())
    assert none["available"] is False and "no harmonics" in none["note"]
    # synthetic THD (no profile reports it): 0.38 kV limit 5 % (GB/T 14549 table 1);
    # highest phase per interval: 3, 6 -> 1 of 2 within -> 50 %
    rows = rows_of(thd_voltage_a=[3.0, 2.0], thd_voltage_b=[2.5, 6.0], thd_voltage_c=[1, 1])
    r = report.thd_voltage(rows, PointSpec())
    assert r["limits"]["max_pct"] == 5.0 and r["compliance_pct"] == 50.0
    assert r["compliant"] is False


def test_interruption_intervals_are_flagged_out_of_the_indices():
    # 10 % of 220 = 22 V: an interval at 5 V is flagged, not a -97.7 % deviation
    rows = rows_of(voltage_a=[220, 5], voltage_b=[220, 5], voltage_c=[220, 5],
                   frequency=[50.0, 50.0])
    out = report.point_indices(rows, PointSpec())
    assert out["flagged_intervals"] == 1 and out["intervals"] == 2
    assert out["indices"]["voltage_deviation"]["intervals"] == 1
    assert out["indices"]["voltage_deviation"]["compliance_pct"] == 100.0


def test_site_pooling():
    # a: 19 of 20 within, its 95 % value 2 % (the one 8 % dropped): compliant
    a = report.point_indices(_equal_phases([2.0] * 19 + [8.0]), PointSpec())
    b = report.point_indices(_equal_phases([8.0] * 10), PointSpec())          # 0/10
    site = report.pooled([a, b])["voltage_deviation"]
    # (19 + 0) / (20 + 10) = 63.33 %; the worst point's 95 % value: 8 %; one point fails
    assert site["compliance_pct"] == 63.33 and site["worst_p95"] == pytest.approx(8.0)
    assert site["failing_points"] == 1 and site["points"] == 2
    assert site["standard"] == "GB/T 12325-2008 4.2" and site["unit"] == "%"
    assert site["limits"] == a["indices"]["voltage_deviation"]["limits"]
    # a single-phase point (+7 % / -10 %) beside a three-phase one: no one limit to show
    c = report.point_indices(_equal_phases([2.0] * 5), PointSpec(phases=1))
    mixed = report.pooled([a, c])["voltage_deviation"]
    assert a["indices"]["voltage_deviation"]["limits"] != c["indices"]["voltage_deviation"]["limits"]
    assert mixed["limits"] is None and mixed["standard"] == "GB/T 12325-2008 4.2"


# --- events ----------------------------------------------------------------------------------
def test_sag_from_samples_with_duration_bounds():
    s = [(at(0), 220, 221), (at(10), 219, 220), (at(20), 150, 220), (at(30), 140, 150),
         (at(40), 218, 220)]
    [e] = events.voltage_events(s, 220)
    # first disturbed at 20 s, first normal after at 40 s -> 20 s; at least 30 - 20 = 10 s,
    # at most 40 - 10 = 30 s; the lowest phase 140 / 220 = 63.64 %
    assert e["kind"] == "sag" and e["start"] == at(20) and e["end"] == at(40)
    assert (e["duration_s"], e["min_duration_s"], e["max_duration_s"]) == (20, 10, 30)
    assert e["residual_pct"] == 63.64 and e["resolution_s"] == 10


def test_swell_and_short_and_long_interruptions():
    # 250 > 110 % of 220 = 242 -> a swell; 10 V < 22 V on every phase -> interruption
    s = [(at(0), 220, 220), (at(10), 220, 250), (at(20), 220, 220),
         (at(30), 5, 10), (at(40), 0, 0), (at(50), 220, 220)]
    swell, cut = events.voltage_events(s, 220)
    assert swell["kind"] == "swell" and swell["peak_pct"] == pytest.approx(113.64)
    assert cut["kind"] == "interruption" and cut["class"] == "short"   # 20 s <= 180 s
    long = [(at(0), 220, 220)] + [(at(10 * k), 0, 0) for k in range(1, 21)] + \
        [(at(210), 220, 220)]
    [e] = events.voltage_events(long, 220)
    assert e["duration_s"] == 200 and e["class"] == "long"             # 200 s > 180 s
    # still going at the end of the data: ongoing, no estimate
    [e] = events.voltage_events([(at(0), 220, 220), (at(10), 100, 100)], 220)
    assert e["ongoing"] is True and e["duration_s"] is None


def test_a_data_gap_ends_an_event():
    s = [(at(0), 220, 220), (at(10), 150, 150), (at(500), 150, 150), (at(510), 220, 220)]
    first, second = events.voltage_events(s, 220, max_gap_s=120)
    assert first["end"] is None and second["start"] == at(500)
    assert second["max_duration_s"] is None          # no normal sample right before it


def test_trip_and_mode_change_from_breaker_states():
    changes = [(at(0), "switch_state", "closed"), (at(0), "trip_cause", "none"),
               (at(0), "mode", "auto"), (at(100), "switch_state", "open"),
               (at(100), "trip_cause", "under_voltage"), (at(160), "switch_state", "closed"),
               (at(160), "trip_cause", "none"), (at(300), "mode", "maintenance")]
    trip, mode = events.state_events(changes)
    assert (trip["kind"], trip["cause"], trip["duration_s"], trip["class"]) == (
        "trip", "under_voltage", 60, "short")
    assert (mode["kind"], mode["from"], mode["to"]) == ("mode_change", "auto", "maintenance")


# --- the rule table --------------------------------------------------------------------------
def test_rule_table_loads_and_bad_tables_are_refused():
    table = diagnosis.rule_table()
    assert {"sag", "sag_upstream", "feeder_single_phase_loads", "supply_voltage_rise",
            "voltage_high", "voltage_low", "harmonics"} <= set(table)
    for rule in table.values():
        assert rule["cause"]["zh"] and rule["remedy"]["en"] and rule["sources"]
    good = table["sag"]
    for broken, where in (({"x": {**good, "scope": "room"}}, "x.scope"),
                          ({"x": {**good, "hazard": {"zh": "危害"}}}, "x.hazard"),
                          ({"x": {**good, "sources": []}}, "x.sources"),
                          ({"x": {**good, "colour": "red"}}, "x: unknown")):
        with pytest.raises(diagnosis.RuleTableError, match=where):
            diagnosis.validate(broken)


# --- system-level diagnosis --------------------------------------------------------------------
def _topology():
    """AA1: IN (meter 1) -> WL1 (breaker 2) feeding board AP (circuits C1, C2, C3 with
    breakers 11, 12, 13) and WL2 (breaker 3)."""
    def circuit(cid, code, devices=(), circuits=(), boards=()):
        return {"id": cid, "code": code, "name": code, "devices": [{"id": d} for d in devices],
                "circuits": list(circuits), "boards": list(boards)}
    ap = {"id": 2, "code": "AP", "name": "AP", "level": 2,
          "circuits": [circuit(21, "AP-C1", [11]), circuit(22, "AP-C2", [12]),
                       circuit(23, "AP-C3", [13])]}
    aa1 = {"id": 1, "code": "AA1", "name": "AA1", "level": 1, "circuits": [
        circuit(10, "AA1-IN", [1], circuits=[circuit(11, "AA1-WL1", [2], boards=[ap]),
                                              circuit(12, "AA1-WL2", [3])])]}
    return {"boards": [aa1]}


def _point(evs=(), cu=None, v_p95=2.0, r=None):
    rows = _equal_phases([v_p95] * 3)
    rep = report.point_indices(rows, PointSpec())
    cur = rep["indices"]["current_unbalance"]
    if cu is not None:
        cur.update(available=True, compliant=cu <= 25, p95=cu)
    rep["events"] = list(evs)
    rep["voltage_load_r"] = r
    return rep


def _sag(start_s, dur=20):
    return {"kind": "sag", "start": at(start_s), "end": at(start_s + dur),
            "min_duration_s": dur - 10, "residual_pct": 70.0}


def test_sag_on_every_circuit_of_a_board_points_upstream():
    tree = diagnosis.tree_from_topology(_topology())
    names = {1: "PM-IN", 2: "QF-WL1", 3: "QF-WL2", 11: "QF-C1", 12: "QF-C2", 13: "QF-C3"}
    reports = {1: _point(), 2: _point([_sag(100)]), 3: _point(),
               11: _point([_sag(100)]), 12: _point([_sag(102)]), 13: _point([_sag(99)])}
    [c] = diagnosis.sag_upstream(tree, reports, names)
    assert c["rule"] == "sag_upstream" and c["board_id"] == 2
    ev = c["evidence"]
    # seen on AP's three circuits and on its feeder WL1, not on the incomer above it
    assert ev["circuits"] == ["AP-C1", "AP-C2", "AP-C3"]
    assert (ev["highest_seen"], ev["not_seen_at"], ev["location"]) == (
        "AA1-WL1", "AA1-IN", "between")
    assert c["cause"]["zh"] and c["remedy"]["en"] and len(c["reasoning"]) == 3
    # one circuit of AP without the sag: not an upstream sag
    reports[13] = _point()
    assert diagnosis.sag_upstream(tree, reports, names) == []
    # a sag at another time on C3 does not count as the same sag
    reports[13] = _point([_sag(5000)])
    assert diagnosis.sag_upstream(tree, reports, names) == []


def test_a_sag_everywhere_is_reported_once_at_the_top_board():
    tree = diagnosis.tree_from_topology(_topology())
    reports = {d: _point([_sag(100)]) for d in (1, 2, 3, 11, 12, 13)}
    [c] = diagnosis.sag_upstream(tree, reports, {})
    assert c["board_id"] == 1 and c["evidence"]["location"] == "network_or_site_supply"


def test_unbalance_on_one_feeder_points_to_its_single_phase_loads():
    tree = diagnosis.tree_from_topology(_topology())
    names = {11: "QF-C1", 12: "QF-C2", 13: "QF-C3"}
    reports = {11: _point(cu=40.0), 12: _point(cu=8.0), 13: _point(cu=10.0)}
    [c] = diagnosis.feeder_unbalance(tree, reports, names)
    assert c["rule"] == "feeder_single_phase_loads" and c["device_id"] == 11
    assert c["evidence"]["circuit"] == "AP-C1" and c["evidence"]["balanced"] == ["QF-C2",
                                                                                  "QF-C3"]
    # every feeder unbalanced: not one feeder's loads
    reports = {11: _point(cu=40.0), 12: _point(cu=38.0), 13: _point(cu=10.0)}
    assert diagnosis.feeder_unbalance(tree, reports, names) == []


def test_voltage_rising_as_load_falls_points_to_the_supply():
    # 10-min voltages up as currents go down: r = -1 (an exact line)
    v = [230, 234, 238, 242]
    i = [200, 150, 100, 50]
    rows = rows_of(voltage_a=v, voltage_b=v, voltage_c=v, current_a=i, current_b=i,
                   current_c=i)
    rep = report.point_indices(rows, PointSpec())
    assert rep["voltage_load_r"] == pytest.approx(-1.0)
    # p95 of (238 - 220)/220 = 8.18 %, 242: 10 % -> the maximum (n = 4) 10 % > 7 %
    assert rep["indices"]["voltage_deviation"]["p95"] == pytest.approx(10.0)
    rep["events"] = []
    tree = diagnosis.tree_from_topology(_topology())
    reports = {1: rep, 2: rep, 11: rep}
    [c] = diagnosis.supply_voltage_rise(tree, reports, {1: "PM-IN"})
    assert c["device_id"] == 1 and c["evidence"]["point"] == "PM-IN"   # the top point
    # the same voltage with no relation to load: not the supply rule
    flat = rows_of(voltage_a=v, voltage_b=v, voltage_c=v, current_a=[100, 50, 100, 50],
                   current_b=[100, 50, 100, 50], current_c=[100, 50, 100, 50])
    rep2 = report.point_indices(flat, PointSpec())
    rep2["events"] = []
    assert diagnosis.supply_voltage_rise(tree, {1: rep2}, {}) == []


def test_point_cards_name_cause_hazard_remedy():
    rep = report.point_indices(_equal_phases([9.0] * 5), PointSpec())
    rep["events"] = [_sag(100), {"kind": "interruption", "class": "long", "start": at(900),
                                 "end": at(1200), "min_duration_s": 290}]
    cards = diagnosis.point_cards(7, rep)
    assert [c["rule"] for c in cards] == ["voltage_high", "sag", "interruption_long"]
    assert all(c["device_id"] == 7 and c["hazard"]["zh"] for c in cards)
