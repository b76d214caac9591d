"""The tender's default linkage rules (环境和设备联动), made per area and disabled until
someone enables them: temperature -> air conditioner / heater, humidity -> fan /
dehumidifier, water leak or high water level (a level sensor's float switch) -> pump,
siren, lights on, an alarm and the camera pop-up for remote confirmation
(运维人员进行远程故障确认).

An area gets a template when an environment sensor that reports the template's metric is
*in* the area (not only in an area inside it) and the area (with the areas inside it) has
a device for at least one of its roles. A device's role is its ``attributes.role``
(``siren``, ``dehumidifier``, ... for what a circuit category cannot say) or else its
circuit's category (``ac``, ``heating``, ``fan``, ``pump``, ``lighting``); only devices
that can be switched on (their profile has ``on`` or ``close``; a KNX group with a switch
address, e.g. the area's KNX lights with role ``light`` or on a ``lighting`` circuit) are
used. Making the
defaults twice adds nothing (``default_key`` = template:area id); each goes through the
same checks as a rule saved by hand, and one that would close a loop is skipped.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from backend.accounts.security import Actor
from backend.automation import linkage_site
from backend.automation.linkage_rules import linkage_rules, metrics_of
from backend.errors import Conflict, DomainError
from backend.extensions import db
from backend.facility.sites import get_site
from backend.field.catalog import profile_for
from backend.knx import groups as knx_groups
from backend.models import LinkageRule

ROLE_OF_CATEGORY = {"ac": "ac", "heating": "heater", "fan": "fan", "pump": "pump",
                    "lighting": "light"}
SENSOR = "env_sensor"


@dataclass(frozen=True)
class Template:
    key: str
    name_zh: str
    metric: str
    op: str
    value: object
    for_seconds: float
    roles: tuple[str, ...]                 # switched on when it fires
    off_on_clear: tuple[str, ...] = ()     # switched off again when it clears
    alarm: tuple[str, str] | None = None   # (level, text)
    popup: bool = False
    cooldown_seconds: float = 600.0


TEMPLATES = (
    Template("high_temperature", "高温联动空调", "temperature", ">", 32, 60, ("ac",), ("ac",)),
    Template("low_temperature", "低温联动加热", "temperature", "<", 5, 60, ("heater",),
             ("heater",)),
    Template("high_humidity", "高湿联动排风除湿", "humidity", ">", 80, 60,
             ("fan", "dehumidifier"), ("fan", "dehumidifier")),
    Template("water_leak", "水浸联动排水报警", "water_leak", "==", True, 0,
             ("pump", "siren", "light"), ("siren",),
             alarm=("alarm", "水浸报警：请查看现场视频并远程确认故障"), popup=True,
             cooldown_seconds=300.0),
    Template("high_water", "高水位联动排水报警", "high_water", "==", True, 0,
             ("pump", "siren", "light"), ("siren",),
             alarm=("alarm", "高水位报警：请查看现场视频并远程确认故障"), popup=True,
             cooldown_seconds=300.0),
)


def role_of(d: linkage_site.Dev) -> str | None:
    return d.attributes.get("role") or ROLE_OF_CATEGORY.get(d.category or "")


def _switch(d: linkage_site.Dev, on: bool) -> str | None:
    """The action that switches the device on (off), if its profile (a KNX group: its
    addresses) has one."""
    if d.kind == "knx_group":
        controls = knx_groups.actions(d.attributes)
    elif not d.profile:
        return None
    else:
        try:
            controls = profile_for(d.profile).controls
        except (KeyError, ValueError):
            return None
    for action in (("on", "close") if on else ("off", "open")):
        if action in controls:
            return action
    return None


def _actions(t: Template, devices: list[linkage_site.Dev]) -> tuple[list, list]:
    acts: list[dict] = [{"kind": "alarm", "level": t.alarm[0], "message": t.alarm[1]}] \
        if t.alarm else []
    clears: list[dict] = []
    for role in t.roles:
        for d in devices:
            if role_of(d) != role:
                continue
            on, off = _switch(d, True), _switch(d, False)
            if on:
                acts.append({"kind": "command", "device_id": d.id, "action": on})
            if off and role in t.off_on_clear:
                clears.append({"kind": "command", "device_id": d.id, "action": off})
    if t.popup:
        acts.append({"kind": "popup"})
    return acts, clears


def create(actor: Actor, site_id: int) -> dict:
    get_site(actor, site_id)
    facts = linkage_site.load(site_id)
    made = set(db.session.execute(select(LinkageRule.default_key).where(
        LinkageRule.site_id == site_id, LinkageRule.default_key.is_not(None))).scalars())
    created, skipped = [], []
    for area_id, area_name in sorted(facts.area_names.items()):
        sensors = [d for d in facts.devices.values()
                   if d.area_id == area_id and d.kind == SENSOR]
        if not sensors:
            continue
        inside = facts.in_area(area_id)
        for t in TEMPLATES:
            key = f"{t.key}:{area_id}"
            where = {"area_id": area_id, "template": t.key}
            if not any(t.metric in metrics_of(s) for s in sensors):
                continue
            if key in made:
                skipped.append({**where, "reason": "exists"})
                continue
            acts, clears = _actions(t, inside)
            if not any(a["kind"] == "command" for a in acts):
                skipped.append({**where, "reason": "no_devices", "roles": list(t.roles)})
                continue
            data = {"site_id": site_id, "name": f"{area_name}{t.name_zh}", "enabled": False,
                    "condition": {"area_id": area_id, "device_kind": SENSOR,
                                  "metric": t.metric, "op": t.op, "value": t.value,
                                  "for_seconds": t.for_seconds, "window": None},
                    "actions": acts, "clear_actions": clears,
                    "cooldown_seconds": t.cooldown_seconds, "default_key": key}
            try:
                with db.session.begin_nested():
                    created.append(linkage_rules.create(actor, data))
            except Conflict as exc:
                skipped.append({**where, "reason": exc.error, "message": exc.message})
            except DomainError as exc:        # a device the checks refuse (disabled, ...)
                skipped.append({**where, "reason": exc.error, "message": exc.message})
    return {"created": created, "skipped": skipped}
