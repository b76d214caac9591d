"""Alarm rule overrides: a site's changes to the catalogue's default limits.

Why the checks here: the engine trusts the *effective* limits (catalogue overlaid with
site > category > device rows, ``backend/alarms/limits.py``). A row that is fine on its
own can still leave an inconsistent result once inherited fields are filled in (e.g. a
site-wide warning threshold above an inherited alarm threshold), so every change is
checked by resolving the limits it affects, with the change applied, before it is kept.

The poll workers cache overrides per process and reload them when the number at
``RULES_VERSION_KEY`` changes; it is bumped *after* the transaction commits, so a worker
can never load the old rows under the new version number and keep them.
"""
from __future__ import annotations

import logging

from sqlalchemy import event, select

from backend.accounts.security import Actor
from backend.alarms.catalogue import ALL_RULES, RULES, voltage_scale
from backend.alarms.catalogue import Device as RuleDevice
from backend.alarms.limits import Override, Overrides
from backend.errors import Conflict, invalid_field
from backend.extensions import db, redis
from backend.facility.crud import SiteResource, ref
from backend.facility.operations import devices as device_service
from backend.models import Circuit, Device, Role
from backend.models.alarms import AlarmRule
from backend.vocabulary import nominal_phase_voltage

log = logging.getLogger(__name__)

RULES_VERSION_KEY = "gw:alarm:rules:version"
TARGET = ("scope", "category", "device_id", "rule", "level")
LIMIT_FIELDS = ("enabled", "threshold", "clear_threshold", "hold_seconds")


# --- reads used by the engine and the API -----------------------------------------------

def load_overrides(site_ids) -> Overrides:
    """Every override row of ``site_ids`` in one query (the alarm engine's loader)."""
    ids = list(site_ids)
    if not ids:
        return Overrides()
    return Overrides(db.session.scalars(select(AlarmRule).where(AlarmRule.site_id.in_(ids))))


def catalogue() -> list[dict]:
    """The rule catalogue as data: code, not a table, so it is the same on every server."""
    return [{"key": r.key, "zh": r.zh, "en": r.en, "unit": r.unit, "direction": r.direction,
             "kinds": list(r.kinds), "trip_causes": list(r.trip_causes), "groupable": r.groupable,
             "levels": {lv: {"threshold": lim.threshold, "clear": lim.clear, "hold": lim.hold}
                        for lv, lim in r.levels.items()}}
            for r in ALL_RULES.values()]


def device_limits(actor: Actor, device_id: int) -> list[dict]:
    """Effective limits of every rule that applies to the device, with where they come from."""
    device = device_service.get(actor, device_id)
    category = _categories([device.id]).get(device.id)
    overrides = load_overrides([device.site_id])
    out = []
    for rule in RULES.values():
        if device.kind not in rule.kinds:
            continue
        scale = _scale(rule.key, {device.id: device.attributes}, device.id)
        for level, eff in overrides.resolve(rule.key, device.site_id, category,
                                            device.id, scale).items():
            out.append({"rule": rule.key, "zh": rule.zh, "en": rule.en, "unit": rule.unit,
                        "direction": rule.direction, "level": level, "enabled": eff.enabled,
                        "threshold": eff.threshold, "clear_threshold": eff.clear,
                        "hold_seconds": eff.hold, "source": eff.source})
    return out


def _scale(rule_key: str, attributes: dict[int, dict | None], device_id: int | None) -> float:
    """The rule's limits' factor for the device (its nominal voltage, rules in volts)."""
    if device_id is None or ALL_RULES[rule_key].unit != "V":
        return 1.0
    return voltage_scale(RuleDevice(device_id, "", nominal_v=nominal_phase_voltage(
        attributes.get(device_id))))


def _categories(device_ids) -> dict[int, str | None]:
    """device id -> its circuit's category (what category-scoped rows match on)."""
    if not device_ids:
        return {}
    rows = db.session.execute(select(Device.id, Circuit.category)
                              .outerjoin(Circuit, Device.circuit_id == Circuit.id)
                              .where(Device.id.in_(list(device_ids))))
    return {i: c for i, c in rows}


# --- writes ---------------------------------------------------------------------------

def _bump_after_commit() -> None:
    session = db.session()

    def bump(_session):
        try:
            redis.incr(RULES_VERSION_KEY)
        except Exception:  # noqa: BLE001 - the change is committed; workers reload on the next one
            log.exception("could not bump %s", RULES_VERSION_KEY)

    event.listen(session, "after_commit", bump, once=True)


def _as_override(site_id: int, values: dict) -> Override:
    return Override(site_id, values["scope"], values.get("category"), values.get("device_id"),
                    values["rule"], values["level"],
                    *(values.get(f) for f in LIMIT_FIELDS))


class AlarmRules(SiteResource):
    model, entity_type, label = AlarmRule, "alarm_rule", "alarm_rule"
    EQ_FILTERS = ("scope", "rule", "device_id", "category")
    WRITE_ROLE = Role.admin

    def create(self, actor, data):
        obj = super().create(actor, data)
        _bump_after_commit()
        return obj

    def update(self, actor, obj_id, data):
        obj = super().update(actor, obj_id, data)
        _bump_after_commit()
        return obj

    def delete(self, actor, obj_id):
        obj = self.get(actor, obj_id)
        actor.require_role(self.WRITE_ROLE)
        old = _as_override(obj.site_id, {f: getattr(obj, f) for f in (*TARGET, *LIMIT_FIELDS)})
        check_effective(obj.site_id, removed=old, added=None, exclude_id=obj.id)
        super().delete(actor, obj_id)
        _bump_after_commit()

    def validate(self, actor, obj, data, site_id):
        merged = {f: data[f] if f in data else getattr(obj, f, None)
                  for f in (*TARGET, *LIMIT_FIELDS)}
        scope, rule_key = merged["scope"], merged["rule"]
        rule = ALL_RULES[rule_key]
        if merged["level"] not in rule.levels:
            invalid_field("level", f"{rule_key} has the levels {', '.join(rule.levels)}")
        if scope == "category" and not merged["category"]:
            invalid_field("category", "is required when scope is category")
        if scope != "category" and merged["category"] is not None:
            invalid_field("category", "is only allowed when scope is category")
        if scope == "device" and merged["device_id"] is None:
            invalid_field("device_id", "is required when scope is device")
        if scope != "device" and merged["device_id"] is not None:
            invalid_field("device_id", "is only allowed when scope is device")
        if scope == "device":
            device = ref(Device, merged["device_id"], site_id, "device_id", "device")
            if device.kind not in rule.kinds:
                invalid_field("rule", f"{rule_key} does not apply to {device.kind} devices")
        self._check_duplicate(site_id, merged, obj.id)
        removed = None
        if obj.id is not None:
            removed = _as_override(site_id, {f: getattr(obj, f) for f in (*TARGET, *LIMIT_FIELDS)})
        check_effective(site_id, removed=removed, added=_as_override(site_id, merged),
                        exclude_id=obj.id)

    def _check_duplicate(self, site_id: int, merged: dict, own_id: int | None) -> None:
        m = AlarmRule
        stmt = select(m.id).where(m.site_id == site_id, m.scope == merged["scope"],
                                  m.category.is_not_distinct_from(merged["category"]),
                                  m.device_id.is_not_distinct_from(merged["device_id"]),
                                  m.rule == merged["rule"], m.level == merged["level"])
        other = db.session.scalar(stmt)
        if other is not None and other != own_id:
            raise Conflict("this site already has an override of that rule and level for that "
                           f"target (alarm_rule {other})", error="duplicate_alarm_rule",
                           errors={"rule": [f"already overridden by alarm_rule {other}"]})


def check_effective(site_id: int, *, removed: Override | None, added: Override | None,
                    exclude_id: int | None) -> None:
    """Resolve every target the change touches, with the change applied; 422 if any of them
    ends up with a clear threshold on the wrong side or warning beyond alarm."""
    changes = [c for c in (removed, added) if c is not None]
    rule_keys = {c.rule for c in changes}
    stmt = select(AlarmRule).where(AlarmRule.site_id == site_id, AlarmRule.rule.in_(rule_keys))
    if exclude_id is not None:
        stmt = stmt.where(AlarmRule.id != exclude_id)
    rows = list(db.session.scalars(stmt))
    overrides = Overrides([*rows, *([added] if added else [])])
    device_ids = {r.device_id for r in rows if r.device_id is not None}
    device_ids |= {c.device_id for c in changes if c.device_id is not None}
    categories = _categories(device_ids)
    attributes = dict(db.session.execute(select(Device.id, Device.attributes).where(
        Device.id.in_(list(device_ids)))).all()) if device_ids else {}
    for change in changes:
        for category, device_id in _affected(change, rows, added, categories):
            _check_resolved(overrides, change.rule, site_id, category, device_id, added,
                            _scale(change.rule, attributes, device_id))


def _affected(change: Override, rows, added, categories) -> set[tuple]:
    """(category, device_id) targets whose effective limits the change can alter."""
    targets = {(None, None)} if change.scope == "site" else set()
    if change.scope == "category":
        targets.add((change.category, None))
    if change.scope == "device":
        targets.add((categories.get(change.device_id), change.device_id))
    for r in [*rows, *([added] if added else [])]:
        if r.rule != change.rule:
            continue
        if r.scope == "category" and (change.scope == "site"
                                      or (change.scope == "category"
                                          and r.category == change.category)):
            targets.add((r.category, None))
        if r.scope == "device":
            cat = categories.get(r.device_id)
            if change.scope == "site" or (change.scope == "category" and cat == change.category):
                targets.add((cat, r.device_id))
    return targets


def _check_resolved(overrides: Overrides, rule_key: str, site_id: int, category, device_id,
                    added: Override | None, scale: float = 1.0) -> None:
    rule = ALL_RULES[rule_key]
    limits = overrides.resolve(rule_key, site_id, category, device_id, scale)
    where = ("device " + str(device_id) if device_id else
             f"category {category}" if category else "the site")
    above = rule.direction == "above"
    for level, eff in limits.items():
        if (eff.clear > eff.threshold) if above else (eff.clear < eff.threshold):
            field = "clear_threshold" if added and added.level == level and \
                added.clear_threshold is not None else "threshold"
            sign = "<=" if above else ">="
            invalid_field(field, f"{level} clear threshold {eff.clear:g} must be {sign} its threshold "
                         f"{eff.threshold:g} for {rule_key} ({rule.direction}) at {where}")
    warning, alarm = limits.get("warning"), limits.get("alarm")
    if warning and alarm and warning.enabled and alarm.enabled:
        if (warning.threshold > alarm.threshold) if above else \
                (warning.threshold < alarm.threshold):
            sign = "<=" if above else ">="
            invalid_field("threshold", f"warning threshold {warning.threshold:g} must be {sign} alarm "
                               f"threshold {alarm.threshold:g} for {rule_key} at {where}")


alarm_rules = AlarmRules()
