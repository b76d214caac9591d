"""The one vocabulary of device states and alarm levels, with the codes they are stored as.

Device profiles (backend/field/profile.py) validate against these names, the codec
outputs them, telemetry stores the codes (backend/models/telemetry.py) and the API
returns the names; the alarm messages use the Chinese labels.
"""
from __future__ import annotations

SWITCH_STATES = {"open": 0, "closed": 1}
# The boolean states (a water probe, a float switch): stored 0/1, returned as JSON booleans.
BOOLEAN_METRICS = ("water_leak", "high_water")
MODES = {"auto": 0, "manual": 1, "maintenance": 2}
TRIP_CAUSES = {"none": 0, "over_voltage": 1, "under_voltage": 2, "phase_loss": 3,
               "overload": 4, "short_circuit": 5, "over_power": 6, "over_temperature": 7,
               "residual_current": 8, "test": 9, "other": 10}
# The breaker's local fault LEDs, stored as a bitmask, returned as a list of names.
FAULT_INDICATOR_BITS = {"voltage": 0, "current": 1, "temperature": 2, "residual_current": 3}

TRIP_ZH = {"over_voltage": "过压", "under_voltage": "欠压", "phase_loss": "缺相",
           "overload": "过载", "short_circuit": "短路", "over_power": "功率超限",
           "over_temperature": "超温", "residual_current": "漏电", "test": "试验",
           "other": "其他"}

# Alarm levels, lowest first (预警, 报警).
LEVELS = ("warning", "alarm")
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS, start=1)}


def nominal_phase_voltage(attributes: dict | None) -> float | None:
    """A device's declared nominal phase (line-to-neutral) voltage, V, from its
    ``attributes``: ``nominal_voltage`` (phase volts) or ``nominal_kv`` (the system's
    line-to-line kV, as a high-side meter behind PTs declares it: kV x 1000 / √3); None
    when it declares neither (the 230 V / 220 V defaults apply)."""
    attrs = attributes or {}
    for key, factor in (("nominal_voltage", 1.0), ("nominal_kv", 1000 / 3 ** 0.5)):
        v = attrs.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0:
            return float(v) * factor
    return None
