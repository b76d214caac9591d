"""The simulated load controller (profile gw-load): a relay and a dimmer in front of one
load (lighting, a fan, a pump, an air conditioner).

Its power is the load's rated power times the dimmer level while the relay is on. In
``auto`` (its local override switch) it accepts remote on/off/dim; in ``manual`` it
refuses them with Modbus exception 01 ILLEGAL FUNCTION, as the breakers do; a level
outside 0..100 is exception 03 ILLEGAL DATA VALUE. The fault op ``mode`` sets the switch.
A load with a linkage role (a drainage pump, a siren, a room's light: ``attributes.role``
in the facility file) is standby equipment and starts off; others start on.
"""
from __future__ import annotations

from simulator.devices import ILLEGAL_FUNCTION, ILLEGAL_VALUE, Device


class LoadController(Device):
    kind = "load"

    def __init__(self, *a):
        super().__init__(*a)
        self.on = not getattr(self.spec, "role", None)
        self.level = 100.0
        self.mode = "auto"
        self.rated = float(self.spec.rated_power or 1.0)        # kW at full level
        self.energy = self.rnd.uniform(10, 500)
        dim = self.profile.controls.get("dim")
        self.dim_address = dim.address if dim else None
        self._publish(230.0)

    # -- remote side --------------------------------------------------------------------
    def command(self, name: str, source: str = "remote") -> int | None:
        if source == "remote" and self.mode != "auto":
            return ILLEGAL_FUNCTION
        if name not in ("on", "off"):
            return ILLEGAL_FUNCTION
        self.on = name == "on"
        self._publish()
        return None

    def write(self, table: str, address: int, values: list) -> int | None:
        if table == "holding" and address == self.dim_address and len(values) == 1:
            if self.mode != "auto":
                return ILLEGAL_FUNCTION
            if not 0 <= values[0] <= 100:
                return ILLEGAL_VALUE
            self.level = float(values[0])
            self._publish()
            return None
        return super().write(table, address, values)

    def set_mode(self, mode: str) -> None:
        self.mode = mode if mode in ("auto", "manual") else "manual"
        self._publish()

    # -- one tick -----------------------------------------------------------------------
    def step(self, ctx) -> None:
        volts = self.node.line_v[self.node.phases[0]] if self.node else 230.0
        self.energy += self.values.get("active_power", 0.0) * ctx.dt / 3600
        self._publish(volts)

    def _publish(self, volts: float | None = None) -> None:
        volts = volts if volts is not None else self.values.get("voltage_a", 230.0)
        power = self.rated * self.level / 100 if self.on else 0.0
        self.values.update(switch_state="closed" if self.on else "open", dim_level=self.level,
                           voltage_a=volts, current_a=power * 1000 / volts if volts else 0.0,
                           active_power=power, energy_import=self.energy, mode=self.mode)
