"""Schedules: run a scene or a list of actions at times of day, on days of the week,
within a date range, except on holidays and also on extra dates, in the site's time zone
(the calculation: backend/automation/occurrences.py; the runs: schedule_runner.py).

Saved only when the target can run (one of ``scene_id`` and ``actions``: a scene of the
site, or actions passing ``actions.check``, whose notes come back). ``checked_until``
starts at the moment of saving, and moves to now when a disabled schedule is enabled
again: occurrences before that were never due (a person had switched it off), so they are
not reported as missed. Managers and admins of the site edit schedules, audited.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from backend.accounts.security import Actor
from backend.automation import actions, occurrences
from backend.clock import utcnow
from backend.errors import Conflict, invalid_field
from backend.extensions import db
from backend.facility.crud import SiteResource
from backend.models import Role, Scene, Schedule, ScheduleRun, Site

MAX_NEXT = 100
RECENT = timedelta(days=7)     # "missed lately", shown beside a schedule in the lists


def rule_of(s: Schedule) -> occurrences.Rule:
    return occurrences.Rule.of(s.times or [], s.weekdays or [], s.start_date, s.end_date,
                               s.except_dates or [], s.extra_dates or [])


def zone_of(site_id: int):
    site = db.session.get(Site, site_id)
    return occurrences.zone(site.timezone if site else None)


def next_runs(actor: Actor, schedule_id: int, count: int = 10,
              now: datetime | None = None) -> dict:
    s = schedules.get(actor, schedule_id)
    tz = zone_of(s.site_id)
    at = occurrences.next_runs(rule_of(s), tz, now or utcnow(), min(count, MAX_NEXT))
    return {"schedule_id": s.id, "time_zone": tz.key, "enabled": s.enabled,
            "runs": [{"at": t, "local": t.astimezone(tz).isoformat()} for t in at]}


def next_run_at(s: Schedule) -> datetime | None:
    if not s.enabled:
        return None
    found = occurrences.next_runs(rule_of(s), zone_of(s.site_id), utcnow(), 1)
    return found[0] if found else None


def recent_missed(s: Schedule) -> int:
    return db.session.scalar(select(func.count()).select_from(ScheduleRun).where(
        ScheduleRun.schedule_id == s.id, ScheduleRun.status.in_(("missed", "ran_late")),
        ScheduleRun.occurrence > utcnow() - RECENT)) or 0


def history(actor: Actor, schedule_id: int, args: dict):
    s = schedules.get(actor, schedule_id)
    stmt = select(ScheduleRun).where(ScheduleRun.schedule_id == s.id)
    if args.get("status"):
        stmt = stmt.where(ScheduleRun.status.in_(args["status"]))
    return stmt.order_by(ScheduleRun.occurrence.desc(), ScheduleRun.id.desc())


class Schedules(SiteResource):
    model, entity_type, label = Schedule, "schedule", "schedule"
    WRITE_ROLE = Role.manager

    def select(self, actor: Actor, args: dict):
        stmt = select(Schedule)
        if not actor.is_superadmin:
            stmt = stmt.where(Schedule.site_id.in_(actor.site_ids))
        for name in ("site_id", "scene_id", "enabled"):
            if args.get(name) is not None:
                stmt = stmt.where(getattr(Schedule, name) == args[name])
        if args.get("q"):
            stmt = stmt.where(Schedule.name.ilike(f"%{args['q']}%"))
        return stmt.order_by(Schedule.site_id, Schedule.name, Schedule.id)

    def create(self, actor: Actor, data: dict):
        data = {**_tidy(data), "created_by": actor.user_id, "updated_by": actor.user_id,
                "checked_until": utcnow()}
        return super().create(actor, data)

    def update(self, actor: Actor, obj_id: int, data: dict):
        obj = self.get(actor, obj_id)
        data = {**_tidy(data), "updated_by": actor.user_id}
        if data.get("enabled") is True and not obj.enabled:
            data["checked_until"] = utcnow()
        return super().update(actor, obj_id, data)

    def validate(self, actor, obj, data, site_id):
        def merged(name):
            return data[name] if name in data else getattr(obj, name, None)

        name = data.get("name")
        if name is not None:
            other = db.session.scalar(select(Schedule.id).where(Schedule.site_id == site_id,
                                                                Schedule.name == name))
            if other is not None and other != obj.id:
                raise Conflict(f"a schedule named {name!r} already exists in this site",
                               error="duplicate_name",
                               errors={"name": ["already exists in this site"]})
        scene_id, acts = merged("scene_id"), merged("actions")
        if (scene_id is None) == (acts is None):
            field = "actions" if "actions" in data and "scene_id" not in data else "scene_id"
            invalid_field(field, "give exactly one of scene_id and actions", "schedule_target")
        if scene_id is not None:
            scene = db.session.get(Scene, scene_id)
            if scene is None or scene.site_id != site_id:
                invalid_field("scene_id", f"no scene {scene_id} in this site",
                              "action_scene_not_found")
            obj.notes = actions.check(site_id, [{"kind": "scene", "scene_id": scene_id}],
                                      "scene")
        else:
            if not acts:
                invalid_field("actions", "at least one action", "schedule_target")
            obj.notes = actions.check(site_id, acts)
        if not merged("times"):
            invalid_field("times", "at least one time of day (HH:MM)")
        start, end = merged("start_date"), merged("end_date")
        if start is not None and end is not None and end < start:
            invalid_field("end_date", "must not be before start_date")


def _tidy(data: dict) -> dict:
    """Times, weekdays and dates sorted, each once."""
    out = dict(data)
    for name in ("times", "weekdays", "except_dates", "extra_dates"):
        if out.get(name) is not None:
            out[name] = sorted(set(out[name]))
    return out


schedules = Schedules()
