"""Scenes: a named list of actions of one site, run on demand (backend/automation/
scene_runs.py), by a schedule or by a linkage rule (the ``scene`` action kind).

Saved only when every action can run (``actions.check``: 422 naming
``actions.<i>.<field>``); the notes (a protected circuit's approval) come back with the
scene. A scene may run other scenes, at most ``MAX_DEPTH`` deep, never itself: a save that
would close a loop (directly or through others) is refused naming the loop. Managers and
admins of the site edit scenes; every change is audited.
"""
from __future__ import annotations

from sqlalchemy import or_, select

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.automation import actions
from backend.control.texts import reason
from backend.errors import Conflict, ValidationFailed
from backend.extensions import db
from backend.facility.crud import SiteResource
from backend.models import Role, Scene, Schedule

MAX_DEPTH = 3         # a scene runs scenes that run scenes, no deeper


def scene_refs(acts: list[dict] | None) -> list[tuple[int, int]]:
    """(index, scene id) of the ``scene`` actions of a list."""
    return [(i, a["scene_id"]) for i, a in enumerate(acts or [])
            if a.get("kind") == "scene" and isinstance(a.get("scene_id"), int)]


def _stored_actions(scene_id: int, overrides: dict[int, list]) -> list[dict]:
    if scene_id in overrides:
        return overrides[scene_id]
    scene = db.session.get(Scene, scene_id)
    return scene.actions if scene is not None else []


def find_loop(scene_id: int, acts: list[dict]) -> tuple[int, list[int]] | None:
    """(index of the action, the loop's scene ids) if saving ``acts`` as scene
    ``scene_id`` would let it run itself; None otherwise."""
    overrides = {scene_id: acts}
    for index, first in scene_refs(acts):
        stack = [(first, [scene_id, first])]
        seen: set[int] = set()
        while stack:
            current, path = stack.pop()
            if current == scene_id:
                return index, path
            if current in seen:
                continue
            seen.add(current)
            for _, nxt in scene_refs(_stored_actions(current, overrides)):
                stack.append((nxt, [*path, nxt]))
    return None


def depth_of(acts: list[dict], overrides: dict[int, list] | None = None,
             _level: int = 0) -> int:
    """How many scenes deep a list of actions goes (0: no scene action). Bounded: loops
    are refused on save, and past ``MAX_DEPTH`` the walk stops."""
    deepest = 0
    if _level > MAX_DEPTH:
        return deepest
    for _, sid in scene_refs(acts):
        inner = _stored_actions(sid, overrides or {})
        deepest = max(deepest, 1 + depth_of(inner, overrides, _level + 1))
    return deepest


def devices_of_scene(scene_id: int) -> set[int]:
    """Every device a scene may switch, through the scenes it runs (each walked once)."""
    out: set[int] = set()
    todo, seen = [scene_id], set()
    while todo:
        sid = todo.pop()
        if sid in seen:
            continue
        seen.add(sid)
        for action in _stored_actions(sid, {}):
            if action.get("kind") == "scene":
                todo.append(action.get("scene_id"))
            else:
                out |= actions.devices_of([action])
    return out


def check_actions(site_id: int, scene_id: int | None, acts: list[dict]) -> list[dict]:
    """``actions.check`` plus the scene rules: no loop, at most ``MAX_DEPTH`` deep.
    Returns the notes."""
    notes = actions.check(site_id, acts)
    if scene_id is not None:
        loop = find_loop(scene_id, acts)
        if loop is not None:
            index, path = loop
            names = " → ".join(_name(sid) for sid in path)
            en, zh = reason("scene_cycle", loop=names)
            raise ValidationFailed(f"actions.{index}.scene_id: {en}", error="scene_cycle",
                                   errors={f"actions.{index}.scene_id": [en]},
                                   message_zh=zh)
    if depth_of(acts, {scene_id: acts} if scene_id else None) > MAX_DEPTH:
        en, zh = reason("scene_too_deep", depth=MAX_DEPTH)
        raise ValidationFailed(f"actions: {en}", error="scene_too_deep",
                               errors={"actions": [en]}, message_zh=zh)
    return notes


def _name(scene_id: int) -> str:
    scene = db.session.get(Scene, scene_id)
    return f"{scene.name} (#{scene_id})" if scene else f"#{scene_id}"


def users_of(scene_id: int, site_id: int) -> dict[str, list[int]]:
    """What runs this scene: the schedules and the other scenes naming it."""
    out: dict[str, list[int]] = {}
    sched = db.session.scalars(select(Schedule).where(
        Schedule.site_id == site_id,
        or_(Schedule.scene_id == scene_id, Schedule.actions.is_not(None)))).all()
    ids = [s.id for s in sched if s.scene_id == scene_id
           or any(sid == scene_id for _, sid in scene_refs(s.actions))]
    if ids:
        out["schedule"] = ids
    scenes = db.session.scalars(select(Scene).where(Scene.site_id == site_id,
                                                    Scene.id != scene_id)).all()
    ids = [s.id for s in scenes if any(sid == scene_id for _, sid in scene_refs(s.actions))]
    if ids:
        out["scene"] = ids
    return out


class Scenes(SiteResource):
    model, entity_type, label = Scene, "scene", "scene"
    EQ_FILTERS = ("enabled",)
    WRITE_ROLE = Role.manager

    def select(self, actor: Actor, args: dict):
        stmt = select(Scene)
        if not actor.is_superadmin:
            stmt = stmt.where(Scene.site_id.in_(actor.site_ids))
        for name in ("site_id", "enabled"):
            if args.get(name) is not None:
                stmt = stmt.where(getattr(Scene, name) == args[name])
        if args.get("q"):
            stmt = stmt.where(Scene.name.ilike(f"%{args['q']}%"))
        return stmt.order_by(Scene.site_id, Scene.name, Scene.id)

    def create(self, actor: Actor, data: dict):
        data = {**data, "created_by": actor.user_id, "updated_by": actor.user_id}
        return super().create(actor, data)

    def update(self, actor: Actor, obj_id: int, data: dict):
        return super().update(actor, obj_id, {**data, "updated_by": actor.user_id})

    def validate(self, actor, obj, data, site_id):
        name = data.get("name")
        if name is not None:
            other = db.session.scalar(select(Scene.id).where(Scene.site_id == site_id,
                                                             Scene.name == name))
            if other is not None and other != obj.id:
                raise Conflict(f"a scene named {name!r} already exists in this site",
                               error="duplicate_name",
                               errors={"name": ["already exists in this site"]})
        acts = data["actions"] if "actions" in data else (obj.actions or [])
        obj.notes = check_actions(site_id, obj.id, acts)

    def delete(self, actor: Actor, obj_id: int) -> None:
        actor.require_role(self.WRITE_ROLE)
        obj = self.get(actor, obj_id)
        deps = users_of(obj.id, obj.site_id)
        if deps:
            names = ", ".join(f"{kind} {', '.join(map(str, ids))}" for kind, ids in deps.items())
            raise Conflict(f"scene {obj.name} is still run by {names}", error="has_dependents",
                           errors={"dependents": {k: len(v) for k, v in deps.items()}})
        before = audit.snapshot(obj)
        db.session.delete(obj)
        db.session.flush()
        audit.record(actor, "delete", "scene", obj_id, site_id=obj.site_id, before=before)


scenes = Scenes()
