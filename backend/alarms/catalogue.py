"""The default alarm rules (MISSION.md M2, the tender's table), one entry per rule.

Each rule turns a device's latest values into one number (``value``) compared with a
threshold per level: ``warning`` (预警) and/or ``alarm`` (报警). ``direction`` says which
side is bad; ``clear`` is the hysteresis threshold that must be crossed back before the
alarm clears, so a value hovering at the limit does not flap. ``hold`` is how long the
condition must last before it raises. A breaker-reported trip whose cause is in
``trip_causes`` puts the rule at ``alarm`` level at once (the breaker already acted),
so an over-voltage trip is *one* alarm that says which protection tripped.

Thresholds are in the rule's ``unit``: volts, °C, multiples of the breaker's rated
current In (``In``) or rated power Pn (``Pn``), multiples of its rated residual current
IΔn, percent, Hz of deviation from 50 Hz, or 1 for yes/no conditions. Sites override
them per site, circuit category or device (``alarm_rules``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

NOMINAL_V = 230.0
NOMINAL_HZ = 50.0
DEAD_V = 0.5 * NOMINAL_V          # below this a phase is lost (no voltage), not just low
DEFAULT_RESIDUAL_MA = 30.0
PHASES = ("a", "b", "c")
BREAKER, METER, ENV, TEMP = "breaker", "meter", "env_sensor", "temp_sensor"


@dataclass(frozen=True)
class Limit:
    threshold: float
    clear: float
    hold: float = 0.0              # seconds the condition must last before raising


@dataclass(frozen=True)
class Device:
    """What the rules need to know about a device (from the facility model)."""
    id: int
    kind: str
    rated_current: float | None = None
    rated_power: float | None = None
    rated_residual_current: float | None = None
    nominal_v: float | None = None      # declared phase voltage; None: NOMINAL_V


def dead_v(dev) -> float:
    """Below this a phase is lost (no voltage), not just low: half the nominal."""
    return 0.5 * (dev.nominal_v or NOMINAL_V) if dev is not None else DEAD_V


def voltage_scale(dev) -> float:
    """The factor from the catalogue's volts (stated for NOMINAL_V) to this device's:
    a 10 kV meter's phase voltage is 5.8 kV, which 230 V limits would call an
    over-voltage."""
    return (dev.nominal_v / NOMINAL_V) if dev is not None and dev.nominal_v else 1.0


@dataclass(frozen=True)
class Rule:
    key: str
    kinds: tuple[str, ...]
    zh: str
    en: str
    unit: str
    direction: str                                   # "above" | "below"
    levels: dict[str, Limit]
    value: Callable[[dict, Device], float | None]
    metric: str | None = None                        # the metric the value comes from
    trip_causes: tuple[str, ...] = ()
    # A consequence of something upstream (loss of supply): grouped under the upstream
    # trip that caused it and notified only if nothing upstream explains it.
    groupable: bool = False
    limits_note: str = ""
    extra: dict = field(default_factory=dict)


def _num(values: dict, name: str) -> float | None:
    v = values.get(name)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


_PHASE_KEYS = {prefix: tuple(f"{prefix}_{p}" for p in PHASES)
               for prefix in ("voltage", "current")}


def _phases(values: dict, prefix: str) -> list[float]:
    """The phases present, as numbers (this runs for every breaker on every poll)."""
    out = []
    for key in _PHASE_KEYS[prefix]:
        v = values.get(key)
        if v.__class__ is float or (isinstance(v, (int, float)) and not isinstance(v, bool)):
            out.append(float(v))
    return out


def max_voltage(values, dev):
    vs = _phases(values, "voltage")
    return max(vs) if vs else None


def min_voltage(values, dev):
    vs = _phases(values, "voltage")
    return min(vs) if vs else None


def max_temperature(values, dev):
    temps = [v for k in values if k.startswith("temperature")
             if (v := _num(values, k)) is not None]
    return max(temps) if temps else None


def load_ratio(values, dev):
    currents = _phases(values, "current")
    if not currents or not dev.rated_current:
        return None
    return max(currents) / dev.rated_current


def power_ratio(values, dev):
    p = _num(values, "active_power")
    if p is None or not dev.rated_power:
        return None
    return p / dev.rated_power


def residual_ratio(values, dev):
    leak = _num(values, "leakage_current")
    if leak is None:
        return None
    return leak / (dev.rated_residual_current or DEFAULT_RESIDUAL_MA)


def phase_loss(values, dev):
    vs = _phases(values, "voltage")
    if len(vs) < 3:
        return None
    lost = sum(1 for v in vs if v < dead_v(dev))
    return 1.0 if 0 < lost < 3 else 0.0


def voltage_imbalance(values, dev):
    """Largest deviation from the mean, % of the mean (the usual field approximation of
    GB/T 15543's negative-sequence ratio); only while every phase is energised."""
    vs = _phases(values, "voltage")
    if len(vs) < 3 or min(vs) < dead_v(dev):
        return None
    mean = sum(vs) / 3
    return 100.0 * max(abs(v - mean) for v in vs) / mean


IMBALANCE_MIN_LOAD = 0.5     # x In: below this an uneven split heats nothing


def current_imbalance(values, dev):
    """(max - min) / max, %, only while the most loaded phase carries at least half of In:
    final circuits of single-phase loads are always somewhat uneven, and it is on a loaded
    line that the neutral current and the hottest phase become a hazard."""
    cs = _phases(values, "current")
    if len(cs) < 3 or not dev.rated_current or max(cs) < IMBALANCE_MIN_LOAD * dev.rated_current:
        return None
    return 100.0 * (max(cs) - min(cs)) / max(cs)


def frequency_deviation(values, dev):
    f = _num(values, "frequency")
    vs = _phases(values, "voltage")
    if f is None or (vs and max(vs) < dead_v(dev)):   # a dead line has no frequency to judge
        return None
    return abs(f - NOMINAL_HZ)


def env_temperature(values, dev):
    return _num(values, "temperature")


def humidity(values, dev):
    return _num(values, "humidity")


def water_leak(values, dev):
    v = values.get("water_leak")
    return None if v is None else (1.0 if v is True else 0.0)


def high_water(values, dev):
    v = values.get("high_water")
    return None if v is None else (1.0 if v is True else 0.0)


def nothing(values, dev):
    """Rules driven by something other than values (trip causes, communication)."""
    return None


ELECTRIC = (BREAKER, METER)
RULES: dict[str, Rule] = {r.key: r for r in (
    Rule("over_voltage", ELECTRIC, "过压", "Over-voltage", "V", "above",
         {"warning": Limit(250, 245), "alarm": Limit(275, 255)}, max_voltage, "voltage",
         trip_causes=("over_voltage",)),
    Rule("under_voltage", ELECTRIC, "欠压", "Under-voltage", "V", "below",
         {"warning": Limit(190, 195), "alarm": Limit(160, 185)}, min_voltage, "voltage",
         trip_causes=("under_voltage",), groupable=True),
    Rule("over_temperature", (BREAKER, TEMP), "超温", "Over-temperature", "°C", "above",
         {"warning": Limit(65, 60), "alarm": Limit(90, 80)}, max_temperature, "temperature",
         trip_causes=("over_temperature",)),
    Rule("overload", (BREAKER,), "过载", "Overload", "In", "above",
         {"warning": Limit(0.8, 0.75), "alarm": Limit(1.2, 1.0)}, load_ratio, "current",
         trip_causes=("overload",)),
    Rule("over_power", (BREAKER,), "功率超限", "Active power over limit", "Pn", "above",
         {"warning": Limit(0.8, 0.75), "alarm": Limit(1.5, 1.2)}, power_ratio, "active_power",
         trip_causes=("over_power",)),
    Rule("residual_current", (BREAKER,), "剩余电流", "Residual current", "IΔn", "above",
         {"warning": Limit(0.5, 0.4), "alarm": Limit(1.0, 0.8)}, residual_ratio,
         "leakage_current", trip_causes=("residual_current",)),
    Rule("phase_loss", ELECTRIC, "缺相", "Phase loss", "", "above",
         {"alarm": Limit(1, 1)}, phase_loss, "voltage", trip_causes=("phase_loss",),
         groupable=True),
    Rule("voltage_imbalance", ELECTRIC, "电压不平衡", "Voltage imbalance", "%", "above",
         {"warning": Limit(2, 1.8, hold=60), "alarm": Limit(4, 3.6, hold=60)},
         voltage_imbalance, "voltage"),
    Rule("current_imbalance", ELECTRIC, "电流不平衡", "Current imbalance", "%", "above",
         {"warning": Limit(25, 22, hold=300), "alarm": Limit(40, 36, hold=300)},
         current_imbalance, "current"),
    Rule("frequency", ELECTRIC, "频率偏差", "Frequency deviation", "Hz", "above",
         {"warning": Limit(0.2, 0.15, hold=10), "alarm": Limit(0.5, 0.4, hold=10)},
         frequency_deviation, "frequency"),
    Rule("env_temperature", (ENV,), "环境高温", "High room temperature", "°C", "above",
         {"warning": Limit(35, 33), "alarm": Limit(40, 38)}, env_temperature, "temperature"),
    Rule("humidity", (ENV,), "环境高湿", "High humidity", "%RH", "above",
         {"warning": Limit(80, 75, hold=30), "alarm": Limit(90, 85, hold=30)}, humidity,
         "humidity"),
    Rule("water_leak", (ENV,), "水浸", "Water leak", "", "above",
         {"alarm": Limit(1, 1)}, water_leak, "water_leak"),
    Rule("high_water", (ENV,), "高水位", "High water level", "", "above",
         {"alarm": Limit(1, 1)}, high_water, "high_water"),
    Rule("trip", (BREAKER,), "断路器跳闸", "Breaker tripped", "", "above",
         {"alarm": Limit(1, 1)}, nothing, "trip_cause",
         trip_causes=("short_circuit", "test", "other")),
    Rule("comm_loss", (BREAKER, METER, ENV, TEMP), "通讯中断", "Communication lost", "",
         "above", {"alarm": Limit(1, 1)}, nothing, None, groupable=True),
)}
# Not per device: every device behind a gateway stopped answering (the root of their
# comm_loss alarms).
GATEWAY_RULE = Rule("gateway_offline", (), "网关离线", "Gateway offline", "", "above",
                    {"alarm": Limit(1, 1)}, nothing)
# Not per device: the platform stopped polling a site (its poll shard finished no cycle
# within its stale time, backend/liveness.py); raised by the watchdog job. The hold covers
# the start, before the first cycle has finished.
POLLING_RULE = Rule("polling_stopped", (), "数据采集中断", "Polling stopped", "", "above",
                    {"alarm": Limit(1, 1, hold=15)}, nothing)
# Not evaluated: raised and cleared by a linkage rule's alarm action (backend/alarms/raised.py,
# docs/automation.md); its levels are the ones an action may ask for.
LINKAGE_RULE = Rule("linkage", (), "联动告警", "Linkage alarm", "", "above",
                    {"warning": Limit(1, 1), "alarm": Limit(1, 1)}, nothing)
# Not evaluated: a KNX gateway's connection lost, raised and cleared by the KNX process
# (backend/alarms/knx_link.py, docs/knx.md).
KNX_RULE = Rule("knx_offline", (), "KNX通讯中断", "KNX communication lost", "", "above",
                {"alarm": Limit(1, 1)}, nothing)
# Not per device: a site box's uplink backlog is older than its threshold (the centre has
# not acknowledged its oldest row; backend/sitelink/watch.py, docs/sitelink.md).
UPLINK_RULE = Rule("uplink_backlog", (), "上传积压", "Uplink backlog", "", "above",
                   {"warning": Limit(1, 1)}, nothing)
ALL_RULES = {**RULES, GATEWAY_RULE.key: GATEWAY_RULE, POLLING_RULE.key: POLLING_RULE,
             LINKAGE_RULE.key: LINKAGE_RULE, KNX_RULE.key: KNX_RULE,
             UPLINK_RULE.key: UPLINK_RULE}
RULE_BY_TRIP_CAUSE = {cause: r.key for r in RULES.values() for cause in r.trip_causes}
VALUE_RULES = tuple(r for r in RULES.values() if r.key != "comm_loss")


def rules_for(kind: str) -> tuple[Rule, ...]:
    return tuple(r for r in VALUE_RULES if kind in r.kinds)


def crossed(direction: str, value: float, threshold: float) -> bool:
    return value >= threshold if direction == "above" else value <= threshold


def cleared(direction: str, value: float, clear: float) -> bool:
    return value < clear if direction == "above" else value > clear
