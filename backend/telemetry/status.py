"""Device communication status: online/offline from poll results, with transitions.

A device goes offline after ``offline_after_failures`` consecutive failed polls (setting,
default 3) and online again at the next success. ``online`` is NULL (unknown) until the
first success or the N-th failure. Every change of ``online`` is a row in
``device_status_events`` and a ``device_status`` event on the site's live stream.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert

from backend.accounts.security import Actor
from backend.clock import iso, utcnow
from backend.extensions import db
from backend.facility.operations import devices
from backend.facility.sites import sites_of
from backend.live import stream
from backend.models import Device, DeviceStatus, DeviceStatusEvent
from backend.settings import setting

STATUS_KEYS = ("online", "last_seen", "last_poll_at", "consecutive_failures", "last_error",
               "changed_at")
_MAX_ERROR = 500
_STEADY = text("UPDATE device_status SET last_seen = :at, last_poll_at = :at "
               "WHERE device_id = ANY(:ids) AND online AND consecutive_failures = 0 "
               "RETURNING device_id")


def record_poll_result(device_id: int, ok: bool, error: str | None = None, *,
                       at: datetime | None = None) -> dict | None:
    """One device's poll outcome; returns its transition (or None). Commits."""
    changes = record_poll_results([(device_id, ok, error)], at=at)
    return changes[0] if changes else None


def record_poll_results(results: Iterable[tuple[int, bool, str | None]], *,
                        at: datetime | None = None) -> list[dict]:
    """Poll outcomes of many devices in one transaction (the poller calls this once per
    gateway cycle); publishes the transitions after commit and returns them."""
    at = at or utcnow()
    threshold = setting("offline_after_failures")
    latest = {device_id: (bool(ok), error) for device_id, ok, error in results}
    if not latest:
        return []
    rows, events, changes = [], [], []
    with db.engine.begin() as conn:
        # The common case (online and answering): one UPDATE with an array parameter that
        # returns the ids it moved; only the others (failures, recoveries, first polls)
        # are read back and go through the full path below. No 2,000-row SELECT, no
        # device -> site query and no upsert built per cycle when nothing changes.
        answered = [d for d, (ok, _) in latest.items() if ok]
        steady = set(conn.execute(_STEADY, {"at": at, "ids": answered}).scalars()) \
            if answered else set()
        rest = [d for d in latest if d not in steady]
        site_of = sites_of(conn, rest) if rest else {}   # deleted devices are ignored
        current = {r.device_id: r for r in conn.execute(
            select(DeviceStatus.device_id, DeviceStatus.online, DeviceStatus.last_seen,
                   DeviceStatus.consecutive_failures, DeviceStatus.last_error,
                   DeviceStatus.changed_at)
            .where(DeviceStatus.device_id.in_(list(site_of))).with_for_update())} \
            if site_of else {}
        for device_id in sorted(site_of):
            ok, error = latest[device_id]
            old = current.get(device_id)
            failures = 0 if ok else (old.consecutive_failures if old else 0) + 1
            was = old.online if old else None
            online = True if ok else (False if failures >= threshold else was)
            row = {"device_id": device_id, "online": online, "last_poll_at": at,
                   "consecutive_failures": failures,
                   "last_seen": at if ok else (old.last_seen if old else None),
                   "last_error": (error or "poll failed")[:_MAX_ERROR] if not ok
                   else (old.last_error if old else None),
                   "changed_at": at if online != was else (old.changed_at if old else None)}
            rows.append(row)
            if online != was and online is not None:
                events.append({"device_id": device_id, "at": at, "online": online,
                               "error": None if ok else row["last_error"]})
                changes.append({"site_id": site_of[device_id], "device_id": device_id,
                                "online": online, "was": was, "at": iso(at),
                                "last_seen": row["last_seen"] and iso(row["last_seen"]),
                                "error": None if ok else row["last_error"]})
        if rows:
            stmt = insert(DeviceStatus).values(rows)
            conn.execute(stmt.on_conflict_do_update(
                index_elements=[DeviceStatus.device_id],
                set_={k: stmt.excluded[k] for k in STATUS_KEYS}))
        if events:
            conn.execute(insert(DeviceStatusEvent).values(events))
    for change in changes:
        stream.publish(change["site_id"], "device_status",
                       {k: v for k, v in change.items() if k != "site_id"})
    return changes


def _status_dict(device: Device, status: DeviceStatus | None) -> dict:
    out = {"device_id": device.id, "site_id": device.site_id, "code": device.code,
           "name": device.name}
    for key in STATUS_KEYS:
        out[key] = getattr(status, key) if status else None
    if out["consecutive_failures"] is None:
        out["consecutive_failures"] = 0
    return out


def device_status(actor: Actor, device_id: int) -> dict:
    device = devices.get(actor, device_id)
    return _status_dict(device, db.session.get(DeviceStatus, device_id))


def select_statuses(actor: Actor, args: dict):
    """Every device of the caller's sites with its status (never-polled ones included,
    with ``online`` null); filters ``site_id`` and ``online``."""
    stmt = (select(Device.id.label("device_id"), Device.site_id, Device.code, Device.name,
                   DeviceStatus.online, DeviceStatus.last_seen, DeviceStatus.last_poll_at,
                   func.coalesce(DeviceStatus.consecutive_failures, 0)
                   .label("consecutive_failures"),
                   DeviceStatus.last_error, DeviceStatus.changed_at)
            .outerjoin(DeviceStatus, DeviceStatus.device_id == Device.id))
    if not actor.is_superadmin:
        stmt = stmt.where(Device.site_id.in_(actor.site_ids))
    if args.get("site_id") is not None:
        stmt = stmt.where(Device.site_id == args["site_id"])
    if args.get("online") is not None:
        stmt = stmt.where(DeviceStatus.online.is_(args["online"]))
    return stmt.order_by(Device.id)
