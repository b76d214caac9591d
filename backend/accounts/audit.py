"""The audit log: every create, update, delete and control action, with before and after."""
from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime, time

from sqlalchemy import insert, inspect, or_, select

from backend import uplink
from backend.accounts.security import Actor
from backend.extensions import db
from backend.models import AuditEntry

SECRET_FIELDS = {"password_hash"}


def snapshot(obj) -> dict:
    """Column values of a model instance, JSON-safe, secrets left out."""
    out = {}
    for attr in inspect(obj).mapper.column_attrs:
        if attr.key in SECRET_FIELDS or attr.key in ("created_at", "updated_at"):
            continue
        out[attr.key] = _jsonable(getattr(obj, attr.key))
    return out


def _jsonable(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return value


def record(actor: Actor, action: str, entity_type: str, entity_id: int | None, *,
           site_id: int | None, before: dict | None = None, after: dict | None = None,
           site_ids: Iterable[int] = ()) -> None:
    """One audit row. ``site_id``: the site of a site's record; ``site_ids``: the sites a
    record of no one site concerns (a user: its grants before and after), so that each of
    their admins reads the row."""
    row = entry(actor, action, entity_type, entity_id, site_id=site_id, before=before,
                after=after, site_ids=site_ids)
    if row is not None:
        obj = AuditEntry(**row)
        db.session.add(obj)
        uplink.track_audit(obj)    # a site box sends it up


def entry(actor: Actor, action: str, entity_type: str, entity_id: int | None, *,
          site_id: int | None, before: dict | None = None, after: dict | None = None,
          site_ids: Iterable[int] = ()) -> dict | None:
    """The columns of the row ``record`` adds (None: an update that changed nothing), for
    ``record_many``."""
    if action == "update" and before is not None and after is not None:
        changed = {k for k in after if before.get(k) != after.get(k)}
        if not changed:
            return None
        before = {k: before.get(k) for k in sorted(changed)}
        after = {k: after.get(k) for k in sorted(changed)}
    return dict(user_id=actor.user_id, username=actor.username, action=action,
                entity_type=entity_type, entity_id=entity_id, site_id=site_id,
                site_ids=sorted(set(site_ids)) or None, before=before, after=after,
                remote_addr=actor.remote_addr)


def record_many(rows: list[dict]) -> None:
    """Rows of ``entry`` in one executemany (the bulk import writes thousands at once)."""
    if rows and uplink.active():     # a site box: objects, so they can be sent up
        objs = [AuditEntry(**row) for row in rows]
        db.session.add_all(objs)
        for obj in objs:
            uplink.track_audit(obj)
    elif rows:
        db.session.execute(insert(AuditEntry), rows)


def jsonable_row(row: dict) -> dict:
    """``snapshot`` of a row held as a dict of column values (the bulk import's rows)."""
    return {k: _jsonable(v) for k, v in row.items()
            if k not in SECRET_FIELDS and k not in ("created_at", "updated_at")}


def query(actor: Actor, filters: dict):
    stmt = select(AuditEntry)
    if not actor.is_superadmin:
        mine = sorted(actor.site_ids)
        stmt = stmt.where(or_(AuditEntry.site_id.in_(mine), AuditEntry.site_ids.overlap(mine)))
    if filters.get("site_id") is not None:
        site = filters["site_id"]
        stmt = stmt.where(or_(AuditEntry.site_id == site, AuditEntry.site_ids.contains([site])))
    for key in ("entity_type", "entity_id", "user_id", "action"):
        if filters.get(key) is not None:
            stmt = stmt.where(getattr(AuditEntry, key) == filters[key])
    if filters.get("since"):
        stmt = stmt.where(AuditEntry.at >= filters["since"])
    if filters.get("until"):
        stmt = stmt.where(AuditEntry.at < filters["until"])
    return stmt.order_by(AuditEntry.id.desc())
