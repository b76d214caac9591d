"""The diagnosis: problems found at one point and across the supply tree, each turned
into a card (cause, hazard, remedy in Chinese and English) from the rule table
``rules.yaml``, validated at load. Pure: reports and a tree in, cards out.

System level (docs/quality-rules.md):
- ``sag_upstream``: a sag (or interruption) seen at the same time on every monitored
  circuit of a board points upstream of the board; walking up the feeders while their
  points saw it too gives the highest point that saw it, and the first one above that did
  not bounds where it came from. Only the topmost board of one sag gets a card.
- ``feeder_single_phase_loads``: current unbalance on one feeder of a board whose other
  three-phase feeders are balanced points to that feeder's single-phase loads.
- ``supply_voltage_rise``: a voltage above its limit that rises as the load falls
  (correlation r <= -0.6 of the 10-min voltage and current) at the most upstream point
  where it holds points to the supply.
"""
from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path

import yaml

RULES_FILE = Path(__file__).with_name("rules.yaml")
SCOPES, SEVERITIES = ("point", "system"), ("info", "warning", "alarm")
TEXT_KEYS = ("title", "cause", "hazard", "remedy")
SAG_KINDS = ("sag", "interruption")
CORRELATION_MAX = -0.6


class RuleTableError(ValueError):
    pass


def validate(table) -> dict:
    """The table as loaded, or RuleTableError naming the first problem."""
    if not isinstance(table, dict) or not table:
        raise RuleTableError("the rule table must be a non-empty mapping")
    for key, rule in table.items():
        if not isinstance(rule, dict):
            raise RuleTableError(f"{key}: must be a mapping")
        unknown = set(rule) - {"scope", "severity", "sources", *TEXT_KEYS}
        if unknown:
            raise RuleTableError(f"{key}: unknown field(s) {', '.join(sorted(unknown))}")
        if rule.get("scope") not in SCOPES:
            raise RuleTableError(f"{key}.scope: one of {', '.join(SCOPES)}")
        if rule.get("severity") not in SEVERITIES:
            raise RuleTableError(f"{key}.severity: one of {', '.join(SEVERITIES)}")
        for t in TEXT_KEYS:
            text = rule.get(t)
            if not isinstance(text, dict) or set(text) != {"zh", "en"} or not all(
                    isinstance(v, str) and v.strip() for v in text.values()):
                raise RuleTableError(f"{key}.{t}: {{zh, en}}, both non-empty text")
        src = rule.get("sources")
        if not isinstance(src, list) or not src or not all(isinstance(s, str) and s
                                                            for s in src):
            raise RuleTableError(f"{key}.sources: a non-empty list of references")
    return table


@lru_cache(maxsize=1)
def rule_table() -> dict:
    return validate(yaml.safe_load(RULES_FILE.read_text(encoding="utf-8")))


def card(key: str, evidence: dict, reasoning: list[dict] | None = None, **where) -> dict:
    rule = rule_table()[key]
    return {"rule": key, "scope": rule["scope"], "severity": rule["severity"],
            **{t: rule[t] for t in TEXT_KEYS}, "sources": rule["sources"],
            **where, "evidence": evidence, "reasoning": reasoning or []}


# --- one point ---------------------------------------------------------------------------
def point_cards(device_id: int, report: dict) -> list[dict]:
    idx, out = report["indices"], []

    def add(key, **evidence):
        out.append(card(key, evidence, device_id=device_id))

    v = idx["voltage_deviation"]
    if v["compliant"] is False:
        if v["p95"] is not None and v["p95"] > v["limits"]["upper_pct"]:
            add("voltage_high", p95_pct=v["p95"], limit_pct=v["limits"]["upper_pct"],
                compliance_pct=v["compliance_pct"])
        if v["p95_low"] is not None and v["p95_low"] < v["limits"]["lower_pct"]:
            add("voltage_low", p95_low_pct=v["p95_low"], limit_pct=v["limits"]["lower_pct"],
                compliance_pct=v["compliance_pct"])
    for key, rule in (("voltage_unbalance", "voltage_unbalance"),
                      ("current_unbalance", "current_unbalance"),
                      ("frequency", "frequency_deviation"),
                      ("power_factor", "low_power_factor"), ("thd_voltage", "harmonics")):
        r = idx[key]
        if r["compliant"] is False:
            add(rule, p95=r["p95"], max=r["max"], limits=r["limits"],
                compliance_pct=r["compliance_pct"], approximate=r["approximate"])
    by_rule: dict[str, list[dict]] = {}
    for e in report.get("events", []):
        rule = e["kind"]
        if rule == "interruption":
            rule = "interruption_long" if e.get("class") == "long" else "interruption_short"
        if rule in ("sag", "swell", "interruption_short", "interruption_long", "trip"):
            by_rule.setdefault(rule, []).append(e)
    for rule, evs in by_rule.items():
        add(rule, count=len(evs), first=evs[0]["start"], last=evs[-1]["start"],
            events=evs[:5])
    return out


# --- the tree ----------------------------------------------------------------------------
def tree_from_topology(topology: dict) -> dict:
    """Flatten backend/facility/topology.py's nested tree: boards (feeder circuit, level,
    every circuit on it), circuits (board, upstream circuit), points (device -> circuit)."""
    boards, circuits, points = {}, {}, {}

    def walk_board(b: dict, feeder: int | None) -> None:
        boards[b["id"]] = {"code": b["code"], "name": b["name"], "level": b["level"],
                           "feeder": feeder, "circuits": []}
        for c in b["circuits"]:
            walk_circuit(c, b["id"], feeder)

    def walk_circuit(c: dict, board_id: int, upstream: int | None) -> None:
        circuits[c["id"]] = {"code": c["code"], "name": c["name"], "board": board_id,
                             "upstream": upstream}
        boards[board_id]["circuits"].append(c["id"])
        for d in c["devices"]:
            points[d["id"]] = c["id"]
        for ch in c["circuits"]:
            walk_circuit(ch, board_id, c["id"])
        for sub in c["boards"]:
            walk_board(sub, c["id"])

    for b in topology["boards"]:
        walk_board(b, None)
    return {"boards": boards, "circuits": circuits, "points": points}


def _points_by_circuit(tree: dict, reports: dict) -> dict[int, list[int]]:
    """Circuit id -> its points with voltages, in the tree's order (one pass: a lookup
    per circuit was quadratic in a site's points)."""
    out: dict[int, list[int]] = {}
    for d, c in tree["points"].items():
        if d in reports and reports[d]["indices"]["voltage_deviation"]["available"]:
            out.setdefault(c, []).append(d)
    return out


def _overlaps(a: dict, b: dict, tol: timedelta) -> bool:
    a_end = a["end"] or a["start"] + timedelta(seconds=a["min_duration_s"])
    b_end = b["end"] or b["start"] + timedelta(seconds=b["min_duration_s"])
    return a["start"] - tol <= b_end and b["start"] - tol <= a_end


def _sag_on(device_ids: list[int], reports: dict, ref: dict, tol: timedelta) -> dict | None:
    for d in device_ids:
        for e in reports[d].get("events", []):
            if e["kind"] in SAG_KINDS and _overlaps(ref, e, tol):
                return e
    return None


def _board_above(tree: dict, board_id: int) -> int | None:
    feeder = tree["boards"][board_id]["feeder"]
    return tree["circuits"][feeder]["board"] if feeder is not None else None


def sag_upstream(tree: dict, reports: dict, names: dict, tol_s: float = 30.0) -> list[dict]:
    tol = timedelta(seconds=tol_s)
    findings = []
    points_on = _points_by_circuit(tree, reports)
    for board_id, board in tree["boards"].items():
        monitored = {c: points_on.get(c, []) for c in board["circuits"]}
        monitored = {c: ds for c, ds in monitored.items() if ds}
        if len(monitored) < 2:
            continue
        first_c = next(iter(monitored))
        refs = [e for d in monitored[first_c] for e in reports[d].get("events", [])
                if e["kind"] in SAG_KINDS]
        for ref in refs:
            seen = {c: _sag_on(ds, reports, ref, tol) for c, ds in monitored.items()}
            if not all(seen.values()):
                continue
            steps = [{"en": f"The sag at {ref['start'].isoformat()} shows on all "
                            f"{len(monitored)} monitored circuits of board {board['code']}.",
                      "zh": f"{ref['start'].isoformat()} 的暂降出现在配电箱 {board['code']} "
                            f"全部 {len(monitored)} 个受监测回路上。"}]
            highest, below_ok, feeder = None, None, board["feeder"]
            while feeder is not None:
                ds = points_on.get(feeder, [])
                code = tree["circuits"][feeder]["code"]
                if not ds:
                    steps.append({"en": f"Feeder {code} has no monitoring point; going up.",
                                  "zh": f"进线回路 {code} 无监测点，继续向上。"})
                elif _sag_on(ds, reports, ref, tol):
                    highest = feeder
                    steps.append({"en": f"Its upstream circuit {code} saw it too.",
                                  "zh": f"上游回路 {code} 同时出现暂降。"})
                else:
                    below_ok = feeder
                    steps.append({"en": f"Upstream circuit {code} did not see it: the source "
                                        f"is below {code}.",
                                  "zh": f"上游回路 {code} 未出现暂降：故障源在 {code} 以下。"})
                    break
                feeder = tree["circuits"][feeder]["upstream"]
            if below_ok is None:
                steps.append({"en": "Every monitored point above saw it: the source is the "
                                    "site's supply or the network.",
                              "zh": "上游各监测点均出现暂降：来自本站电源或电网。"})
            circ = tree["circuits"]
            findings.append({
                "board_id": board_id, "start": ref["start"], "ref": ref,
                "evidence": {"board": board["code"], "start": ref["start"],
                             "residual_pct": min(e["residual_pct"] for e in seen.values()),
                             "circuits": [circ[c]["code"] for c in monitored],
                             "points": sorted({names.get(d, str(d)) for ds in monitored.values()
                                               for d in ds}),
                             "highest_seen": circ[highest]["code"] if highest else None,
                             "not_seen_at": circ[below_ok]["code"] if below_ok else None,
                             "location": "network_or_site_supply" if below_ok is None
                             else "between"},
                "steps": steps})
    # one sag: only the topmost board that saw it on every circuit
    keep = []
    for f in findings:
        above, covered = _board_above(tree, f["board_id"]), False
        while above is not None and not covered:
            covered = any(g["board_id"] == above and _overlaps(f["ref"], g["ref"], tol)
                          for g in findings)
            above = _board_above(tree, above)
        if not covered:
            keep.append(f)
    return [card("sag_upstream", f["evidence"], f["steps"], board_id=f["board_id"])
            for f in keep]


def feeder_unbalance(tree: dict, reports: dict, names: dict) -> list[dict]:
    out = []
    on: dict[int, list[int]] = {}
    for d, c in tree["points"].items():
        on.setdefault(c, []).append(d)
    for board_id, board in tree["boards"].items():
        judged = {}
        for c in board["circuits"]:
            for d in on.get(c, []):
                if d in reports:
                    r = reports[d]["indices"]["current_unbalance"]
                    if r["available"]:
                        judged[d] = r
        bad = [d for d, r in judged.items() if r["compliant"] is False]
        good = [d for d, r in judged.items() if r["compliant"] is True]
        if len(bad) == 1 and good:
            d = bad[0]
            code = tree["circuits"][tree["points"][d]]["code"]
            steps = [{"en": f"Feeder {code} is unbalanced (95 % value "
                            f"{judged[d]['p95']} %), the board's other {len(good)} "
                            "three-phase feeders are balanced.",
                      "zh": f"回路 {code} 电流不平衡（95%值 {judged[d]['p95']}%），同柜其他 "
                            f"{len(good)} 个三相回路平衡。"},
                     {"en": "A supply problem would unbalance them all: the cause is this "
                            "feeder's own single-phase loads.",
                      "zh": "若为电源问题各回路应同时不平衡：原因在该回路自身的单相负荷。"}]
            out.append(card("feeder_single_phase_loads",
                            {"board": board["code"], "circuit": code,
                             "point": names.get(d, str(d)), "p95_pct": judged[d]["p95"],
                             "balanced": sorted(names.get(g, str(g)) for g in good)},
                            steps, board_id=board_id, device_id=d,
                            circuit_id=tree["points"][d]))
    return out


def _depth(tree: dict, circuit_id: int) -> int:
    n, c = 0, tree["circuits"][circuit_id]["upstream"]
    while c is not None:
        n, c = n + 1, tree["circuits"][c]["upstream"]
    return n


def supply_voltage_rise(tree: dict, reports: dict, names: dict) -> list[dict]:
    hits = []
    for d, c in tree["points"].items():
        rep = reports.get(d)
        if rep is None:
            continue
        v, r = rep["indices"]["voltage_deviation"], rep.get("voltage_load_r")
        if (r is not None and r <= CORRELATION_MAX and v["p95"] is not None
                and v["p95"] > v["limits"]["upper_pct"]):
            hits.append((_depth(tree, c), d, r, v))
    if not hits:
        return []
    depth, d, r, v = min(hits, key=lambda h: (h[0], h[1]))
    code = tree["circuits"][tree["points"][d]]["code"]
    steps = [{"en": f"At {names.get(d, d)} ({code}) the 95 % voltage deviation is "
                    f"{v['p95']} % (limit +{v['limits']['upper_pct']} %).",
              "zh": f"{names.get(d, d)}（{code}）电压偏差95%值 {v['p95']}%（限值 "
                    f"+{v['limits']['upper_pct']}%）。"},
             {"en": f"The voltage rises as the load falls (r = {round(r, 2)}), and this is "
                    "the most upstream point where it does: the supply's no-load voltage.",
              "zh": f"电压随负荷下降而升高（r = {round(r, 2)}），且为出现此现象的最上游"
                    "监测点：电源空载电压偏高。"}]
    return [card("supply_voltage_rise", {"point": names.get(d, str(d)), "circuit": code,
                                         "r": round(r, 3), "p95_pct": v["p95"]},
                 steps, device_id=d, circuit_id=tree["points"][d])]


def system_cards(tree: dict, reports: dict, names: dict) -> list[dict]:
    """``reports``: device id -> point report (indices, events, voltage_load_r);
    ``names``: device id -> its code, for the evidence."""
    return (sag_upstream(tree, reports, names) + feeder_unbalance(tree, reports, names)
            + supply_voltage_rise(tree, reports, names))
