"""Linkage rules as records: create, read, update, delete, scoped to the caller's sites
and audited (backend/facility/crud.SiteResource), checked when saved:

- the condition's device or area is of the rule's site, and its metric is a value of
  that device (of some device of the kind in the area): 422 naming ``condition.<field>``;
  ``>``/``>=``/``<``/``<=`` compare numbers;
- both action lists pass ``actions.check`` (another site's device, an action the device
  does not have: 422 naming ``actions.<i>.<field>``); their notes (a protected circuit:
  the command will wait for approval) come back with the rule;
- no loop with the site's other rules (409 ``rule_loop`` naming the rules of the loop,
  backend/automation/linkage_loops.py).

Changing a rule's condition, or disabling it, forgets its state (a firing in progress is
closed in the log as ``rule_changed``, its clear actions not run); every change bumps
``VERSION_KEY`` so the poll processes reload the rules.
"""
from __future__ import annotations

import logging
from datetime import time

from sqlalchemy import delete, event, select, update

from backend.accounts.security import Actor
from backend.automation import actions, linkage_kinds, linkage_site  # noqa: F401 (kinds)
from backend.automation.linkage_engine import ORDERED
from backend.automation.linkage_loops import RuleShape, edges, find_loop
from backend.automation.linkage_texts import text
from backend.clock import utcnow
from backend.errors import Conflict, ValidationFailed, invalid_field
from backend.extensions import db, redis
from backend.facility.crud import SiteResource, ref
from backend.field.catalog import profile_for
from backend.models import Area, Device, LinkageFiring, LinkageRule, LinkageRuleState, Role
from backend.models.linkage import VERSION_KEY

log = logging.getLogger(__name__)
CONDITION = ("device_id", "area_id", "device_kind", "metric", "op", "value", "for_seconds",
             "window_start", "window_end")


def _columns(condition: dict) -> dict:
    out = {k: condition.get(k) for k in ("device_id", "area_id", "device_kind", "metric",
                                          "op", "value")}
    out["for_seconds"] = condition.get("for_seconds") or 0.0
    window = condition.get("window")
    out["window_start"] = time.fromisoformat(window["start"]) if window else None
    out["window_end"] = time.fromisoformat(window["end"]) if window else None
    return out


def metrics_of(device) -> set[str]:
    """The values a device reports: its profile's metrics (mode and trip cause included)."""
    if not device.profile:
        return set()
    try:
        profile = profile_for(device.profile)
    except (KeyError, ValueError):
        return set()
    return set(profile.metrics)


def bump_after_commit() -> None:
    def bump(_session):
        try:
            redis.incr(VERSION_KEY)
        except Exception:  # noqa: BLE001 - committed; pollers reload at the next change or TTL
            log.exception("could not bump %s", VERSION_KEY)

    event.listen(db.session(), "after_commit", bump, once=True)


class LinkageRules(SiteResource):
    model, entity_type, label = LinkageRule, "linkage_rule", "linkage_rule"
    EQ_FILTERS = ("enabled", "device_id", "area_id")
    WRITE_ROLE = Role.manager

    def select(self, actor: Actor, args: dict):
        stmt = select(LinkageRule)
        if not actor.is_superadmin:
            stmt = stmt.where(LinkageRule.site_id.in_(actor.site_ids))
        for name in ("site_id", *self.EQ_FILTERS):
            if args.get(name) is not None:
                stmt = stmt.where(getattr(LinkageRule, name) == args[name])
        if args.get("q"):
            stmt = stmt.where(LinkageRule.name.ilike(f"%{args['q']}%"))
        return stmt.order_by(LinkageRule.id)

    def create(self, actor: Actor, data: dict):
        data = self._flatten(data)
        rule = super().create(actor, data)
        rule.notes = self._notes
        bump_after_commit()
        return rule

    def update(self, actor: Actor, obj_id: int, data: dict):
        data = self._flatten(data)
        rule = self.get(actor, obj_id)
        before = {k: getattr(rule, k) for k in (*CONDITION, "enabled")}
        rule = super().update(actor, obj_id, data)
        rule.notes = self._notes
        if not rule.enabled or any(before[k] != getattr(rule, k) for k in CONDITION):
            forget_state(rule.id)
        bump_after_commit()
        return rule

    def delete(self, actor: Actor, obj_id: int) -> None:
        super().delete(actor, obj_id)
        bump_after_commit()

    @staticmethod
    def _flatten(data: dict) -> dict:
        data = dict(data)
        if "condition" in data:
            data.update(_columns(data.pop("condition")))
        return data

    def validate(self, actor, obj, data, site_id):
        def merged(field):
            return data[field] if field in data else getattr(obj, field, None)

        self._check_condition(site_id, {k: merged(k) for k in CONDITION})
        acts, clears = merged("actions") or [], merged("clear_actions") or []
        self._notes = actions.check(site_id, acts) + \
            actions.check(site_id, clears, "clear_actions")
        self._check_loop(site_id, obj, {k: merged(k) for k in CONDITION}, acts + clears,
                         merged("name"))

    def _check_condition(self, site_id: int, c: dict) -> None:
        if (c["device_id"] is None) == (c["area_id"] is None):
            invalid_field("condition.device_id", "give exactly one of device_id and area_id")
        if c["device_id"] is not None:
            device = db.session.get(Device, c["device_id"])
            if device is None or device.site_id != site_id:
                invalid_field("condition.device_id", f"no device {c['device_id']} in this site",
                              "condition_device_not_found")
            known, where = metrics_of(device), device.code
        else:
            area = ref(Area, c["area_id"], site_id, "condition.area_id", "area")
            facts = linkage_site.load(site_id)
            known = set()
            for d in facts.in_area(area.id, c["device_kind"]):
                known |= metrics_of(d)
            where = f"{c['device_kind'] or 'any device'} of {area.code}"
        if c["metric"] not in known:
            en, zh = text("metric_unknown", metric=c["metric"], where=where)
            raise ValidationFailed(
                f"condition.metric: {en}", error="metric_unknown", message_zh=zh,
                errors={"condition.metric": [f"one of {', '.join(sorted(known)) or 'none'}"]})
        value = c["value"]
        if c["op"] in ORDERED and (isinstance(value, bool) or
                                   not isinstance(value, (int, float))):
            en, zh = text("value_not_comparable", op=c["op"])
            raise ValidationFailed(f"condition.value: {en}", error="value_not_comparable",
                                   message_zh=zh, errors={"condition.value": [en]})

    def _check_loop(self, site_id: int, obj, c: dict, acts: list, name) -> None:
        facts = linkage_site.load(site_id)
        own_id = obj.id or 0
        shapes = [RuleShape(own_id, name or "", frozenset(facts.watched(
            c["device_id"], c["area_id"], c["device_kind"])),
            frozenset(facts.affected(actions.devices_of(acts))))]
        others = db.session.execute(select(LinkageRule).where(
            LinkageRule.site_id == site_id, LinkageRule.id != own_id)).scalars()
        for r in others:
            shapes.append(RuleShape(r.id, r.name, frozenset(facts.watched(
                r.device_id, r.area_id, r.device_kind)), frozenset(facts.affected(
                    actions.devices_of((r.actions or []) + (r.clear_actions or []))))))
        loop = find_loop(edges(shapes), own_id)
        if loop is None:
            return
        names = {s.id: s.name for s in shapes}
        described = " → ".join(f"{names[i]} (#{i})" if i else f"{names[i]} (this rule)"
                               for i in loop)
        en, zh = text("rule_loop", loop=described)
        raise Conflict(en, error="rule_loop", message_zh=zh,
                       errors={"loop": [str(i) for i in loop if i],
                               "actions": [f"would trigger a loop: {described}"]})


def forget_state(rule_id: int) -> None:
    """The rule changed: its per-device memory goes; an open firing is closed in the log."""
    db.session.execute(update(LinkageFiring).where(
        LinkageFiring.rule_id == rule_id, LinkageFiring.cleared_at.is_(None))
        .values(cleared_at=utcnow(), clear_results=[{"state": "skipped",
                                                     "error": "rule_changed"}]))
    db.session.execute(delete(LinkageRuleState).where(LinkageRuleState.rule_id == rule_id))


def firings(actor: Actor, rule_id: int):
    rule = linkage_rules.get(actor, rule_id)
    return select(LinkageFiring).where(LinkageFiring.rule_id == rule.id).order_by(
        LinkageFiring.fired_at.desc(), LinkageFiring.id.desc())


linkage_rules = LinkageRules()
