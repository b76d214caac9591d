"""Linkage evaluation in the poll job, right after ingest and the alarms (DESIGN.md: no
queue hop): for the devices just polled, every enabled rule watching them is stepped
(backend/automation/linkage_engine.py) on the device's latest good value; a firing runs
the rule's actions as commands of the system with ``origin=("rule", id)`` in the same
transaction as the rule's state and the firing's log entry, so its commands reach the
control queue when this poll's batch commits, and a retried or restarted poll finds
them made and makes none twice (the firing key ``rule:<id>:fire:<n>``).

The enabled rules are cached per process and reloaded when a change bumps
``linkage_rules.VERSION_KEY`` (or after ``TTL``, for area trees and time zones). Cost on
the hot path with no rule watching the polled devices: one Redis GET.
"""
from __future__ import annotations

import logging
import time as clock
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from backend.accounts.security import Actor
from backend.alarms import context as alarm_context
from backend.alarms import raised
from backend.automation import actions, linkage_kinds
from backend.automation.cameras import area_tree, descendants
from backend.automation.linkage_engine import Condition, State, step
from backend.automation.linkage_rules import VERSION_KEY
from backend.clock import iso, utcnow
from backend.extensions import db, redis
from backend.models import LinkageFiring, LinkageRule, LinkageRuleState, Site
from backend.telemetry.query import good_latest_values

log = logging.getLogger(__name__)
events = logging.getLogger("gridwarden.events")
TTL = 15.0
ACTOR = "linkage"


@dataclass(frozen=True)
class Watch:
    rule_id: int
    site_id: int
    name: str
    metric: str
    kind: str | None
    cond: Condition
    tz: ZoneInfo


@dataclass
class Watches:
    by_device: dict[int, list[Watch]] = field(default_factory=dict)
    by_area: dict[int, list[Watch]] = field(default_factory=dict)   # every area inside


_cache: dict = {"version": None, "loaded": 0.0, "watches": Watches()}


def forget() -> None:
    _cache.update(version=None, loaded=0.0, watches=Watches())


def _load() -> Watches:
    out = Watches()
    rows = db.session.execute(select(LinkageRule, Site.timezone).join(
        Site, Site.id == LinkageRule.site_id).where(LinkageRule.enabled)).all()
    trees: dict[int, dict] = {}
    for r, tz in rows:
        window = (r.window_start, r.window_end) if r.window_start and r.window_end else None
        w = Watch(r.id, r.site_id, r.name, r.metric, r.device_kind,
                  Condition(r.op, r.value, r.for_seconds, window, r.cooldown_seconds),
                  ZoneInfo(tz or "Asia/Shanghai"))
        if r.device_id is not None:
            out.by_device.setdefault(r.device_id, []).append(w)
        else:
            tree = trees.setdefault(r.site_id, area_tree(r.site_id))
            for a in descendants(tree, r.area_id):
                out.by_area.setdefault(a, []).append(w)
    return out


def watches() -> Watches:
    version = redis.current().get(VERSION_KEY)
    if version != _cache["version"] or clock.monotonic() - _cache["loaded"] > TTL:
        _cache.update(watches=_load(), version=version, loaded=clock.monotonic())
    return _cache["watches"]


def evaluate(device_ids, *, now: datetime | None = None) -> list[dict]:
    """Step every rule watching ``device_ids``; persist, fire, clear, commit. Returns one
    ``{rule_id, device_id, event, firing_id}`` per firing or clearing."""
    ws = watches()
    if not ws.by_device and not ws.by_area:
        return []
    now = now or utcnow()
    ctxs = alarm_context.devices(device_ids)
    pairs = []
    for d, ctx in ctxs.items():
        pairs += [(w, ctx) for w in ws.by_device.get(d, ())]
        pairs += [(w, ctx) for w in ws.by_area.get(ctx.area_id, ())
                  if w.kind is None or w.kind == ctx.kind]
    if not pairs:
        return []
    values = good_latest_values({ctx.id for _, ctx in pairs})
    rows = {(s.rule_id, s.device_id): s for s in db.session.execute(
        select(LinkageRuleState).where(
            LinkageRuleState.rule_id.in_({w.rule_id for w, _ in pairs}),
            LinkageRuleState.device_id.in_({c.id for _, c in pairs}))).scalars()}
    done, after = [], []
    for w, ctx in pairs:
        value = values.get(ctx.id, {}).get(w.metric)
        row = rows.get((w.rule_id, ctx.id))
        state = State(row.since, row.firing, row.last_fired_at) if row else State()
        new, what = step(w.cond, state, value, now, now.astimezone(w.tz).time())
        if new == state and what is None:
            continue
        if row is None:
            row = LinkageRuleState(rule_id=w.rule_id, device_id=ctx.id)
            db.session.add(row)
        row.since, row.firing, row.last_fired_at = new.since, new.firing, new.last_fired_at
        row.updated_at = now
        if what == "fire":
            done.append(_fire(w, ctx, row, value, state.since or now, now, after))
        elif what == "clear":
            done.append(_clear(w, ctx, row, value, now, after))
    db.session.commit()
    for fn in after:
        try:
            fn()
        except Exception:  # noqa: BLE001 - committed; the outbox sweep delivers what is lost
            log.exception("linkage: after-commit step failed")
    return [d for d in done if d]


def _reason(rule: LinkageRule, ctx, value, cleared: bool = False) -> str:
    what = "条件解除" if cleared else f"{rule.metric} {rule.op} {rule.value}"
    return f"联动规则「{rule.name}」{what}：{ctx.name} {rule.metric}={value}"


def _run(rule: LinkageRule, firing: linkage_kinds.Firing, key: str, acts: list,
         reason: str) -> list[dict]:
    token = linkage_kinds.CURRENT.set(firing)
    try:
        return actions.run_all(actions.Run(Actor.system(ACTOR), rule.site_id, key, reason,
                                           ("rule", rule.id)), acts or [])
    finally:
        linkage_kinds.CURRENT.reset(token)


def _fire(w: Watch, ctx, row, value, since: datetime, now: datetime,
          after: list) -> dict | None:
    rule = db.session.get(LinkageRule, w.rule_id, with_for_update=True)
    if rule is None or not rule.enabled:
        return None                       # changed since the cache was loaded
    rule.fired_count += 1
    firing = LinkageFiring(
        rule_id=rule.id, site_id=rule.site_id, seq=rule.fired_count, fired_at=now,
        device_id=ctx.id, metric=rule.metric, value=value, results=[],
        inputs={"device_id": ctx.id, "device_code": ctx.code, "device_name": ctx.name,
                "area_id": ctx.area_id, "metric": rule.metric, "value": value,
                "op": rule.op, "threshold": rule.value, "since": iso(since)})
    db.session.add(firing)
    db.session.flush()
    f = linkage_kinds.Firing(rule.id, rule.name, firing.id, rule.site_id, ctx.id, ctx.area_id,
                             rule.metric, value, now)
    firing.results = _run(rule, f, f"rule:{rule.id}:fire:{firing.seq}", rule.actions,
                          _reason(rule, ctx, value))
    firing.alarm_id = f.alarm_id
    row.firing_id = firing.id
    after += f.after
    events.info("linkage rule %s fired (%s) on %s: %s=%s; %s", rule.id, rule.name, ctx.code,
                rule.metric, value, ", ".join(
                    f"{r['kind']} {r.get('command_id') or r.get('alarm_id') or ''} {r['state']}"
                    .replace("  ", " ") for r in firing.results))
    return {"rule_id": rule.id, "device_id": ctx.id, "event": "fire", "firing_id": firing.id}


def _clear(w: Watch, ctx, row, value, now: datetime, after: list) -> dict | None:
    rule = db.session.get(LinkageRule, w.rule_id)
    firing = db.session.get(LinkageFiring, row.firing_id) if row.firing_id else None
    row.firing_id = None
    if rule is None or firing is None:
        return None
    f = linkage_kinds.Firing(rule.id, rule.name, firing.id, rule.site_id, ctx.id, ctx.area_id,
                             rule.metric, value, now, alarm_id=firing.alarm_id)
    results = _run(rule, f, f"rule:{rule.id}:clear:{firing.seq}", rule.clear_actions,
                   _reason(rule, ctx, value, cleared=True))
    if firing.alarm_id and any(a.get("kind") == "alarm" and a.get("clear", True)
                               for a in rule.actions or []):
        if raised.clear_alarm(firing.alarm_id, now, linkage_rule_id=rule.id, value=value):
            results.append({"index": len(results), "kind": "alarm", "state": "cleared",
                            "alarm_id": firing.alarm_id})
            f.after.append(lambda: raised.after_commit([firing.alarm_id], []))
    after += f.after
    firing.cleared_at, firing.clear_value, firing.clear_results = now, value, results
    events.info("linkage rule %s cleared (%s) on %s: %s=%s", rule.id, rule.name, ctx.code,
                rule.metric, value)
    return {"rule_id": rule.id, "device_id": ctx.id, "event": "clear", "firing_id": firing.id}
