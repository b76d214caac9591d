"""Repair orders (抢修工单) and their photos.

Why it works this way:
- Staff create and work orders: they are the people on site doing the repair, so the
  role floor is staff; scoping is by site like everything else, and the audit log
  records who did what.
- Status only moves forward (open -> in_progress -> done, or open -> done); a done order
  is final, so the record of a repair cannot be rewritten afterwards (409). Photos may
  still be added to it: pictures from the field often arrive after the job is closed.
- Every create/change is also written to the linked alarm's timeline, so the alarm
  tells the whole story (raised, acknowledged, order opened, repaired) in one place.
- Photos follow backend/photos.py (checked by their bytes, capped in size and number,
  the same codes as inspection photos); here they also go on the alarm's timeline.
"""
from __future__ import annotations

from sqlalchemy import select

from backend import photos
from backend.accounts import audit
from backend.accounts.security import Actor
from backend.alarms.timeline import add_event
from backend.clock import utcnow
from backend.errors import Conflict, NotFound, invalid_field
from backend.extensions import db
from backend.models import Site, User
from backend.models.alarms import Alarm, RepairOrder, RepairPhoto

TRANSITIONS = {"open": {"in_progress", "done"}, "in_progress": {"done"}, "done": set()}
PHOTOS = photos.Holder(RepairPhoto, "order_id", "repair_photo", "repair_photo_not_found",
                       "a repair order")


# --- reads ------------------------------------------------------------------------------

def select_orders(actor: Actor, args: dict):
    stmt = select(RepairOrder)
    if not actor.is_superadmin:
        stmt = stmt.where(RepairOrder.site_id.in_(actor.site_ids))
    for name in ("site_id", "status", "assignee_id", "alarm_id"):
        if args.get(name) is not None:
            stmt = stmt.where(getattr(RepairOrder, name) == args[name])
    return stmt.order_by(RepairOrder.id.desc())


def get_order(actor: Actor, order_id: int) -> RepairOrder:
    order = db.session.get(RepairOrder, order_id)
    if order is None or not actor.can_see_site(order.site_id):
        raise NotFound(f"repair order {order_id} not found", error="repair_order_not_found")
    return order


# --- writes -----------------------------------------------------------------------------

def _assignee(user_id: int | None, site_id: int) -> int | None:
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or site_id not in user.site_ids or not user.is_active:
        invalid_field("assignee_id", f"user {user_id} is not an active user of this site")
    return user_id


def _timeline(order: RepairOrder, actor: Actor, action: str, **extra) -> None:
    if order.alarm_id is None:
        return
    add_event(order.alarm_id, "repair_order", utcnow(), actor.user_id, order_id=order.id,
              status=order.status, action=action, **extra)


def create_order(actor: Actor, data: dict) -> RepairOrder:
    alarm = None
    site_id = data.get("site_id")
    if data.get("alarm_id") is not None:
        alarm = db.session.get(Alarm, data["alarm_id"])
        if alarm is None or not actor.can_see_site(alarm.site_id):
            raise NotFound(f"alarm {data['alarm_id']} not found", error="alarm_not_found",
                           errors={"alarm_id": ["not found"]})
        if site_id is not None and site_id != alarm.site_id:
            invalid_field("site_id", "is not the alarm's site")
        site_id = alarm.site_id
    if site_id is None:
        invalid_field("site_id", "is required when no alarm_id is given")
    actor.require_site(site_id)
    if db.session.get(Site, site_id) is None:
        raise NotFound(f"site {site_id} not found", error="site_not_found")
    title = (data.get("title") or "").strip() or (alarm.message if alarm else "")
    if not title:
        invalid_field("title", "is required when no alarm_id is given")
    order = RepairOrder(site_id=site_id, alarm_id=alarm.id if alarm else None,
                        title=title[:255], status="open", note=data.get("note") or "",
                        assignee_id=_assignee(data.get("assignee_id"), site_id),
                        created_by=actor.user_id)
    db.session.add(order)
    db.session.flush()
    audit.record(actor, "create", "repair_order", order.id, site_id=site_id,
                 after=audit.snapshot(order))
    _timeline(order, actor, "created", title=order.title, assignee_id=order.assignee_id)
    return order


def update_order(actor: Actor, order_id: int, data: dict) -> RepairOrder:
    order = get_order(actor, order_id)
    before = audit.snapshot(order)
    changes = {k: v for k, v in data.items() if getattr(order, k) != v}
    if not changes:
        return order
    if order.status == "done":
        raise Conflict(f"repair order {order.id} is done; a done order is final",
                       error="repair_order_done", errors={"status": ["is done (final)"]})
    if "status" in changes:
        new = changes["status"]
        if new not in TRANSITIONS[order.status]:
            raise Conflict(f"a repair order cannot go from {order.status} to {new}",
                           error="invalid_transition",
                           errors={"status": [f"cannot go from {order.status} to {new}"]})
        now = utcnow()
        if new == "in_progress":
            order.started_at = now
        if new == "done":
            order.done_at = now
        order.status = new
    if "assignee_id" in changes:
        order.assignee_id = _assignee(changes["assignee_id"], order.site_id)
    if "note" in changes:
        order.note = changes["note"] or ""
    db.session.flush()
    audit.record(actor, "update", "repair_order", order.id, site_id=order.site_id,
                 before=before, after=audit.snapshot(order))
    _timeline(order, actor, "updated", changed=sorted(changes),
              assignee_id=order.assignee_id if "assignee_id" in changes else None)
    return order


# --- photos (backend/photos.py) ----------------------------------------------------------

def add_photo(actor: Actor, order_id: int, filename: str | None, data: bytes) -> RepairPhoto:
    order = get_order(actor, order_id)
    photo = photos.add(PHOTOS, actor, order.id, order.site_id, filename, data)
    _timeline(order, actor, "photo_added", photo_id=photo.id)
    return photo


def select_photos(actor: Actor, order_id: int):
    return photos.select_of(PHOTOS, get_order(actor, order_id).id)


def get_photo(actor: Actor, order_id: int, photo_id: int) -> RepairPhoto:
    return photos.get(PHOTOS, get_order(actor, order_id).id, photo_id)


def delete_photo(actor: Actor, order_id: int, photo_id: int) -> None:
    order = get_order(actor, order_id)
    photos.delete(PHOTOS, actor, order.id, order.site_id, photo_id)
    _timeline(order, actor, "photo_deleted", photo_id=photo_id)
