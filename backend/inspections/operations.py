"""Inspection plans, records, photos and the overdue list: the services the API calls.

Why it works this way:
- Managers and admins of a site edit its plans (what is inspected and how often); staff
  record inspections, add photos and turn a finding into a repair order: they are the
  people on site. Everything is scoped by site and every write is audited.
- A record fulfils the plan's current due date and moves ``next_due`` on
  (backend/inspections/recurrence.py), in the same transaction, so the overdue list and
  the reminders see it at once.
- Every checklist item of the plan gets a result (a record that skips an item is refused,
  naming it); measured values name the plan's measurements.
- A switch-over test's time comes from the readings of the plan's two breakers around the
  record (backend/inspections/switchover.py); a time typed by hand is kept only when the
  readings do not show a switch-over (``switchover_source`` tells which).
- Photos: checked by their bytes and stored like repair photos (the same sniffing, the same
  caps; in PostgreSQL, backed up with the rest).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, union_all

from backend import photos
from backend.accounts import audit
from backend.accounts.security import Actor
from backend.alarms import repair_orders
from backend.clock import utcnow
from backend.errors import Conflict, NotFound, invalid_field
from backend.extensions import db
from backend.facility.crud import SiteResource, ref
from backend.inspections import recurrence, switchover
from backend.models import (
    Device,
    DistributionRoom,
    InspectionPhoto,
    InspectionPlan,
    InspectionRecord,
    Reading,
    Role,
    Site,
)
from backend.models.telemetry import METRICS

SWITCH_METRIC = METRICS["switch_state"].id
DEFAULT_WINDOW = timedelta(minutes=30)    # readings looked at before a record
MAX_WINDOW = timedelta(days=1)
DEFAULT_ZONE = "Asia/Shanghai"


def zone_of(site_id: int):
    site = db.session.get(Site, site_id)
    try:
        return ZoneInfo((site.timezone if site else None) or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def local_today(site_id: int, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(zone_of(site_id)).date()


# --- plans ------------------------------------------------------------------------------

class Plans(SiteResource):
    model, entity_type, label = InspectionPlan, "inspection_plan", "inspection_plan"
    WRITE_ROLE = Role.manager
    EQ_FILTERS = ("kind", "enabled", "room_id")
    DEPENDENTS = ((InspectionRecord, "plan_id", "inspection_records"),)

    def select(self, actor: Actor, args: dict):
        stmt = select(InspectionPlan)
        if not actor.is_superadmin:
            stmt = stmt.where(InspectionPlan.site_id.in_(actor.site_ids))
        for name in ("site_id", *self.EQ_FILTERS):
            if args.get(name) is not None:
                stmt = stmt.where(getattr(InspectionPlan, name) == args[name])
        if args.get("q"):
            stmt = stmt.where(InspectionPlan.name.ilike(f"%{args['q']}%"))
        return stmt.order_by(InspectionPlan.next_due, InspectionPlan.id)

    def create(self, actor: Actor, data: dict):
        data = {**data, "created_by": actor.user_id}
        data.setdefault("next_due", data.get("start_date"))
        return super().create(actor, data)

    def update(self, actor: Actor, obj_id: int, data: dict):
        obj = self.get(actor, obj_id)
        data = dict(data)
        if ({"start_date", "unit", "every"} & data.keys()) and "next_due" not in data:
            # a new recurrence: the next due date in it from today (or the new start)
            start = data.get("start_date", obj.start_date)
            unit, every = data.get("unit", obj.unit), data.get("every", obj.every)
            today = local_today(obj.site_id)
            data["next_due"] = (start if start >= today else
                                recurrence.first_due_after(start, unit, every,
                                                           today - timedelta(days=1)))
        return super().update(actor, obj_id, data)

    def validate(self, actor, obj, data, site_id):
        def merged(name):
            return data[name] if name in data else getattr(obj, name, None)

        name = data.get("name")
        if name is not None:
            other = db.session.scalar(select(InspectionPlan.id).where(
                InspectionPlan.site_id == site_id, InspectionPlan.name == name))
            if other is not None and other != obj.id:
                raise Conflict(f"an inspection plan named {name!r} already exists here",
                               error="duplicate_name",
                               errors={"name": ["already exists in this site"]})
        if merged("start_date") is None:
            invalid_field("start_date", "is required")
        ref(DistributionRoom, data.get("room_id"), site_id, "room_id", "distribution room")
        for field in ("checklist", "measurements"):
            keys = [item["key"] for item in data.get(field) or []]
            if len(keys) != len(set(keys)):
                invalid_field(field, "item keys must be unique", "duplicate_key")
        kind = merged("kind")
        normal, standby = merged("normal_device_id"), merged("standby_device_id")
        for field, device_id in (("normal_device_id", normal),
                                 ("standby_device_id", standby)):
            if device_id is not None:
                dev = ref(Device, device_id, site_id, field, "device")
                if dev.kind != "breaker":
                    invalid_field(field, f"device {device_id} is not a breaker",
                                  "not_a_breaker")
            elif kind == "switchover_test":
                invalid_field(field, "a switch-over test names its two breakers")
        if normal is not None and normal == standby:
            invalid_field("standby_device_id", "must differ from normal_device_id")


plans = Plans()


def overdue(actor: Actor, site_id: int | None = None, now: datetime | None = None) -> list:
    """Enabled plans due today or earlier in their site's time zone, most overdue first."""
    now = now or utcnow()
    stmt = select(InspectionPlan).where(InspectionPlan.enabled.is_(True),
                                        InspectionPlan.next_due <= (now + timedelta(days=1))
                                        .date())
    if not actor.is_superadmin:
        stmt = stmt.where(InspectionPlan.site_id.in_(actor.site_ids))
    if site_id is not None:
        actor.require_site(site_id)
        stmt = stmt.where(InspectionPlan.site_id == site_id)
    out = []
    for plan in db.session.scalars(stmt.order_by(InspectionPlan.next_due, InspectionPlan.id)):
        today = local_today(plan.site_id, now)
        if plan.next_due <= today:
            days = (today - plan.next_due).days
            out.append({"plan": plan, "plan_id": plan.id, "site_id": plan.site_id,
                        "name": plan.name, "kind": plan.kind, "next_due": plan.next_due,
                        "days_overdue": days, "status": "overdue" if days else "due"})
    return out


# --- records ----------------------------------------------------------------------------

def select_records(actor: Actor, args: dict):
    stmt = select(InspectionRecord)
    if not actor.is_superadmin:
        stmt = stmt.where(InspectionRecord.site_id.in_(actor.site_ids))
    for name in ("site_id", "plan_id", "performed_by"):
        if args.get(name) is not None:
            stmt = stmt.where(getattr(InspectionRecord, name) == args[name])
    if args.get("from_") is not None:
        stmt = stmt.where(InspectionRecord.performed_at >= args["from_"])
    if args.get("to") is not None:
        stmt = stmt.where(InspectionRecord.performed_at < args["to"])
    return stmt.order_by(InspectionRecord.performed_at.desc(), InspectionRecord.id.desc())


def get_record(actor: Actor, record_id: int) -> InspectionRecord:
    rec = db.session.get(InspectionRecord, record_id)
    if rec is None or not actor.can_see_site(rec.site_id):
        raise NotFound(f"inspection record {record_id} not found",
                       error="inspection_record_not_found")
    return rec


def _results(plan: InspectionPlan, given: list[dict]) -> list[dict]:
    by_key = {}
    for item in given:
        if item["key"] in by_key:
            invalid_field("results", f"item {item['key']!r} is given twice", "duplicate_key")
        by_key[item["key"]] = item
    known = {item["key"] for item in plan.checklist or []}
    unknown = sorted(by_key.keys() - known)
    if unknown:
        invalid_field("results", f"not items of the plan's checklist: {', '.join(unknown)}",
                      "unknown_checklist_item")
    missing = [item["key"] for item in plan.checklist or [] if item["key"] not in by_key]
    if missing:
        invalid_field("results", f"no result for checklist items: {', '.join(missing)}",
                      "checklist_incomplete")
    return [{"key": item["key"], "label": item["label"], "ok": by_key[item["key"]]["ok"],
             "note": by_key[item["key"]].get("note") or ""} for item in plan.checklist or []]


def _values(plan: InspectionPlan, given: list[dict]) -> list[dict]:
    defs = {m["key"]: m for m in plan.measurements or []}
    out, seen = [], set()
    for item in given:
        key = item["key"]
        if key not in defs:
            invalid_field("values", f"{key!r} is not a measurement of the plan",
                          "unknown_measurement")
        if key in seen:
            invalid_field("values", f"{key!r} is given twice", "duplicate_key")
        seen.add(key)
        out.append({"key": key, "label": defs[key]["label"], "unit": defs[key].get("unit", ""),
                    "value": item["value"]})
    return out


def switch_samples(device_id: int, start: datetime, end: datetime) -> list[tuple]:
    """Switch-state readings of a device within [start, end], plus the last one before
    ``start`` (the state it was in when the window opened)."""
    base = select(Reading.ts, Reading.value).where(Reading.device_id == device_id,
                                                   Reading.metric_id == SWITCH_METRIC)
    inside = base.where(Reading.ts >= start, Reading.ts <= end)
    before = base.where(Reading.ts < start).order_by(Reading.ts.desc()).limit(1)
    rows = db.session.execute(union_all(inside, before.subquery().select())).all()
    return [(ts, value) for ts, value in rows]


def measured_switchover(plan: InspectionPlan, start: datetime, end: datetime):
    if plan.normal_device_id is None or plan.standby_device_id is None:
        return None
    return switchover.measure(switch_samples(plan.normal_device_id, start, end),
                              switch_samples(plan.standby_device_id, start, end))


def create_record(actor: Actor, data: dict) -> InspectionRecord:
    plan = plans.get(actor, data["plan_id"])
    now = utcnow()
    performed_at = data.get("performed_at") or now
    if performed_at > now + timedelta(minutes=5):
        invalid_field("performed_at", "is in the future")
    rec = InspectionRecord(plan_id=plan.id, site_id=plan.site_id, performed_by=actor.user_id,
                           performed_at=performed_at, due_on=plan.next_due,
                           results=_results(plan, data.get("results") or []),
                           values=_values(plan, data.get("values") or []),
                           findings=(data.get("findings") or "").strip())
    if plan.kind == "switchover_test":
        start = data.get("window_start") or performed_at - DEFAULT_WINDOW
        end = data.get("window_end") or performed_at
        if end <= start:
            invalid_field("window_end", "must be after window_start")
        if end - start > MAX_WINDOW:
            invalid_field("window_start", "the window may span at most a day")
        found = measured_switchover(plan, start, end)
        if found is not None:
            rec.switchover_seconds, rec.switchover_source = found.seconds, "readings"
            rec.normal_opened_at, rec.standby_closed_at = (found.normal_opened_at,
                                                           found.standby_closed_at)
        elif data.get("switchover_seconds") is not None:
            rec.switchover_seconds, rec.switchover_source = data["switchover_seconds"], "manual"
    elif data.get("switchover_seconds") is not None:
        invalid_field("switchover_seconds", "only a switch-over test has one")
    db.session.add(rec)
    before = audit.snapshot(plan)
    plan.next_due = recurrence.next_due_after_record(
        plan.start_date, plan.unit, plan.every, plan.next_due,
        performed_at.astimezone(zone_of(plan.site_id)).date())
    db.session.flush()
    audit.record(actor, "create", "inspection_record", rec.id, site_id=rec.site_id,
                 after=audit.snapshot(rec))
    audit.record(actor, "update", "inspection_plan", plan.id, site_id=plan.site_id,
                 before=before, after=audit.snapshot(plan))
    return rec


def open_repair_order(actor: Actor, record_id: int, data: dict):
    """A finding becomes a repair order of the site, linked from the record."""
    rec = get_record(actor, record_id)
    if rec.repair_order_id is not None:
        raise Conflict(f"inspection record {rec.id} already has repair order "
                       f"{rec.repair_order_id}", error="repair_order_exists",
                       errors={"repair_order_id": [str(rec.repair_order_id)]})
    plan = db.session.get(InspectionPlan, rec.plan_id)
    title = (data.get("title") or "").strip() or f"{plan.name}: {rec.findings}".strip(": ")
    order = repair_orders.create_order(actor, {
        "site_id": rec.site_id, "title": title[:255],
        "note": data.get("note") or rec.findings, "assignee_id": data.get("assignee_id")})
    before = audit.snapshot(rec)
    rec.repair_order_id = order.id
    db.session.flush()
    audit.record(actor, "update", "inspection_record", rec.id, site_id=rec.site_id,
                 before=before, after=audit.snapshot(rec))
    return order


# --- photos (backend/photos.py: the same rules and codes as repair photos) ----------------

PHOTOS = photos.Holder(InspectionPhoto, "record_id", "inspection_photo",
                       "inspection_photo_not_found", "an inspection record")


def add_photo(actor: Actor, record_id: int, filename: str | None, data: bytes):
    rec = get_record(actor, record_id)
    return photos.add(PHOTOS, actor, rec.id, rec.site_id, filename, data)


def select_photos(actor: Actor, record_id: int):
    return photos.select_of(PHOTOS, get_record(actor, record_id).id)


def get_photo(actor: Actor, record_id: int, photo_id: int) -> InspectionPhoto:
    return photos.get(PHOTOS, get_record(actor, record_id).id, photo_id)


def photo_counts(record_ids: list[int]) -> dict[int, int]:
    return photos.counts(PHOTOS, record_ids)


