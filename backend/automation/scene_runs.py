"""Running a scene: a ``scene_runs`` row (who, when, why, the key, a result per action with
its command id), returned at once; the commands then follow their own lifecycle, and
reading a run shows each command's current state.

- A person runs a scene with an Idempotency-Key: the same key (and reason) returns the
  same run, never a second. Managers and admins may run any scene of their sites; staff
  only a scene whose every device (through the scenes it runs) they hold a control right
  on, so a scene never lends anyone a right they lack. Each command is then the person's
  own: rights, modes, approval of protected circuits (never by the requester).
- The ``scene`` action kind (registered here) runs a scene from a schedule, a linkage rule
  or another scene: a run row with that origin, its commands requested by the same actor
  (the system for schedules and rules), ``MAX_DEPTH`` deep at most.

Each run's commands have the key ``scene-run:<run id>:<index>`` (unique per requester),
so the run row alone decides whether a run happens once.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.automation import actions
from backend.automation.scenes import MAX_DEPTH, devices_of_scene, scenes
from backend.control.rights import can_control, refuse
from backend.control.texts import reason
from backend.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from backend.extensions import db
from backend.models import Command, Device, Scene, SceneRun
from backend.schemas import POSITIVE_ID, Integer


def _scene_error(code: str, status_cls=Conflict, **values) -> DomainError:
    en, zh = reason(code, **values)
    return status_cls(en, error=code, message_zh=zh)


def require_runnable(actor: Actor, scene: Scene) -> None:
    if not scene.enabled:
        raise _scene_error("scene_disabled")
    if actor.user_id is None:          # the system: each command is checked as its own
        return
    denied = [device.code for device_id in sorted(devices_of_scene(scene.id))
              if (device := db.session.get(Device, device_id)) is not None
              and not can_control(actor, device)]
    if denied:
        en, zh = reason("control_not_granted")
        raise Forbidden(f"{en}: {', '.join(denied)}", error="control_not_granted",
                        message_zh=f"{zh}：{'、'.join(denied)}",
                        errors={"devices": denied})


def start(actor: Actor, scene: Scene, reason_text: str, key: str, *,
          origin: tuple[str, int] | None = None, depth: int = 0) -> SceneRun:
    """A run of ``scene`` (the existing one for this key), its actions started."""
    existing = _by_key(scene.id, actor.user_id, key)
    if existing is not None:
        return _same(existing, reason_text)
    run = SceneRun(scene_id=scene.id, site_id=scene.site_id, run_by=actor.user_id,
                   run_by_name=actor.username, reason=reason_text, idempotency_key=key,
                   origin_kind=origin[0] if origin else None,
                   origin_id=origin[1] if origin else None, results=[])
    db.session.add(run)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:                # the same key, a moment ago, in another request
        again = _by_key(scene.id, actor.user_id, key)
        if again is None:
            raise
        return _same(again, reason_text)
    run.results = actions.run_all(actions.Run(actor, scene.site_id, f"scene-run:{run.id}",
                                              reason_text, ("scene", scene.id), depth),
                                  scene.actions)
    audit.record(actor, "run", "scene", scene.id, site_id=scene.site_id,
                 after={"scene_run_id": run.id, "reason": reason_text, "origin": origin,
                        "results": [_brief(r) for r in run.results]})
    return run


def run_scene(actor: Actor, scene_id: int, data: dict, key: str) -> SceneRun:
    """A person runs a scene (POST /scenes/{id}/run)."""
    scene = scenes.get(actor, scene_id)
    require_runnable(actor, scene)
    return start(actor, scene, data["reason"], key)


def _by_key(scene_id: int, user_id: int | None, key: str) -> SceneRun | None:
    return db.session.scalar(select(SceneRun).where(
        SceneRun.scene_id == scene_id, SceneRun.run_by.is_not_distinct_from(user_id),
        SceneRun.idempotency_key == key))


def _same(run: SceneRun, reason_text: str) -> SceneRun:
    if run.reason != reason_text:
        refuse("idempotency_key_reused", Conflict)
    return run


def _brief(result: dict) -> dict:
    return {k: result.get(k) for k in ("index", "kind", "state", "command_id", "error",
                                       "scene_run_id") if result.get(k) is not None}


# --- reads: each action with its command's current state ---------------------------------

def get_run(actor: Actor, run_id: int) -> dict:
    run = db.session.get(SceneRun, run_id)
    if run is None or not actor.can_see_site(run.site_id):
        raise NotFound(f"scene run {run_id} not found", error="scene_run_not_found")
    return current(run)


def runs_of(actor: Actor, scene_id: int):
    scene = scenes.get(actor, scene_id)
    return select(SceneRun).where(SceneRun.scene_id == scene.id).order_by(SceneRun.id.desc())


def current(run: SceneRun) -> dict:
    """The run with each action's result brought up to date from its command."""
    ids = _command_ids(run.results)
    now = {c.id: c for c in db.session.scalars(select(Command).where(Command.id.in_(ids)))} \
        if ids else {}
    fields = {c.key: getattr(run, c.key) for c in SceneRun.__table__.columns}
    return {**fields, "results": [_fresh(r, now) for r in run.results]}


def _command_ids(results) -> list[int]:
    out = []
    for r in results or []:
        if r.get("command_id"):
            out.append(r["command_id"])
        out += _command_ids(r.get("results"))
    return out


def _fresh(result: dict, commands: dict) -> dict:
    out = dict(result)
    cmd = commands.get(result.get("command_id"))
    if cmd is not None:
        out.update(actions.command_result(cmd))
    if result.get("results"):
        out["results"] = [_fresh(r, commands) for r in result["results"]]
    return out


# --- the ``scene`` action kind -------------------------------------------------------------

def _check(site_id: int, action: dict, path: str) -> list[dict]:
    scene = db.session.get(Scene, action.get("scene_id")) \
        if isinstance(action.get("scene_id"), int) else None
    if scene is None or scene.site_id != site_id:
        en, zh = reason("action_scene_not_found")
        raise ValidationFailed(f"{path}.scene_id: {en}", error="action_scene_not_found",
                               errors={f"{path}.scene_id": [en]}, message_zh=zh)
    try:                # what the inner scene will do differently (approval), under this path
        inner = actions.check(site_id, scene.actions, f"{path}.scene")
    except DomainError:  # the inner scene's own problem: shown when it is saved or run
        inner = []
    return [{**n, "path": path} for n in inner]


def _run(run: actions.Run, action: dict, index: int) -> dict:
    scene = db.session.get(Scene, action["scene_id"])
    if scene is None or scene.site_id != run.site_id:
        raise _scene_error("scene_not_found", NotFound)
    if run.depth >= MAX_DEPTH:
        raise _scene_error("scene_too_deep", ValidationFailed, depth=MAX_DEPTH)
    if not scene.enabled:
        raise _scene_error("scene_disabled")
    inner = start(run.actor, scene, run.reason, f"{run.key}:{index}"[:64],
                  origin=run.origin, depth=run.depth + 1)
    return {"state": "ran", "scene_id": scene.id, "scene_run_id": inner.id,
            "results": inner.results}


actions.register(actions.Kind(
    "scene", {"scene_id": Integer(required=True, validate=POSITIVE_ID)}, _check, _run,
    lambda action: devices_of_scene(action["scene_id"])
    if isinstance(action.get("scene_id"), int) else set()))
