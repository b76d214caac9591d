"""Sites: created and deleted by system administrators, edited by the site's admins."""
from __future__ import annotations

import math

from sqlalchemy import func, or_, select

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.errors import Conflict, NotFound
from backend.extensions import db
from backend.models import (
    Area,
    Board,
    Circuit,
    Device,
    DistributionRoom,
    Gateway,
    Role,
    Site,
    user_sites,
)
from backend.vocabulary import nominal_phase_voltage

SITE_DEPENDENTS = ((Area, "areas"), (DistributionRoom, "rooms"), (Board, "boards"),
                   (Circuit, "circuits"), (Gateway, "gateways"), (Device, "devices"))


def select_sites(actor: Actor, args: dict):
    stmt = select(Site)
    if not actor.is_superadmin:
        stmt = stmt.where(Site.id.in_(actor.site_ids))
    if args.get("q"):
        like = f"%{args['q']}%"
        stmt = stmt.where(or_(Site.code.ilike(like), Site.name.ilike(like)))
    if args.get("code"):
        stmt = stmt.where(Site.code == args["code"])
    return stmt.order_by(Site.id)


def get_site(actor: Actor, site_id: int) -> Site:
    site = db.session.get(Site, site_id)
    if site is None or not actor.can_see_site(site_id):
        raise NotFound(f"site {site_id} not found", error="site_not_found")
    return site


def _check_code(code: str, own_id: int | None) -> None:
    other = db.session.scalar(select(Site.id).where(Site.code == code))
    if other is not None and other != own_id:
        raise Conflict(f"a site with code {code!r} already exists", error="duplicate_code",
                       errors={"code": ["already exists"]})


def create_site(actor: Actor, data: dict) -> Site:
    actor.require_superadmin()
    _check_code(data["code"], None)
    site = Site(**data)
    db.session.add(site)
    db.session.flush()
    audit.record(actor, "create", "site", site.id, site_id=site.id, after=audit.snapshot(site))
    return site


def update_site(actor: Actor, site_id: int, data: dict) -> Site:
    actor.require_role(Role.admin)
    site = get_site(actor, site_id)
    if "code" in data:
        _check_code(data["code"], site.id)
    before = audit.snapshot(site)
    for key, value in data.items():
        setattr(site, key, value)
    db.session.flush()
    audit.record(actor, "update", "site", site.id, site_id=site.id, before=before,
                 after=audit.snapshot(site))
    return site


def delete_site(actor: Actor, site_id: int) -> None:
    actor.require_superadmin()
    site = get_site(actor, site_id)
    deps = {}
    for model, label in SITE_DEPENDENTS:
        n = db.session.scalar(select(func.count()).select_from(model)
                              .where(model.site_id == site_id))
        if n:
            deps[label] = n
    if deps:
        names = ", ".join(f"{n} {label}" for label, n in deps.items())
        raise Conflict(f"site {site.code} still has {names}", error="has_dependents",
                       errors={"dependents": deps})
    before = audit.snapshot(site)
    db.session.execute(user_sites.delete().where(user_sites.c.site_id == site_id))
    db.session.delete(site)
    db.session.flush()
    audit.record(actor, "delete", "site", site_id, site_id=site_id, before=before)


def sites_of(conn, device_ids) -> dict[int, int]:
    """device id -> site id for the ids that exist: one query per batch (ids are not
    cached across batches: a cache would go stale when a device is deleted)."""
    ids = list(set(device_ids))
    if not ids:
        return {}
    rows = conn.execute(select(Device.id, Device.site_id).where(Device.id.in_(ids))).all()
    return {d: s for d, s in rows}


def _number(text: str | None) -> float | None:
    try:
        v = float(text) if text is not None else None
    except ValueError:
        return None
    return v if v is not None and math.isfinite(v) else None


def sites_and_nominals(conn, device_ids) -> tuple[dict[int, int], dict[int, float]]:
    """``sites_of`` and, in the same query, device id -> its declared nominal phase
    voltage (``vocabulary.nominal_phase_voltage``: a high-side meter's 10 kV) for the
    devices that declare one."""
    ids = list(set(device_ids))
    if not ids:
        return {}, {}
    rows = conn.execute(select(Device.id, Device.site_id,
                               Device.attributes["nominal_voltage"].as_string(),
                               Device.attributes["nominal_kv"].as_string())
                        .where(Device.id.in_(ids))).all()
    nominal = {}
    for device_id, _site, volts, kv in rows:
        if volts is not None or kv is not None:     # text (->>): a number or not
            v = nominal_phase_voltage({"nominal_voltage": _number(volts), "nominal_kv": _number(kv)})
            if v is not None:
                nominal[device_id] = v
    return {d: s for d, s, _v, _k in rows}, nominal
