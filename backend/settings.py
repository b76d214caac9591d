"""One lookup for operational settings inside services and jobs.

``setting(name)`` returns, in order: ``app.config["GW_<NAME>"]`` (tests, ops overrides),
the current app's ``Settings`` field (env ``GW_<NAME>``, backend/config.py), else the
default: the ``Settings`` field's default, or ``EXTRA_DEFAULTS`` for the tuning knobs
``Settings`` does not declare.
"""
from __future__ import annotations

from dataclasses import fields

from flask import current_app, has_app_context

from backend.config import Settings

EXTRA_DEFAULTS = {
    "telemetry_partitions_ahead": 2,     # months created ahead of the current one
    "telemetry_max_future_seconds": 600, # readings further in the future are rejected
    "event_stream_maxlen": 10_000,       # per-site Redis Stream cap (SSE resume window)
    "sse_heartbeat_seconds": 15.0,       # comment line when nothing happened
    "sse_max_seconds": 3600.0,           # a stream ends (client reconnects) after this
    # A schedule's occurrence found later than this is missed: reported, run late only
    # if the schedule says so (backend/automation/schedule_runner.py).
    "schedule_grace_seconds": 120.0,
    # Energy (docs/energy.md): a longer interval between counter readings is a gap (its
    # energy spread and marked estimated); a feeder whose children miss more than this
    # share of its energy is flagged in the balance.
    "energy_gap_seconds": 1800.0,
    "energy_balance_flag_pct": 5.0,
    # Power quality (docs/quality.md): the declared phase voltage (GB/T 156: 220 V) unless
    # a device's attributes.nominal_voltage says otherwise, and the power-factor target.
    "quality_nominal_voltage": 220.0,
    "quality_power_factor_target": 0.9,
    # Capacity check: a breaker's peak current above this share of its In is flagged; a
    # p95 above it says the breaker is too small for its load, a peak below the second
    # share that it is far too large (backend/energy/capacity.py).
    "energy_capacity_pct": 80.0,
    "energy_oversized_pct": 25.0,
}
_DECLARED = {f.name: f.default for f in fields(Settings)}


def setting(name: str):
    default = _DECLARED[name] if name in _DECLARED else EXTRA_DEFAULTS[name]
    cast = (lambda v: v) if default is None else type(default)   # optional settings: as is
    if has_app_context():
        key = f"GW_{name.upper()}"
        if key in current_app.config:
            return cast(current_app.config[key])
        value = getattr(current_app.config.get("GW_SETTINGS"), name, None)
        if value is not None:
            return cast(value)
    return default
