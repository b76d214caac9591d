"""The supply tree: voltages flow down, loads add up.

Every circuit is a node. Per tick, top-down: a node's line side has its parent's load-side
voltages (the site supply for a root); its load side is live when its breaker (if any) is
closed. Bottom-up: a node's currents and powers are its own local load (its category's daily
curve, per-circuit noise) plus its children's, and zero when its load side is dead. So an
incomer meter reads the sum of its feeders, an open upstream breaker de-energizes (and
under-voltage-trips) everything below it, and energy agrees across levels.

Single-pole circuits (1P, 1P+N breakers) carry their load on one supply phase, assigned in
rotation; their breaker reports it as phase a.

A power-quality disturbance (fault injection ``disturb``) scales a node's line-side
voltages per phase (a sag, a swell, an unbalance, an interruption) and may set its voltage
THD, so the node's own devices and everything below it see it, until cleared or for a
number of simulated seconds.
"""
from __future__ import annotations

import math
import random

from simulator.loads import POWER_FACTOR, CategoryClock, Supply, pump_on

ZERO = (0.0, 0.0, 0.0)


class Node:
    __slots__ = (
        "breaker",
        "category",
        "children",
        "code",
        "disturb",
        "disturb_until",
        "i",
        "line_thd",
        "line_v",
        "load_v",
        "noise",
        "p",
        "parent",
        "peak",
        "pf",
        "phases",
        "phf",
        "pump_phase",
        "q",
        "rated",
        "standby",
        "tanphi",
        "thd",
        "via",
    )

    def __init__(self, code: str, category: str, rnd: random.Random):
        self.code, self.category = code, category
        self.parent: Node | None = None
        self.children: list[Node] = []
        self.breaker = None
        self.phases = [0, 1, 2]
        self.rated = 0.0
        self.peak = 0.0
        self.pf = POWER_FACTOR.get(category, 0.9)
        self.tanphi = math.tan(math.acos(self.pf))
        self.noise = 1.0
        self.phf = [rnd.uniform(0.85, 1.15) for _ in range(3)]
        self.pump_phase = rnd.random()
        self.line_v = self.load_v = ZERO
        self.i, self.p, self.q = [0.0] * 3, [0.0] * 3, [0.0] * 3
        self.disturb: tuple[float, float, float] | None = None   # line-side factors
        self.disturb_until: float | None = None                  # simulated time
        self.thd: float | None = None          # injected voltage THD (%), spreads down
        self.line_thd: float | None = None
        # a transfer switch's normal side: its standby node, and the node that feeds this
        # one's children now (the standby while this side is dead and it is live) or None
        self.standby: Node | None = None
        self.via: Node | None = None


class Grid:
    def __init__(self, circuits, devices_by_circuit: dict, rnd: random.Random):
        """``circuits``: CircuitSpec list; ``devices_by_circuit``: code -> [DeviceSpec]."""
        self.rnd = rnd
        self.nodes: dict[str, Node] = {c.code: Node(c.code, c.category, rnd) for c in circuits}
        for c in circuits:
            if c.parent in self.nodes and c.parent != c.code:
                self.nodes[c.code].parent = self.nodes[c.parent]
                self.nodes[c.parent].children.append(self.nodes[c.code])
        for c in circuits:
            sb = getattr(c, "standby", None)
            if sb in self.nodes and sb != c.code:
                self.nodes[c.code].standby = self.nodes[sb]
        self.order = self._topological()
        self._pairs = [n for n in self.order if n.standby is not None]
        standbys = {n.standby.code for n in self._pairs}
        rot = 0
        for node in self.order:
            brk = next((d for d in devices_by_circuit.get(node.code, ())
                        if d.kind == "breaker"), None)
            if brk is not None:
                node.rated = float(brk.rated_current or 63.0)
                if brk.rated_power:
                    # A line's power limit Pn can be below what its breaker's In allows:
                    # the load is sized to the smaller, as an electrician would.
                    phases = 3 if (brk.poles or "3P").startswith("3") else 1
                    in_pn = brk.rated_power * 1000 / (230.0 * phases * 0.95)
                    node.rated = min(node.rated, in_pn)
                if brk.poles in ("1P", "1P+N"):
                    node.phases = [rot % 3]
                    rot += 1
        for node in reversed(self.order):            # unrated nodes: from their children
            if not node.rated:
                node.rated = max(63.0, 0.7 * sum(ch.rated for ch in node.children))
            leaf = not node.children and node.code not in standbys   # a standby: a feeder
            node.peak = node.rated * (rnd.uniform(0.35, 0.7) if leaf else rnd.uniform(0.03, 0.1))
        self.supply = Supply(rnd)
        self.clock = CategoryClock()

    def _topological(self) -> list[Node]:
        order, seen = [], set()
        for root in (n for n in self.nodes.values() if n.parent is None):
            stack = [root]
            while stack:
                n = stack.pop()
                if n.code in seen:
                    continue
                seen.add(n.code)
                order.append(n)
                stack.extend(n.children)
        for n in self.nodes.values():                 # a cycle: cut it, treat as root
            if n.code not in seen:
                n.parent = None
                order.append(n)
                seen.add(n.code)
        if any(n.standby is not None for n in order):
            order = self._with_standbys(order)
        return order

    @staticmethod
    def _with_standbys(order: list[Node]) -> list[Node]:
        """``order`` re-sorted so a transfer switch's standby comes before its normal side
        (whose children it may feed): parents first, and otherwise the same order (Kahn's
        algorithm, ties by the old position). A pair that would make a cycle (the standby
        fed from below the normal side) is left unpaired."""
        import heapq

        pos = {n.code: i for i, n in enumerate(order)}
        deps = {n.code: set() for n in order}
        for n in order:
            if n.parent is not None:
                deps[n.code].add(n.parent.code)
            if n.standby is not None:
                deps[n.code].add(n.standby.code)
        users: dict[str, list[str]] = {}
        for code, ds in deps.items():
            for d in ds:
                users.setdefault(d, []).append(code)
        ready = [pos[c] for c, ds in deps.items() if not ds]
        heapq.heapify(ready)
        out = []
        while ready:
            n = order[heapq.heappop(ready)]
            out.append(n)
            for u in users.get(n.code, ()):
                deps[u].discard(n.code)
                if not deps[u]:
                    heapq.heappush(ready, pos[u])
        if len(out) < len(order):                     # a cycle through a pair: unpair
            for n in order:
                n.standby = None
            return order
        return out

    def add_standalone(self, code: str, category: str, rated: float) -> Node:
        node = Node(code, category, self.rnd)
        node.rated, node.peak = rated, rated * self.rnd.uniform(0.35, 0.7)
        self.nodes[code] = node
        self.order.append(node)
        return node

    def step(self, t: float, seconds_of_day: float, day_of_year: float | None = None) -> None:
        self.supply.update(seconds_of_day, t)
        self.clock.update(seconds_of_day, day_of_year)
        self.propagate(t)
        self._loads(t)

    def propagate(self, t: float) -> None:
        """Voltages (and injected THD) down the tree, from the supply's current values: a
        step's first half, and what a fault injection runs to be felt at once (no random
        draws, so the fleet's sequence is unchanged)."""
        site_v = tuple(self.supply.v)
        for n in self.order:
            src = n.parent.via or n.parent if n.parent is not None else None
            n.line_v = src.load_v if src is not None else site_v
            if n.disturb_until is not None and t >= n.disturb_until:
                n.disturb = n.thd = n.disturb_until = None
            if n.disturb is not None:
                n.line_v = tuple(v * f for v, f in zip(n.line_v, n.disturb))
            n.line_thd = n.thd if n.thd is not None else (
                src.line_thd if src is not None else None)
            n.load_v = n.line_v if n.breaker is None or n.breaker.closed else ZERO
            if n.standby is not None:                 # the standby came first (_topological)
                n.via = n.standby if n.load_v is ZERO and n.standby.load_v is not ZERO \
                    else None

    def _loads(self, t: float) -> None:
        curves = self.clock.values
        gauss = self.rnd.gauss
        # a standby feeding a dead normal side carries that side's children (they come
        # before it in reverse order: _topological)
        fed = {n.via.code: n.children for n in self._pairs if n.via is not None}
        for n in reversed(self.order):
            i, p, q = [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]
            if n.load_v is not ZERO:
                n.noise = 1.0 + 0.9 * (n.noise - 1.0) + gauss(0, 0.03)
                f = curves.get(n.category, 0.4) * n.noise * n.peak
                if n.category == "pump":
                    f = n.peak * (1.0 if pump_on(t, n.pump_phase) else 0.02)
                for k in n.phases:
                    vk = n.load_v[k]
                    if vk > 50.0:
                        ik = max(0.0, f * n.phf[k])
                        i[k] = ik
                        p[k] = vk * ik * n.pf / 1000.0
                        q[k] = p[k] * n.tanphi
                for ch in (n.children + fed[n.code] if n.code in fed else n.children):
                    for k in range(3):
                        i[k] += ch.i[k]
                        p[k] += ch.p[k]
                        q[k] += ch.q[k]
            n.i, n.p, n.q = i, p, q
