"""Alarm evaluation after each poll: latest values -> rule state machine -> alarms.

Runs in the poll job right after ingest (DESIGN.md: no queue hop on the hot path).
Inputs are the devices' merged latest values from Redis (what the API shows, quality 0
only: a flagged value never raises an alarm), the poll outcomes (communication) and the
site's rule overrides. The rule state (pending durations, flap history) is read from
and written to ``alarm_rule_states`` in the same transaction as the alarms it causes,
so a restart of every process loses nothing and a retried evaluation repeats nothing.

Cost on the hot path: one MGET, two small SELECTs, and Python per (device, rule); a
database write only when some rule changes state.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from backend.alarms import apply as alarm_apply
from backend.alarms import catalogue
from backend.alarms import context as alarm_context
from backend.alarms.engine import Policy, State, Transition, condition_level, step
from backend.alarms.limits import Overrides
from backend.alarms.rules import RULES_VERSION_KEY, load_overrides
from backend.clock import utcnow
from backend.extensions import db, redis
from backend.models import Alarm, AlarmRuleState, DeviceStatus
from backend.models.alarms import OPEN_STATES
from backend.settings import setting
from backend.telemetry.query import good_latest_values

log = logging.getLogger(__name__)
_overrides: dict = {"version": None, "by_site": {}}


def forget() -> None:
    """Drop the cached overrides (tests; a version bump does this in production)."""
    _overrides.update(version=None, by_site={})


@dataclass
class Change:
    """One (subject, rule) whose state moved: what ``alarm_apply`` persists."""
    subject: str
    rule: str
    device: alarm_context.DeviceCtx | None
    gateway_id: int | None
    site_id: int
    state: State
    state_id: int | None
    transition: Transition | None
    alarm_id: int | None
    value: float | None = None
    threshold: float | None = None
    trip_cause: str | None = None
    extra: dict = field(default_factory=dict)


def _site_overrides(site_ids) -> dict[int, Overrides]:
    """Override rows per site, reloaded when an API change bumps the version key."""
    version = redis.current().get(RULES_VERSION_KEY)
    if version != _overrides["version"]:
        _overrides.update(version=version, by_site={})
    cache = _overrides["by_site"]
    missing = [s for s in site_ids if s not in cache]
    if missing:
        loaded = load_overrides(missing)
        for s in missing:
            cache[s] = loaded
    return cache


def _states(subjects) -> tuple[dict, dict]:
    subjects = list(subjects)
    states, alarms = {}, {}
    if not subjects:
        return states, alarms
    for row in db.session.execute(select(AlarmRuleState).where(
            AlarmRuleState.subject.in_(subjects))).scalars():
        states[(row.subject, row.rule)] = (row.id, State(
            pending={k: datetime.fromisoformat(v) for k, v in (row.pending or {}).items()},
            clearing_since=row.clearing_since,
            flips=[datetime.fromisoformat(t) for t in (row.flips or [])]))
    dev_ids = [int(s[2:]) for s in subjects if s.startswith("d:")]
    gw_ids = [int(s[2:]) for s in subjects if s.startswith("g:")]
    site_ids = [int(s[2:]) for s in subjects if s.startswith("s:")]
    rows = db.session.execute(select(Alarm.id, Alarm.device_id, Alarm.gateway_id, Alarm.rule,
                                     Alarm.level, Alarm.flapping, Alarm.trip_cause,
                                     Alarm.site_id)
                              .where(Alarm.state.in_(OPEN_STATES),
                                     (Alarm.device_id.in_(dev_ids)) | (
                                         Alarm.device_id.is_(None)
                                         & Alarm.gateway_id.in_(gw_ids)) | (
                                         Alarm.device_id.is_(None)
                                         & Alarm.gateway_id.is_(None)
                                         & Alarm.site_id.in_(site_ids))))
    for a in rows:
        subject = (f"d:{a.device_id}" if a.device_id is not None else
                   f"g:{a.gateway_id}" if a.gateway_id is not None else f"s:{a.site_id}")
        alarms[(subject, a.rule)] = a
    return states, alarms


def _policy() -> Policy:
    return Policy(flap_count=setting("alarm_flap_count"),
                  flap_window=float(setting("alarm_flap_window_seconds")))


def evaluate(device_ids, outcomes=(), *, now: datetime | None = None,
             sites: dict[int, float] | None = None,
             site_rule=catalogue.POLLING_RULE) -> list[Change]:
    """Evaluate every rule of the given devices (and comm loss from ``outcomes``:
    ``(device_id, ok, error)``), and the site-level polling rule for ``sites`` (site id ->
    1.0 polling stopped, 0.0 running; or ``site_rule``, e.g. the uplink backlog); persist
    and notify. Returns the changes made."""
    now = now or utcnow()
    sites = sites or {}
    polled_ok = {d for d, ok, _e in outcomes if ok}
    failed = {d for d, ok, _e in outcomes if not ok}
    ctxs = alarm_context.devices(set(device_ids) | polled_ok | failed)
    if not ctxs and not sites:
        return []
    offline = _offline(failed, polled_ok)
    gateways = _gateway_inputs(ctxs, offline)
    subjects = ({f"d:{d}" for d in ctxs} | {f"g:{g}" for g in gateways}
                | {f"s:{s}" for s in sites})
    states, alarms = _states(subjects)
    overrides = _site_overrides({c.site_id for c in ctxs.values()} | set(sites))
    with_values = set(device_ids)
    values = good_latest_values([d for d in ctxs if d in with_values]) if with_values else {}
    policy, changes = _policy(), []

    def run(subject, rule, site_id, category, device, gateway_id, value, trip=None,
            limit_device=None):
        key = (subject, rule.key)
        scale = (catalogue.voltage_scale(device.rule_device)
                 if device is not None and rule.unit == "V" else 1.0)
        limits = overrides[site_id].resolve(rule.key, site_id, category, limit_device, scale)
        tripped = trip is not None and trip in rule.trip_causes
        if key not in states and key not in alarms and (value is None or (
                not tripped and condition_level(rule.direction, limits, value, False) is None)):
            return          # at rest and nothing to raise: the common case, kept cheap
        state_id, state = states.get(key, (None, None))
        state = state or State()
        open_alarm = alarms.get(key)
        state.level = open_alarm.level if open_alarm else None
        state.flapping = bool(open_alarm and open_alarm.flapping)
        before = (state.persisted(), state.level, state.flapping)
        t = step(rule.direction, limits, value, tripped, state, now, policy)
        if t is None and tripped and open_alarm is not None and not open_alarm.trip_cause:
            t = Transition("trip", state.level)  # the breaker acted on an open alarm
        if t is None and (state.persisted(), state.level, state.flapping) == before:
            return
        lim = limits.get(t.level) if t and t.level else None
        changes.append(Change(subject, rule.key, device, gateway_id, site_id, state, state_id,
                              t, open_alarm.id if open_alarm else None, value,
                              lim.threshold if lim else None, trip if tripped else None))

    for site_id, value in sites.items():
        run(f"s:{site_id}", site_rule, site_id, None, None, None, value)
    site_of_gateway = {c.gateway_id: c.site_id for c in ctxs.values()}
    for g, value in gateways.items():
        run(f"g:{g}", catalogue.GATEWAY_RULE, site_of_gateway[g], None, None, g, value)
    comm = catalogue.RULES["comm_loss"]
    for d, ctx in ctxs.items():
        args = (ctx.site_id, ctx.category, ctx, ctx.gateway_id)
        if d in polled_ok or d in failed:
            run(f"d:{d}", comm, *args, 1.0 if d in offline else 0.0, limit_device=d)
        vals = values.get(d)
        if vals is None or d in failed:
            continue
        trip = vals.get("trip_cause")
        for rule in catalogue.rules_for(ctx.kind):
            value = rule.value(vals, ctx.rule_device)
            if rule.value is catalogue.nothing and trip is not None:
                value = 0.0                       # the trip rule: known, not tripped
            run(f"d:{d}", rule, *args, value, trip, limit_device=d)
    if changes:
        alarm_apply.apply(changes, now)
    return changes


def _offline(failed: set, polled_ok: set) -> set:
    """Devices whose status is offline now (after record_poll_results): only the ones
    that failed this cycle can be, so only those are looked up."""
    if not failed:
        return set()
    return set(db.session.execute(select(DeviceStatus.device_id).where(
        DeviceStatus.device_id.in_(list(failed)), DeviceStatus.online.is_(False))).scalars())


def _gateway_inputs(ctxs, offline: set) -> dict[int, float]:
    """1.0 for a gateway none of whose devices answers (all offline), 0.0 when one of
    them answered this cycle; gateways with only some devices known are left out."""
    out = {}
    by_gw: dict[int, list[int]] = {}
    for d, c in ctxs.items():
        if c.gateway_id is not None:
            by_gw.setdefault(c.gateway_id, []).append(d)
    for g, polled in by_gw.items():
        site = alarm_context.site(ctxs[polled[0]].site_id)
        members = site.gateway_devices.get(g, [])
        if any(d not in offline for d in polled):
            out[g] = 0.0
        elif members and set(members) <= set(polled):
            out[g] = 1.0
    return out
