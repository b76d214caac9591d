"""Fault location on a site's supply tree from device states and events (docs/quality.md).

Pure: given the flattened tree (diagnosis.tree_from_topology) and each device's present
state, find the most upstream faulty node of each independent fault, the downstream
circuits it affects, and the reasoning step by step in Chinese and English.

Each circuit is judged from the devices on it (a breaker and/or a meter):

- ``tripped``: a breaker open with a trip cause; ``opened``: open with none (switched off
  on purpose: it explains what is dead below it, it is not a fault);
- ``dead``: every phase below the device's dead level (``dead_v``: DEAD_V at 230 V,
  scaled by a declared nominal as the alarm rules scale their volts: a 10 kV meter's
  phase is ~5.8 kV, dead below ~2.9 kV); ``phase_loss``: one or two of three phases dead;
- ``fault_indicator``: the breaker's local fault LEDs lit;
- ``sag``: a voltage sag or interruption in the recent window (a transient);
- ``no_data``: no device on it answers (its state is unknown, not faulty);
- ``ok``: voltage present, closed.

Then, in order:

1. A gateway whose every device stopped answering is a *communication* fault: the devices
   behind it are unknown, and devices on other gateways that still report voltage below or
   above them show that the supply is there.
2. A power state (tripped, opened, dead, phase loss) is explained by the nearest upstream
   circuit in a power state; an unexplained one is a root. Unknown circuits are looked
   through, never taken as a cause.
3. Roots that are losses of voltage without a trip, on every observed circuit of a board
   (two or more), are one fault upstream of that board (its incomer or supply); the same
   for a sag seen at once on every observed circuit of a board.
4. A device that flaps (goes on- and offline repeatedly, or whose alarm flaps) is an
   intermittent fault of its own; a device that stopped answering on a gateway that still
   answers, with nothing upstream dead, is a communication fault of that device.
5. A root's affected circuits are its subtree (child circuits and the boards they feed),
   except circuits that still report voltage (named in the reasoning: a contradiction
   such as a back-feed or a wrong topology).
"""
from __future__ import annotations

from dataclasses import dataclass

from backend.vocabulary import TRIP_ZH

REFERENCE_V = 230.0             # the phase voltage DEAD_V is stated for (alarms' NOMINAL_V)
DEAD_V = 115.0                  # below half of 230 V a phase is lost (as the alarm rules)
POWER = ("tripped", "opened", "dead", "phase_loss")
# the order a circuit's devices are summarised in: the most telling first
_RANK = ("tripped", "opened", "dead", "phase_loss", "fault_indicator", "sag", "ok", "no_data")
INDICATOR_ZH = {"voltage": "电压", "current": "电流", "temperature": "温度",
                "residual_current": "剩余电流"}
PHASE_NAMES = ("A", "B", "C")


@dataclass(frozen=True)
class DeviceState:
    id: int
    code: str
    circuit_id: int | None
    gateway_id: int | None = None
    online: bool | None = True
    switch_state: str | None = None
    trip_cause: str | None = None
    voltages: tuple[float, ...] = ()       # present phases, A first
    fault_indicators: tuple[str, ...] = ()
    sag: bool = False                      # a sag or interruption in the recent window
    flapping: bool = False
    nominal_v: float | None = None         # declared phase voltage (None: REFERENCE_V)


def dead_v(d: DeviceState) -> float:
    """Below this a phase of ``d`` is dead: DEAD_V scaled by the declared nominal
    (nominal / REFERENCE_V, ``alarms.catalogue.voltage_scale``'s factor), else DEAD_V."""
    return DEAD_V * d.nominal_v / REFERENCE_V if d.nominal_v else DEAD_V


def device_observation(d: DeviceState) -> tuple[str, dict]:
    """(state, detail) of one device (see the module's list)."""
    if d.online is False:
        return "no_data", {}
    if d.switch_state == "open":
        if d.trip_cause and d.trip_cause != "none":
            return "tripped", {"cause": d.trip_cause}
        return "opened", {}
    if d.voltages:
        level = dead_v(d)
        dead = [PHASE_NAMES[i] for i, v in enumerate(d.voltages) if v < level]
        if len(dead) == len(d.voltages):
            return "dead", {"volts": max(d.voltages), "dead_v": level}
        if dead and len(d.voltages) == 3:
            return "phase_loss", {"phases": dead}
    if d.fault_indicators:
        return "fault_indicator", {"indicators": list(d.fault_indicators)}
    if d.sag:
        return "sag", {}
    if d.online is None and not d.voltages and d.switch_state is None:
        return "no_data", {}
    return "ok", {"volts": min(d.voltages) if d.voltages else None}


def _txt(zh: str, en: str) -> dict:
    return {"zh": zh, "en": en}


class _Site:
    def __init__(self, tree: dict, states: dict[int, DeviceState], gateways: dict[int, str]):
        self.tree, self.states, self.gateway_names = tree, states, gateways
        self.circuits, self.boards = tree["circuits"], tree["boards"]
        self.children: dict[int | None, list[int]] = {}
        for cid, c in self.circuits.items():
            self.children.setdefault(c["upstream"], []).append(cid)
        self.on_circuit: dict[int, list[DeviceState]] = {}
        for d in states.values():
            if d.circuit_id in self.circuits:
                self.on_circuit.setdefault(d.circuit_id, []).append(d)
        self.state: dict[int, tuple[str, dict, DeviceState | None]] = {}
        for cid in self.circuits:
            obs = [(device_observation(d), d) for d in self.on_circuit.get(cid, [])]
            if not obs:
                self.state[cid] = ("no_data", {}, None)
                continue
            (st, detail), dev = min(obs, key=lambda o: _RANK.index(o[0][0]))
            self.state[cid] = (st, detail, dev)

    def name(self, cid: int) -> str:
        c = self.circuits[cid]
        return c.get("code") or str(cid)

    def board_name(self, bid: int) -> str:
        return self.boards[bid].get("code") or str(bid)

    def upstream_chain(self, cid: int) -> list[int]:
        out, seen, cur = [], {cid}, self.circuits[cid]["upstream"]
        while cur is not None and cur in self.circuits and cur not in seen:
            out.append(cur)
            seen.add(cur)
            cur = self.circuits[cur]["upstream"]
        return out

    def subtree(self, cid: int) -> list[int]:
        out, todo = [], list(self.children.get(cid, []))
        while todo:
            c = todo.pop(0)
            out.append(c)
            todo.extend(self.children.get(c, []))
        return out

    def depth(self, cid: int) -> int:
        return len(self.upstream_chain(cid))

    def top_circuits(self, bid: int) -> list[int]:
        feeder = self.boards[bid]["feeder"]
        return [c for c in self.boards[bid]["circuits"] if self.circuits[c]["upstream"] == feeder]


def _describe(site: _Site, cid: int) -> dict:
    st, detail, dev = site.state[cid]
    name, code = site.name(cid), dev.code if dev else ""
    if st == "tripped":
        cause = detail["cause"]
        return _txt(f"回路 {name} 的断路器 {code} 分闸，跳闸原因：{TRIP_ZH.get(cause, cause)}",
                    f"the breaker {code} of circuit {name} is open, trip cause: "
                    f"{cause.replace('_', ' ')}")
    if st == "opened":
        return _txt(f"回路 {name} 的断路器 {code} 分闸，无跳闸原因（人为分闸，非故障）",
                    f"the breaker {code} of circuit {name} is open with no trip cause "
                    "(switched off on purpose, not a fault)")
    if st == "dead":
        level = detail.get("dead_v", DEAD_V)
        return _txt(f"回路 {name} 的 {code} 各相均无电压（低于 {level:.0f} V），断路器未报跳闸",
                    f"{code} on circuit {name} has no voltage on any phase (below "
                    f"{level:.0f} V) and no breaker reports a trip")
    if st == "phase_loss":
        ph = "、".join(detail["phases"])
        return _txt(f"回路 {name} 的 {code} 缺相：{ph} 相无电压",
                    f"{code} on circuit {name} lost phase {', '.join(detail['phases'])}")
    if st == "fault_indicator":
        ind = detail["indicators"]
        return _txt(f"回路 {name} 的 {code} 故障指示灯亮：{'、'.join(INDICATOR_ZH.get(i, i) for i in ind)}",
                    f"{code} on circuit {name} shows fault indicators: "
                    f"{', '.join(i.replace('_', ' ') for i in ind)}")
    if st == "sag":
        return _txt(f"回路 {name} 的 {code} 近期出现电压暂降或中断",
                    f"{code} on circuit {name} saw a voltage sag or interruption recently")
    return _txt(f"回路 {name} 状态：{st}", f"circuit {name}: {st}")


def _upstream_step(site: _Site, cid: int) -> dict:
    chain = site.upstream_chain(cid)
    ok = [u for u in chain if site.state[u][0] in ("ok", "sag", "fault_indicator")]
    if ok:
        u = ok[0]
        volts = site.state[u][1].get("volts")
        v = f"（{volts:.0f} V）" if volts else ""
        ve = f" ({volts:.0f} V)" if volts else ""
        return _txt(f"上游回路 {site.name(u)} 有电压{v}且未报故障，故障点不在更上游",
                    f"the upstream circuit {site.name(u)} has voltage{ve} and reports no "
                    "fault, so the fault is not further up")
    if chain:
        return _txt("上游回路无设备报告故障（无数据的回路不作为原因）",
                    "no device upstream reports a fault (circuits without data are not "
                    "taken as a cause)")
    return _txt("该回路是进线回路，其上游没有监测设备",
                "this is an incoming circuit; nothing upstream of it is monitored")


def _affected(site: _Site, roots: list[int]) -> tuple[list[int], list[int], list[int]]:
    """(affected circuits, affected devices, circuits below that still report voltage)."""
    circuits, live = [], []
    for r in roots:
        for c in site.subtree(r):
            (live if site.state[c][0] == "ok" else circuits).append(c)
    devices = sorted(d.id for c in [*roots, *circuits] for d in site.on_circuit.get(c, []))
    return circuits, devices, live


def _downstream_step(site: _Site, circuits: list[int], live: list[int],
                     phase_loss: bool = False) -> list[dict]:
    steps = []
    if circuits:
        names = "、".join(site.name(c) for c in circuits[:8])
        more = f" 等 {len(circuits)} 个" if len(circuits) > 8 else ""
        steps.append(_txt(f"下游受影响回路：{names}{more}",
                          f"affected downstream: {len(circuits)} circuit(s): "
                          f"{', '.join(site.name(c) for c in circuits[:8])}"))
    else:
        steps.append(_txt("下游没有其他回路受影响", "no other circuit downstream is affected"))
    if live and phase_loss:
        steps.append(_txt(f"下游回路 {'、'.join(site.name(c) for c in live)} 接在其余相上，仍有电压",
                          f"downstream circuit(s) {', '.join(site.name(c) for c in live)} are "
                          "on the remaining phases and still have voltage"))
    elif live:
        steps.append(_txt(f"注意：下游回路 {'、'.join(site.name(c) for c in live)} 仍有电压"
                          "（可能是反送电或拓扑有误）",
                          f"note: downstream circuit(s) {', '.join(site.name(c) for c in live)} "
                          "still have voltage (a back-feed or a wrong topology?)"))
    return steps


_KIND_OF_STATE = {"tripped": "trip", "opened": "switched_off", "dead": "loss_of_voltage",
                  "phase_loss": "phase_loss", "fault_indicator": "fault_indicator",
                  "sag": "sag"}


def _node(kind: str, id_: int, code: str, name: str | None = None) -> dict:
    return {"type": kind, "id": id_, "code": code, "name": name or code}


def locate(tree: dict, states: dict[int, DeviceState],
           gateways: dict[int, str] | None = None) -> dict:
    """The faults found, most upstream first: {faults: [{node {type, id, code, name},
    kind, power, cause, devices, affected_circuits, affected_devices, reasoning [{zh, en}]}],
    circuits: {circuit id: state}, unknown_circuits: [...]}."""
    site = _Site(tree, states, gateways or {})
    faults: list[dict] = []

    # 1. gateways whose every device is silent
    by_gw: dict[int, list[DeviceState]] = {}
    for d in states.values():
        if d.gateway_id is not None:
            by_gw.setdefault(d.gateway_id, []).append(d)
    dead_gw = {g for g, ds in by_gw.items() if ds and all(d.online is False for d in ds)}
    for g in sorted(dead_gw):
        ds = by_gw[g]
        gname = site.gateway_names.get(g) or f"gateway {g}"
        circuits = sorted({d.circuit_id for d in ds if d.circuit_id in site.circuits
                           and site.state[d.circuit_id][0] == "no_data"})
        steps = [_txt(f"网关 {gname} 下的 {len(ds)} 台设备全部无应答",
                      f"all {len(ds)} device(s) behind gateway {gname} stopped answering")]
        near = set()
        for c in circuits:
            near.update(site.upstream_chain(c))
            near.update(site.subtree(c))
        powered = sorted(c for c in near if site.state[c][0] in ("ok", "sag", "fault_indicator"))
        if powered:
            steps.append(_txt(
                f"相邻回路 {'、'.join(site.name(c) for c in powered[:5])} 经其他网关报告有电压，"
                "供电正常", f"neighbouring circuit(s) {', '.join(site.name(c) for c in powered[:5])}"
                " report voltage through other gateways: the supply is there"))
        steps.append(_txt("判断为通讯故障（网关或其链路），不是供电故障；其设备所在回路状态未知",
                          "a communication fault (the gateway or its link), not a power fault; "
                          "the state of its circuits is unknown"))
        faults.append({"node": _node("gateway", g, gname), "kind": "gateway_offline",
                       "power": False, "cause": None, "devices": sorted(d.id for d in ds),
                       "affected_circuits": circuits,
                       "affected_devices": sorted(d.id for d in ds), "reasoning": steps})

    # 2. power roots: a power state not explained by a power state upstream
    roots: list[int] = []
    explained: dict[int, int] = {}
    for cid in sorted(site.circuits, key=site.depth):
        if site.state[cid][0] not in POWER:
            continue
        cause = next((u for u in site.upstream_chain(cid) if site.state[u][0] in POWER), None)
        if cause is None:
            roots.append(cid)
        else:
            explained[cid] = cause

    # 3. losses of voltage (or sags) on every observed circuit of a board: upstream of it
    def lift(kind_state: str, candidates: set[int]) -> set[int]:
        taken = set()
        for bid in sorted(site.boards):
            tops = site.top_circuits(bid)
            seen = [c for c in tops if site.state[c][0] != "no_data"]
            if len(seen) < 2 or not all(c in candidates for c in seen):
                continue
            taken.update(seen)
            sub, devs, live = _affected(site, seen)
            affected = sorted({*seen, *sub})
            b = site.boards[bid]
            if kind_state == "dead":
                what = _txt(f"配电箱 {site.board_name(bid)} 的全部 {len(seen)} 个有数据的回路同时"
                            "失压，且都没有断路器报跳闸",
                            f"all {len(seen)} observed circuits of board {site.board_name(bid)} "
                            "lost voltage at once and no breaker reports a trip")
            else:
                what = _txt(f"配电箱 {site.board_name(bid)} 的全部 {len(seen)} 个有数据的回路同时"
                            "出现电压暂降",
                            f"the same sag is seen on all {len(seen)} observed circuits of "
                            f"board {site.board_name(bid)}")
            steps = [what, *([_upstream_step(site, seen[0])] if b["feeder"] else []),
                     _txt(f"共同的上游是配电箱 {site.board_name(bid)} 的进线（或其电源），"
                          "故障定位于此", f"what they share is the incomer of board "
                          f"{site.board_name(bid)} (or its supply): the fault is located there"),
                     *_downstream_step(site, affected, live)]
            faults.append({"node": _node("board", bid, b.get("code") or str(bid), b.get("name")),
                           "kind": "loss_of_voltage" if kind_state == "dead" else "sag",
                           "power": True, "cause": None,
                           "devices": sorted(d.id for c in seen for d in site.on_circuit.get(c, [])),
                           "affected_circuits": affected, "affected_devices": devs,
                           "reasoning": steps})
        return taken

    lifted = lift("dead", {c for c in roots if site.state[c][0] == "dead"})
    # a sag seen on a circuit and below it comes from the most upstream circuit seeing it
    sag_roots = {c for c in site.circuits if site.state[c][0] == "sag"
                 and not any(site.state[u][0] in (*POWER, "sag") for u in site.upstream_chain(c))}
    lifted_sags = lift("sag", sag_roots)

    def circuit_fault(cid: int, steps_extra=()) -> dict:
        st, detail, dev = site.state[cid]
        if st in POWER:
            sub, devs, live = _affected(site, [cid])
        elif st == "sag":
            sub = [c for c in site.subtree(cid) if site.state[c][0] == "sag"]
            devs = sorted(d.id for c in [cid, *sub] for d in site.on_circuit.get(c, []))
            live = []
        else:
            sub, devs, live = [], sorted(d.id for d in site.on_circuit.get(cid, [])), []
        steps = [_describe(site, cid), _upstream_step(site, cid), *steps_extra]
        if st in POWER or (st == "sag" and sub):
            steps += _downstream_step(site, sub, live, phase_loss=st == "phase_loss")
        c = site.circuits[cid]
        return {"node": _node("circuit", cid, c.get("code") or str(cid), c.get("name")),
                "kind": _KIND_OF_STATE[st], "power": True, "cause": detail.get("cause"),
                "devices": [dev.id] if dev else [], "affected_circuits": sub,
                "affected_devices": devs, "reasoning": steps}

    for cid in roots:
        if cid in lifted:
            continue
        below = [c for c, r in explained.items() if r == cid]
        extra = []
        if below:
            extra.append(_txt(f"下游 {len(below)} 个回路的失电由此解释，不另作故障",
                              f"the loss of supply of {len(below)} circuit(s) below is "
                              "explained by it, not counted as separate faults"))
        faults.append(circuit_fault(cid, extra))
    for cid in sorted(sag_roots - lifted_sags, key=site.depth):
        below = [c for c in site.subtree(cid) if site.state[c][0] == "sag"]
        why = (_txt(f"下游 {len(below)} 个回路同时出现同一暂降，而上游未出现：暂降源于本回路",
                    f"the same sag is seen on {len(below)} circuit(s) below it and not upstream: "
                    "it comes from this circuit") if below else
               _txt("只有这一个回路出现暂降：原因在本回路或其负荷",
                    "only this circuit saw the sag: the cause is on it or its loads"))
        faults.append(circuit_fault(cid, [why]))
    powered_down = {c for c in site.circuits if site.state[c][0] in POWER}
    for cid in sorted(site.circuits, key=site.depth):
        if site.state[cid][0] == "fault_indicator":
            faults.append(circuit_fault(cid))

    # 4. flapping devices; silent devices on a gateway that answers
    for d in sorted(states.values(), key=lambda d: d.id):
        if d.gateway_id in dead_gw:
            continue
        up = site.upstream_chain(d.circuit_id) if d.circuit_id in site.circuits else []
        supply_lost = any(u in powered_down for u in up)
        if d.flapping:
            faults.append({
                "node": _node("device", d.id, d.code), "kind": "flapping", "power": False,
                "cause": None, "devices": [d.id], "affected_circuits": [],
                "affected_devices": [d.id], "reasoning": [
                    _txt(f"设备 {d.code} 反复上下线或告警反复出现又消失（抖动）",
                         f"device {d.code} goes on- and offline repeatedly, or its alarm "
                         "comes and goes (flapping)"),
                    _txt("间歇性故障：检查其接线端子、通讯线和供电是否松动；不据此判断下游失电",
                         "an intermittent fault: check its terminals, bus cable and supply for "
                         "a loose contact; nothing downstream is attributed to it")]})
        elif d.online is False and not supply_lost:
            faults.append({
                "node": _node("device", d.id, d.code), "kind": "communication", "power": False,
                "cause": None, "devices": [d.id], "affected_circuits": [],
                "affected_devices": [d.id], "reasoning": [
                    _txt(f"设备 {d.code} 无应答，但其网关下的其他设备仍在应答",
                         f"device {d.code} does not answer while other devices on its "
                         "gateway do"),
                    _txt("上游没有失电：判断为该设备的通讯故障（地址、接线或设备本身）",
                         "nothing upstream lost supply: a communication fault of this device "
                         "(its address, wiring or the device itself)")]})

    order = {"board": 0, "circuit": 1, "gateway": 2, "device": 3}

    def key(f):
        n = f["node"]
        if n["type"] == "circuit":
            depth = site.depth(n["id"])
        elif n["type"] == "board" and site.boards[n["id"]]["feeder"] in site.circuits:
            depth = site.depth(site.boards[n["id"]]["feeder"]) + 1
        else:
            depth = 0
        return (not f["power"], depth, order[n["type"]], n["id"])

    faults.sort(key=key)
    return {"faults": faults,
            "circuits": {cid: site.state[cid][0] for cid in sorted(site.circuits)},
            "unknown_circuits": sorted(c for c in site.circuits
                                       if site.state[c][0] == "no_data")}


def for_device(result: dict, device_id: int, circuit_id: int | None) -> list[dict]:
    """The faults that concern one device: located at it or its circuit, or affecting it."""
    out = []
    for f in result["faults"]:
        n = f["node"]
        if (device_id in f["devices"] or device_id in f["affected_devices"]
                or (n["type"] == "circuit" and n["id"] == circuit_id)
                or (circuit_id is not None and circuit_id in f["affected_circuits"])):
            out.append(f)
    return out
