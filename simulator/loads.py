"""Daily load curves per circuit category and the site's supply.

A curve is 24 hourly values (fraction of the circuit's peak load) interpolated linearly;
the value for a category is computed once per tick and shared by every circuit of it, so a
tick costs a few multiplications per circuit. The curves describe a detention centre:
lights are on at night in the cell blocks and peak in the evening, the kitchen cooks three
meals, air conditioning follows the afternoon heat, pumps run in duty cycles.
"""
from __future__ import annotations

import math
import random

_H = {
    #             0    1    2    3    4    5    6    7    8    9   10   11   12   13   14   15   16   17   18   19   20   21   22   23
    "lighting": (.45, .40, .40, .40, .40, .45, .75, .70, .45, .35, .30, .30, .35, .30, .30, .35, .45, .75, .95, 1.0, 1.0, .95, .70, .50),
    "kitchen":  (.05, .05, .05, .05, .30, .80, 1.0, .60, .25, .35, .80, 1.0, .70, .25, .15, .30, .85, 1.0, .60, .20, .10, .05, .05, .05),
    "ac":       (.40, .38, .36, .35, .35, .35, .40, .45, .55, .65, .75, .85, .90, .95, 1.0, 1.0, .95, .85, .75, .65, .55, .50, .45, .42),
    "heating":  (.60, .60, .65, .70, .80, .95, 1.0, .90, .70, .50, .40, .35, .30, .30, .30, .35, .45, .60, .75, .80, .75, .70, .65, .60),
    "fan":      (.30, .30, .30, .30, .30, .35, .60, .70, .75, .80, .85, .90, .90, .90, .90, .85, .80, .75, .70, .60, .50, .40, .35, .30),
    "power":    (.25, .22, .20, .20, .20, .25, .40, .60, .85, .95, 1.0, .95, .75, .80, .95, 1.0, .95, .80, .60, .50, .45, .40, .35, .30),
    "socket":   (.15, .10, .10, .10, .10, .15, .35, .55, .80, .90, .95, .90, .70, .75, .90, .95, .90, .75, .60, .55, .50, .40, .30, .20),
    "it":       (.70, .70, .70, .70, .70, .70, .72, .78, .90, .95, 1.0, 1.0, .95, .95, 1.0, 1.0, .95, .90, .85, .80, .78, .75, .72, .70),
    "security_critical": (.80,) * 24,
    "fire":     (.05,) * 24,
    "elevator": (.05, .05, .05, .05, .05, .10, .40, .70, .80, .60, .50, .60, .70, .50, .50, .55, .60, .70, .50, .30, .20, .10, .05, .05),
    "other":    (.40,) * 24,
    "incomer":  (.50,) * 24,
}
_H["pump"] = (1.0,) * 24            # pumps: duty cycles, see CategoryClock
POWER_FACTOR = {"lighting": 0.95, "kitchen": 0.92, "ac": 0.85, "heating": 0.99, "fan": 0.80,
                "pump": 0.82, "power": 0.90, "socket": 0.93, "it": 0.96, "elevator": 0.80,
                "security_critical": 0.95, "fire": 0.85, "other": 0.90, "incomer": 0.92}


def curve(category: str, hour: float) -> float:
    """Load fraction for ``category`` at ``hour`` (0..24, fractional)."""
    h = _H.get(category, _H["other"])
    i = int(hour) % 24
    frac = hour - int(hour)
    return h[i] + (h[(i + 1) % 24] - h[i]) * frac


# The weather air conditioning follows: a city of the Sichuan basin (about 30.6° N): an
# annual mean of 16.5 °C, 10 K either side (coldest mid-January, warmest late July), and a
# daily swing of 4.5 K either side, warmest at 15:00.
OUTDOOR_MEAN, OUTDOOR_SEASON, OUTDOOR_DAY = 16.5, 10.0, 4.5
WARMEST_DAY, WARMEST_HOUR = 205, 15.0
COOL_ABOVE, HEAT_BELOW = 24.0, 12.0       # °C: AC cools above, heats (heat pump) below


def outdoor_temperature(day_of_year: float, hour: float) -> float:
    """The outdoor temperature (°C) on ``day_of_year`` (1..366) at local ``hour``."""
    season = math.cos(2 * math.pi * (day_of_year - WARMEST_DAY) / 365.0)
    day = math.cos(2 * math.pi * (hour - WARMEST_HOUR) / 24.0)
    return OUTDOOR_MEAN + OUTDOOR_SEASON * season + OUTDOOR_DAY * day


def ac_demand(outdoor: float) -> float:
    """How hard the air conditioning works at an outdoor temperature, 0.15 (fans only,
    mild weather) .. 1.0 (36 °C and above, or 2 °C and below)."""
    if outdoor > COOL_ABOVE:
        need = (outdoor - COOL_ABOVE) / 12.0
    elif outdoor < HEAT_BELOW:
        need = (HEAT_BELOW - outdoor) / 10.0
    else:
        need = 0.0
    return 0.15 + 0.85 * min(need, 1.0)


class CategoryClock:
    """Per-tick curve values for every category (one lookup per category per tick). With
    a day of the year, air conditioning is its occupancy curve times the weather's demand
    (``ac_demand`` of the outdoor temperature); without one, the occupancy curve only."""

    def __init__(self):
        self.values: dict[str, float] = {}
        self.outdoor: float | None = None

    def update(self, seconds_of_day: float, day_of_year: float | None = None) -> None:
        hour = seconds_of_day / 3600.0
        self.values = {c: curve(c, hour) for c in _H}
        if day_of_year is not None:
            self.outdoor = outdoor_temperature(day_of_year, hour)
            self.values["ac"] *= ac_demand(self.outdoor)


def load_factor(category: str, seconds_of_day: float, day_of_year: float | None = None,
                t: float = 0.0, phase: float = 0.0) -> float:
    """One circuit's fraction of its peak load at a local time: the category's curve, the
    weather for AC, duty cycles for pumps (``t``, ``phase``); what the simulator's grid
    and the demo's history use."""
    if category == "pump":
        return 1.0 if pump_on(t, phase) else 0.02
    f = curve(category, seconds_of_day / 3600.0)
    if category == "ac" and day_of_year is not None:
        f *= ac_demand(outdoor_temperature(day_of_year, seconds_of_day / 3600.0))
    return f


def pump_on(t: float, phase: float, period: float = 1800.0, duty: float = 0.3) -> bool:
    """Pumps run ``duty`` of every ``period`` seconds, each with its own phase."""
    return ((t / period + phase) % 1.0) < duty


class Supply:
    """The site's three phase voltages and frequency: 230 V with a slow daily swing (higher
    at night when the load is low) and noise; frequency 50 Hz +- a few mHz."""

    def __init__(self, rnd: random.Random, nominal: float = 230.0):
        self.rnd = rnd
        self.nominal = nominal
        self.bias = [rnd.uniform(-1.5, 1.5) for _ in range(3)]
        self.v = [nominal] * 3
        self.f = 50.0
        self.drift = 0.0                 # noise around 50 Hz
        self.f_offset = 0.0              # fault injection: a frequency drift (Hz)
        self.f_until: float | None = None

    def update(self, seconds_of_day: float, t: float = 0.0) -> None:
        swing = 3.0 * math.cos(2 * math.pi * (seconds_of_day / 86400.0 - 3 / 24))
        g = self.rnd.gauss
        self.v = [self.nominal + swing + b + g(0, 0.6) for b in self.bias]
        if self.f_until is not None and t >= self.f_until:
            self.f_offset, self.f_until = 0.0, None
        self.drift = 0.8 * self.drift + g(0, 0.004)
        self.f = 50.0 + self.drift + self.f_offset
