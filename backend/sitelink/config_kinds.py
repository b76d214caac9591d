"""Configuration down, rules: the alarm rule overrides, linkage rules, scenes and schedules
of a site as both ends compare them (``config_rules`` applies them).

Each kind says how a row is found by its *key* (the same at both ends: ids differ between
the two databases), what its *values* are by codes (a device or an area by its code, a
scene by its name, an action's ``device_id`` as ``device`` and ``scene_id`` as ``scene``),
and how central values are written into a row. Keys: an alarm rule override by its target
(``scope|category or device code|rule|level``, unique per site); a linkage rule by its
``uid`` (kept across renames; a shipped default, made at each end on its own, by
``default:<template>:<area code>``); a scene and a schedule by their names (unique per
site). Entries also carry the centre's id (``origin``): a rename at the centre renames
the box's row (``config_rules``); ``recode_values`` puts the references of what was renamed
under the new codes.

Writes go straight to the rows, not through the services: the centre judged them, and a
partial state (scene A naming scene B not yet written) must not be refused half-way. What
the box cannot resolve (a device code it does not have, a rule key it does not know) is
refused whole (``ConfigRejected``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from sqlalchemy import delete, select, update

from backend.alarms.catalogue import ALL_RULES
from backend.alarms.rules import RULES_VERSION_KEY
from backend.clock import utcnow
from backend.errors import DomainError
from backend.extensions import db
from backend.models import (
    AlarmRule,
    Area,
    Device,
    LinkageFiring,
    LinkageRule,
    LinkageRuleState,
    Scene,
    Schedule,
)
from backend.models.linkage import VERSION_KEY as LINKAGE_VERSION_KEY


class ConfigRejected(DomainError):
    status = 422
    error = "config_rejected"


class Codes:
    """A site's devices and areas (id <-> code) and scenes (id <-> name)."""

    def __init__(self, site_id: int):
        self.site_id = site_id
        self.names: dict[str, dict[int, str]] = {}
        for what, model, col in (("device", Device, Device.code), ("area", Area, Area.code),
                                 ("scene", Scene, Scene.name)):
            self.names[what] = dict(db.session.execute(
                select(model.id, col).where(model.site_id == site_id)).all())
        self.ids = {w: {c: i for i, c in m.items()} for w, m in self.names.items()}

    def code(self, what: str, obj_id: int | None) -> str | None:
        if obj_id is None:
            return None
        return self.names[what].get(obj_id, f"#{obj_id}")

    def id(self, what: str, code: str | None, where: str) -> int | None:
        if code is None:
            return None
        found = self.ids[what].get(code)
        if found is None:
            raise ConfigRejected(f"{where}: no {what} {code!r} at this box (import the same "
                                 "facility at both ends)")
        return found

    def add_scene(self, scene: Scene) -> None:
        self.names["scene"][scene.id] = scene.name
        self.ids["scene"][scene.name] = scene.id


def verdict(local, applied, central) -> str:
    """The three-way rule of every synced entry (config_rules' docstring): ``agree``
    (local == central), ``write`` (nobody here changed it: local == applied, or neither
    exists) or ``local`` (changed here: kept, shown, settled only by ``resolve``)."""
    if local == central:
        return "agree"
    if local == applied or (local is None and applied is None):
        return "write"
    return "local"


REFS = (("device_id", "device", "device"), ("scene_id", "scene", "scene"))


def actions_out(acts: list | None, codes: Codes) -> list | None:
    if acts is None:
        return None
    out = []
    for a in acts:
        a = dict(a)
        for field, name, what in REFS:
            if field in a:
                a[name] = codes.code(what, a.pop(field))
        out.append(a)
    return out


def actions_in(acts: list | None, codes: Codes, where: str) -> list | None:
    if acts is None:
        return None
    out = []
    for a in acts:
        a = dict(a)
        for field, name, what in REFS:
            if name in a:
                a[field] = codes.id(what, a.pop(name), where)
        out.append(a)
    return out


@dataclass(frozen=True)
class Kind:
    name: str                     # the document's key, config_items.kind
    entity: str                   # the audit entity of a resolution
    model: type
    key: Callable[[Any, Codes], str]
    snapshot: Callable[[Any, Codes], dict]
    write: Callable[[Any, dict, Codes, str], Any]     # (row or None, values, codes, key)
    version_key: str | None = None                    # bumped after the commit
    in_use: Callable[[Any], str | None] | None = None  # not deleted while named here
    stub: Callable[[int, str], Any] | None = None     # rows made before any is written
    named: bool = False                               # the key is the row's name

    def rows(self, codes: Codes, lock: bool = False) -> dict[str, Any]:
        """The site's rows by key; ``lock``: an edit at the box in progress is waited for
        (and then seen as a local change) rather than overwritten unseen."""
        stmt = select(self.model).where(self.model.site_id == codes.site_id) \
            .order_by(self.model.id)
        rows = db.session.scalars(stmt.with_for_update() if lock else stmt)
        return {self.key(r, codes): r for r in rows}


# --- alarm rule overrides ----------------------------------------------------------------

AR_LIMITS = ("enabled", "threshold", "clear_threshold", "hold_seconds")


def _ar_key(r: AlarmRule, codes: Codes) -> str:
    target = {"category": r.category, "device": codes.code("device", r.device_id)}
    return f"{r.scope}|{target.get(r.scope) or ''}|{r.rule}|{r.level}"


def _ar_snapshot(r: AlarmRule, codes: Codes) -> dict:
    return {"scope": r.scope, "category": r.category,
            "device": codes.code("device", r.device_id), "rule": r.rule, "level": r.level,
            **{f: getattr(r, f) for f in AR_LIMITS}}


def _ar_write(r: AlarmRule | None, v: dict, codes: Codes, key: str) -> AlarmRule:
    rule = ALL_RULES.get(v["rule"])
    if rule is None or v["level"] not in rule.levels or \
            v["scope"] not in ("site", "category", "device"):
        raise ConfigRejected(f"alarm rule {key!r}: rule, level or scope unknown at this box")
    if r is None:
        r = AlarmRule(site_id=codes.site_id)
        db.session.add(r)
    r.scope, r.category, r.rule, r.level = v["scope"], v["category"], v["rule"], v["level"]
    r.device_id = codes.id("device", v["device"], f"alarm rule {key!r}")
    for f in AR_LIMITS:
        setattr(r, f, v[f])
    return r


# --- linkage rules -------------------------------------------------------------------------

LR_CONDITION = ("device_kind", "metric", "op", "value", "for_seconds")
LR_PLAIN = ("name", "enabled", *LR_CONDITION, "cooldown_seconds")


def _default_out(key: str | None, codes: Codes) -> str | None:
    """A shipped default's ``template:<area id>`` as ``template:<area code>``."""
    if key is None:
        return None
    template, _, area = key.partition(":")
    return f"{template}:{codes.code('area', int(area))}" if area.isdigit() else key


def _default_in(key: str | None, codes: Codes, where: str) -> str | None:
    if key is None:
        return None
    template, _, area = key.partition(":")
    return f"{template}:{codes.id('area', area, where)}"


def _lr_key(r: LinkageRule, codes: Codes) -> str:
    return f"default:{_default_out(r.default_key, codes)}" if r.default_key else r.uid


def _hhmm(t: time | None) -> str | None:
    return t.isoformat() if t is not None else None


def _lr_snapshot(r: LinkageRule, codes: Codes) -> dict:
    return {**{f: getattr(r, f) for f in LR_PLAIN},
            "default_key": _default_out(r.default_key, codes),
            "device": codes.code("device", r.device_id), "area": codes.code("area", r.area_id),
            "window_start": _hhmm(r.window_start), "window_end": _hhmm(r.window_end),
            "actions": actions_out(r.actions or [], codes),
            "clear_actions": actions_out(r.clear_actions or [], codes)}


def _lr_write(r: LinkageRule | None, v: dict, codes: Codes, key: str) -> LinkageRule:
    where = f"linkage rule {v['name']!r}"
    cols = {**{f: v[f] for f in LR_PLAIN},
            "default_key": _default_in(v["default_key"], codes, where),
            "device_id": codes.id("device", v["device"], where),
            "area_id": codes.id("area", v["area"], where),
            "window_start": time.fromisoformat(v["window_start"]) if v["window_start"] else None,
            "window_end": time.fromisoformat(v["window_end"]) if v["window_end"] else None,
            "actions": actions_in(v["actions"], codes, where),
            "clear_actions": actions_in(v["clear_actions"], codes, where)}
    if (cols["device_id"] is None) == (cols["area_id"] is None):
        raise ConfigRejected(f"{where}: exactly one of device and area is required")
    if r is None:
        r = LinkageRule(site_id=codes.site_id, fired_count=0)
        if not key.startswith("default:"):
            r.uid = key
        db.session.add(r)
    else:
        condition = ("device_id", "area_id", *LR_CONDITION, "window_start", "window_end")
        if not cols["enabled"] or any(getattr(r, c) != cols[c] for c in condition):
            _forget(r.id)
    for c, value in cols.items():
        setattr(r, c, value)
    return r


def _forget(rule_id: int) -> None:
    """As ``linkage_rules.forget_state``: a changed rule's memory goes, an open firing is
    closed in the log (automation is a sibling layer: not imported here)."""
    db.session.execute(update(LinkageFiring).where(
        LinkageFiring.rule_id == rule_id, LinkageFiring.cleared_at.is_(None))
        .values(cleared_at=utcnow(), clear_results=[{"state": "skipped",
                                                     "error": "rule_changed"}]))
    db.session.execute(delete(LinkageRuleState).where(LinkageRuleState.rule_id == rule_id))


# --- scenes and schedules -------------------------------------------------------------------

def _scene_snapshot(s: Scene, codes: Codes) -> dict:
    return {"description": s.description, "enabled": s.enabled,
            "actions": actions_out(s.actions or [], codes)}


def _scene_stub(site_id: int, key: str) -> Scene:
    s = Scene(site_id=site_id, name=key, actions=[], description="", enabled=False)
    db.session.add(s)
    return s


def _scene_write(s: Scene | None, v: dict, codes: Codes, key: str) -> Scene:
    if s is None:
        s = _scene_stub(codes.site_id, key)
    s.description, s.enabled = v["description"], bool(v["enabled"])
    s.actions = actions_in(v["actions"], codes, f"scene {key!r}")
    return s


def _scene_in_use(s: Scene) -> str | None:
    """What at this box still runs the scene (a schedule, a scene, a linkage rule), if
    anything: a scene deleted at the centre stays until nothing here names it."""
    name = db.session.scalar(select(Schedule.name).where(Schedule.scene_id == s.id))
    if name is not None:
        return f"schedule {name!r}"
    for model, label in ((Schedule, "schedule"), (Scene, "scene"), (LinkageRule, "linkage rule")):
        for row in db.session.scalars(select(model).where(model.site_id == s.site_id,
                                                          model.id != (s.id if model is Scene
                                                                       else -1))):
            acts = (row.actions or []) + (getattr(row, "clear_actions", None) or [])
            if any(a.get("kind") == "scene" and a.get("scene_id") == s.id for a in acts):
                return f"{label} {row.name!r}"
    return None


SC_PLAIN = ("description", "times", "weekdays", "except_dates", "extra_dates", "run_late",
            "enabled")


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


def _schedule_snapshot(s: Schedule, codes: Codes) -> dict:
    return {**{f: getattr(s, f) for f in SC_PLAIN},
            "scene": codes.code("scene", s.scene_id), "actions": actions_out(s.actions, codes),
            "start_date": _iso(s.start_date), "end_date": _iso(s.end_date)}


def _schedule_write(s: Schedule | None, v: dict, codes: Codes, key: str) -> Schedule:
    where = f"schedule {key!r}"
    if s is None:
        s = Schedule(site_id=codes.site_id, name=key, checked_until=utcnow())
        db.session.add(s)
    elif v["enabled"] and not s.enabled:
        s.checked_until = utcnow()      # as the service: enabled again, nothing was due
    for f in SC_PLAIN:
        setattr(s, f, v[f])
    s.scene_id = codes.id("scene", v["scene"], where)
    s.actions = actions_in(v["actions"], codes, where)
    s.start_date = date.fromisoformat(v["start_date"]) if v["start_date"] else None
    s.end_date = date.fromisoformat(v["end_date"]) if v["end_date"] else None
    if (s.scene_id is None) == (s.actions is None):
        raise ConfigRejected(f"{where}: exactly one of scene and actions is required")
    return s


# Written in this order (a schedule or a rule names scenes), deleted in the reverse one.
KINDS = (
    Kind("scenes", "config_scene", Scene, lambda s, c: s.name, _scene_snapshot, _scene_write,
         in_use=_scene_in_use, stub=_scene_stub, named=True),
    Kind("schedules", "config_schedule", Schedule, lambda s, c: s.name, _schedule_snapshot,
         _schedule_write, named=True),
    Kind("linkage_rules", "config_linkage_rule", LinkageRule, _lr_key, _lr_snapshot, _lr_write,
         version_key=LINKAGE_VERSION_KEY),
    Kind("alarm_rules", "config_alarm_rule", AlarmRule, _ar_key, _ar_snapshot, _ar_write,
         version_key=RULES_VERSION_KEY),
)
BY_NAME = {k.name: k for k in KINDS}


# --- renames: references under their new codes -------------------------------------------

def recode_values(kind: str, values: dict | None, renamed: dict[str, dict[str, str]]):
    """An entry's values with the devices, areas and scenes renamed in this version
    (``renamed[what] = {old: new}``) under their new codes or names."""
    if values is None:
        return None

    def new(what: str, code):
        return renamed.get(what, {}).get(code, code)

    out = dict(values)
    if kind in ("alarm_rules", "linkage_rules") and out.get("device") is not None:
        out["device"] = new("device", out["device"])
    if kind == "linkage_rules":
        if out.get("area") is not None:
            out["area"] = new("area", out["area"])
        if out.get("default_key"):
            template, _, area = out["default_key"].partition(":")
            out["default_key"] = f"{template}:{new('area', area)}"
    if kind == "schedules" and out.get("scene") is not None:
        out["scene"] = new("scene", out["scene"])
    for field in ("actions", "clear_actions"):
        if isinstance(out.get(field), list):
            out[field] = [{**a, **{name: new(name, a[name]) for name in ("device", "scene")
                                   if isinstance(a, dict) and name in a}}
                          if isinstance(a, dict) else a for a in out[field]]
    return out


def key_of(kind: str, key: str, values: dict | None) -> str:
    """The key an entry of these values has (it holds a code for an alarm rule override
    and a shipped linkage default; else it is the row's own)."""
    if values is None:
        return key
    if kind == "alarm_rules":
        target = {"category": values.get("category"), "device": values.get("device")}
        return f"{values['scope']}|{target.get(values['scope']) or ''}|{values['rule']}|" \
               f"{values['level']}"
    if kind == "linkage_rules" and key.startswith("default:") and values.get("default_key"):
        return f"default:{values['default_key']}"
    return key
