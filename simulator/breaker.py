"""The simulated IoT breaker: measurement, its own protection, mode switch, auto-reclose.

Protection (checked every tick while closed, in this order; limits are the device's
settings, defaults from MISSION.md M2):

=================  ==========================================  =========  ==============
cause              condition                                   LED        auto-reclose
=================  ==========================================  =========  ==============
phase_loss         3P+N, 1-2 phases below 50 % of 230 V         voltage    no
over_voltage       any phase >= over_voltage_trip (275 V)      voltage    yes
under_voltage      any phase <= under_voltage_trip (160 V)     voltage    yes
short_circuit      current >= magnetic limit (B 5, C 10, D 15 In)  current  no
overload           current >= overload_trip (1.2 In) or 1.45 In  current  no
over_power         active power >= power_limit (1.5 Pn)        current    no
over_temperature   hottest terminal >= over_temperature_trip   temperature no
residual_current   leakage >= rated_residual_current, if       residual   no
                   residual_protection is on
=================  ==========================================  =========  ==============

Auto-reclose: after an over/under-voltage trip, in mode ``auto`` with ``auto_reclose`` on,
the breaker closes again once every phase has stayed within
[under_voltage_reclose, over_voltage_reclose] (185..255 V) for ``reclose_delay`` seconds.

Remote commands take effect after the operating time of the motor operator
(``OPERATE_S``, 0.1 s: the state reads the old value until then), as a real breaker's do;
a breaker with the fault ``stuck`` accepts writes and does nothing (a seized operator).

Mode switch: ``auto`` accepts remote open/close/reset; ``manual`` and ``maintenance`` refuse
them with Modbus exception 01 ILLEGAL FUNCTION ("the server is in the wrong state to process
a request of this type", Modbus Application Protocol v1.1b3, 7) and nothing changes.
Hand operation (fault injection ``hand``) works in auto and manual, not in maintenance.
``trip_cause`` tells why the breaker is open; it returns to ``none`` when the breaker
closes (by any means) or on reset, and so do the fault LEDs.
"""
from __future__ import annotations

import time

from backend.field.profile import load_profile
from simulator.devices import ILLEGAL_FUNCTION, Device, neutral


def _reference():
    """The reference breaker's profile: its setting defaults stand in for limits a
    vendor's profile does not map."""
    return load_profile("gw-breaker")

LED = {"over_voltage": "voltage", "under_voltage": "voltage", "phase_loss": "voltage",
       "overload": "current", "short_circuit": "current", "over_power": "current",
       "over_temperature": "temperature", "residual_current": "residual_current"}
MAGNETIC = {"B": 5.0, "C": 10.0, "D": 15.0}
THERMAL = 1.45
NOMINAL_V = 230.0
POLES_CODE = {"1P": "1P", "1P+N": "1P+N", "3P": "3P", "3P+N": "3P+N"}
OPERATE_S = 0.1         # motor operator: a remote open/close/reset takes effect after this


class Breaker(Device):
    kind = "breaker"

    def __init__(self, spec, profile, node, rnd):
        super().__init__(spec, profile, node, rnd)
        # A vendor profile may expose few settings: the protection model still needs every
        # limit (the reference breaker's defaults for those it does not map).
        for name, setting in _reference().settings.items():
            self.settings.setdefault(name, setting.default)
        self.poles = spec.poles if spec.poles in POLES_CODE else "3P+N"
        self.three = self.poles.startswith("3")
        self.has_n = self.poles.endswith("+N")
        self.phases = "abc" if self.three else "a"
        self.rated = float(spec.rated_current or 63.0)
        self.rated_power = float(spec.rated_power or
                                 round(self.rated * NOMINAL_V * (3 if self.three else 1) / 1000, 1))
        self.curve = spec.trip_curve if spec.trip_curve in MAGNETIC else "C"
        self.settings.update(rated_current=self.rated, pole_config=self.poles,
                             trip_curve=self.curve, rated_power=self.rated_power)
        if spec.rated_residual_current:
            self.settings.update(rated_residual_current=float(spec.rated_residual_current),
                                 residual_protection=True)
        # attributes.normally_open: a transfer switch's standby side, open until switched
        self.closed = not getattr(spec, "normally_open", False)
        self.mode = "auto"
        self.trip_cause = "none"
        self.leds: set[str] = set()
        self.recover = 0.0
        self.temps = [28.0] * 4                   # terminals a, b, c, n
        self.leak_base = rnd.uniform(0.5, 4.0) if self.has_n else rnd.uniform(0.2, 1.5)
        self.e_imp = self.rated_power * rnd.uniform(100, 2000) * 0.4
        self.e_q = self.e_imp * 0.3
        self.values = {}
        self.stuck = False                        # fault: accepts writes, never operates
        self.pending: tuple[str, float] | None = None   # a remote command operating

    def expand(self, name: str) -> list[str]:
        if name == "temperature":
            return [f"temperature_{p}" for p in "abcn"]
        return super().expand(name)

    # -- controls -----------------------------------------------------------------------
    def command(self, name: str, source: str = "remote") -> int | None:
        if source == "remote":
            if self.mode != "auto":
                return ILLEGAL_FUNCTION
            if not self.stuck:
                self.pending = (name, time.monotonic() + OPERATE_S)
            return None
        self.pending = None
        self._operate(name)
        return None

    def settle(self) -> None:
        """Apply a remote command whose operating time has passed."""
        if self.pending and time.monotonic() >= self.pending[1]:
            name, self.pending = self.pending[0], None
            self._operate(name)

    def read(self, table: str, address: int, count: int) -> list | None:
        self.settle()
        return super().read(table, address, count)

    def _operate(self, name: str) -> None:
        if name == "close":
            self.closed, self.trip_cause, self.leds = True, "none", set()
        elif name == "open":
            self.closed, self.trip_cause = False, "none"
        elif name == "reset":
            self.trip_cause, self.leds = "none", set()
        self._publish_state()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self._publish_state()

    def hand(self, state: str) -> bool:
        """Operate the handle; False (refused) in maintenance (locked out)."""
        if self.mode == "maintenance":
            return False
        self.command("close" if state == "closed" else "open", source="hand")
        return True

    def trip(self, cause: str) -> None:
        self.closed = False
        self.trip_cause = cause
        if cause in LED:
            self.leds.add(LED[cause])
        self.recover = 0.0
        self._publish_state()

    def bits(self, table: str) -> dict[int, bool]:
        return {0: self.closed, 1: False} if table == "coil" else {}

    def _publish_state(self) -> None:
        self.values.update(switch_state="closed" if self.closed else "open", mode=self.mode,
                           trip_cause=self.trip_cause, fault_indicators=sorted(self.leds))
        if not self.closed:
            for k in list(self.values):
                if k.startswith(("current_", "active_power", "reactive_power",
                                 "apparent_power")) or k == "leakage_current":
                    self.values[k] = 0.0

    # -- one tick -----------------------------------------------------------------------
    def step(self, ctx) -> None:
        self.settle()
        n, ov = self.node, self.overrides
        idx = [0, 1, 2] if self.three else [n.phases[0]]
        v = [ov.get(f"voltage_{p}", max(0.0, n.line_v[k] + self.rnd.gauss(0, 0.15)))
             for p, k in zip(self.phases, idx)]
        if self.closed:
            i = [ov.get(f"current_{p}", n.i[k]) for p, k in zip(self.phases, idx)]
        else:
            i = [0.0] * len(idx)
        forced_i = any(f"current_{p}" in ov for p in self.phases)
        p_ph = [(vk * ik * n.pf / 1000) if forced_i or not self.closed else n.p[k]
                for vk, ik, k in zip(v, i, idx)]
        if not self.closed:
            p_ph = [0.0] * len(idx)
        p_tot = sum(p_ph)
        q_tot = sum(n.q[k] for k in idx) if self.closed and not forced_i else p_tot * n.tanphi
        s_tot = (p_tot * p_tot + q_tot * q_tot) ** 0.5
        i_n = (neutral(i) if self.three else i[0]) if self.has_n else 0.0
        load = max(i) / self.rated if i else 0.0
        # terminal temperatures: first-order lag towards ambient + rise ~ (I/In)^2
        for k, ik in enumerate(i + [0.0] * (3 - len(i)) + [i_n]):
            target = ctx.ambient + 40.0 * (ik / self.rated) ** 2
            self.temps[k] += (target - self.temps[k]) * ctx.alpha
        for k, p in enumerate("abcn"):
            if f"temperature_{p}" in ov:
                self.temps[k] = float(ov[f"temperature_{p}"])
        present = [self.temps[k] for k, p in enumerate("abcn")
                   if p in self.phases or (p == "n" and self.has_n)]
        leak = 0.0
        if self.closed:
            leak = max(0.0, self.leak_base * (0.3 + 0.7 * min(load, 1.5))
                       + self.rnd.gauss(0, 0.05 * self.leak_base))
            leak = float(ov.get("leakage_current", leak))
        self.e_imp += max(p_tot, 0.0) * ctx.dt / 3600
        self.e_q += abs(q_tot) * ctx.dt / 3600
        vals = {"voltage_" + p: vk for p, vk in zip(self.phases, v)}
        vals.update({"current_" + p: ik for p, ik in zip(self.phases, i)})
        vals.update({"active_power_" + p: pk for p, pk in zip(self.phases, p_ph)})
        if self.has_n:
            vals["current_n"] = i_n
            vals["temperature_n"] = self.temps[3]
        for k, p in enumerate(self.phases):
            vals["temperature_" + p] = self.temps[k]
        vals.update(temperature=max(present), leakage_current=leak, frequency=ctx.frequency,
                    active_power=p_tot, reactive_power=q_tot, apparent_power=s_tot,
                    power_factor=(p_tot / s_tot) if s_tot else 1.0,
                    energy_import=self.e_imp, energy_export=0.0, reactive_energy=self.e_q)
        self.values = vals
        if self.closed:
            cause = self._check(v, i, p_tot, max(present), leak)
            if cause:
                self.trip(cause)
        else:
            self._reclose(v, ctx.dt)
        self._publish_state()

    def _check(self, v, i, p_tot, t_max, leak) -> str | None:
        s = self.settings
        if self.poles == "3P+N" and s["phase_loss_protection"]:
            lost = sum(1 for x in v if x < 0.5 * NOMINAL_V)
            if 0 < lost < 3:
                return "phase_loss"
        if max(v) >= s["over_voltage_trip"]:
            return "over_voltage"
        if min(v) <= s["under_voltage_trip"]:
            return "under_voltage"
        i_max = max(i)
        if i_max >= MAGNETIC[self.curve] * self.rated:
            return "short_circuit"
        if i_max >= s["overload_trip"] * self.rated or i_max >= THERMAL * self.rated:
            return "overload"
        if self.rated_power and p_tot >= s["power_limit"] * self.rated_power:
            return "over_power"
        if t_max >= s["over_temperature_trip"]:
            return "over_temperature"
        if s["residual_protection"] and leak >= s["rated_residual_current"]:
            return "residual_current"
        return None

    def _reclose(self, v, dt: float) -> None:
        s = self.settings
        if (self.trip_cause not in ("over_voltage", "under_voltage") or self.mode != "auto"
                or not s["auto_reclose"]):
            self.recover = 0.0
            return
        if all(s["under_voltage_reclose"] <= x <= s["over_voltage_reclose"] for x in v):
            self.recover += dt
            if self.recover >= s["reclose_delay"]:
                self.closed, self.trip_cause, self.leds, self.recover = True, "none", set(), 0.0
        else:
            self.recover = 0.0
