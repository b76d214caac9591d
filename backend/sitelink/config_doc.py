"""Configuration down, the centre's side: a site's configuration document and its version.

The document lists every user who may use the site (granted it, or a system
administrator) by user name with ``config_accounts.snapshot``, and the site's alarm rule
overrides, linkage rules, scenes and schedules by key (``config_rules.document``). Its version is a per-site
counter moved by one whenever the document's SHA-256 digest differs from the one stored
with the current version. It is computed when a site box asks (one query of the site's
users, a few ms for hundreds of them), so no writer of users, grants or bindings has to
remember to bump it, and a change made by any path (an admin's edit, a password changed
by its owner, a rehash at login, a deleted user) moves it (docs/decisions.md 2026-12-03).
The ``since`` a site box asks with is the version it runs: recorded for the centre's view.
"""
from __future__ import annotations

import hashlib

import orjson
from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from backend.accounts.security import Actor
from backend.clock import utcnow
from backend.extensions import db
from backend.models import Site, SiteConfigVersion, SiteCredential, User, user_sites
from backend.sitelink import config_accounts, config_facility, config_profiles, config_rules

KIND = "config"        # facility, users, alarm and linkage rules, scenes, schedules


def users_of(site_id: int) -> list[dict]:
    granted = select(user_sites.c.user_id).where(user_sites.c.site_id == site_id)
    users = db.session.scalars(select(User).where(
        or_(User.is_superadmin.is_(True), User.id.in_(granted))).order_by(User.username)).all()
    targets = config_accounts.Targets(site_id)
    extras = config_accounts.Extras(site_id, [u.id for u in users])
    out = []
    for user in users:
        snap = config_accounts.snapshot(user, site_id, targets, extras)
        snap["granted"] = True       # the document says: this user may use the site
        out.append({"username": user.username, **snap})
    return out


def document(site_id: int) -> dict:
    """The site's whole document: its facility, users, rules, scenes and schedules."""
    return {"profiles": config_profiles.records(),
            "facility": config_facility.records(site_id), "users": users_of(site_id),
            **config_rules.document(site_id)}


def digest(doc: dict) -> str:
    return hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _row(site_id: int, lock: bool = False) -> SiteConfigVersion:
    db.session.execute(pg_insert(SiteConfigVersion).values(site_id=site_id, version=0, digest="")
                       .on_conflict_do_nothing())
    stmt = select(SiteConfigVersion).where(SiteConfigVersion.site_id == site_id)
    return db.session.scalars(stmt.with_for_update() if lock else stmt).one()


def current(site_id: int) -> tuple[int, dict]:
    """The site's current version and document, the version moved if the document
    changed."""
    row = _row(site_id, lock=True)
    doc = document(site_id)
    d = digest(doc)
    if d != row.digest:
        row.version += 1
        row.digest, row.changed_at = d, utcnow()
    return row.version, doc


def fetch(cred: SiteCredential, since: int | None, conflicts: int | None = None,
          digest: str | None = None) -> dict:
    """``GET /uplink/config?since=V&digest=D&conflicts=N``: unchanged, or the whole
    current document; ``since`` and ``conflicts`` are what the site box runs, kept for the
    view. Unchanged needs the digest to match too when one is given: after the centre's
    database is restored from a backup its counter may repeat a number with other users."""
    site = db.session.get(Site, cred.site_id)
    version, doc = current(site.id)
    row = _row(site.id)
    if since is not None:
        row.site_version, row.site_reported_at = since, utcnow()
        row.site_conflicts = conflicts
    out = {"site_code": site.code, "version": version, "digest": row.digest, "kind": KIND}
    if since == version and digest in (None, row.digest):
        out["unchanged"] = True
    else:
        out.update(unchanged=False, **doc)
    db.session.commit()
    return out


def link_view(site_id: int) -> dict:
    """For the centre's ``GET /sites/{id}/uplink``: the current version, the site's, and
    the box's local changes as it last reported them."""
    version, _doc = current(site_id)
    row = _row(site_id)
    out = {"config_version": version, "site_config_version": row.site_version,
           "site_config_reported_at": row.site_reported_at,
           "site_config_conflicts": row.site_conflicts,
           "site_config_changes": row.site_changes or [],
           "site_config_changes_at": row.site_changes_at}
    db.session.commit()
    return out


def report(cred: SiteCredential, body: dict) -> dict:
    """``POST /uplink/config/changes`` (the site token): the box's local changes and
    conflicts, stored whole for the centre's view (they are resolved at the box)."""
    row = _row(cred.site_id, lock=True)
    changes = orjson.loads(orjson.dumps(body["changes"]))     # times as ISO text
    row.site_changes, row.site_changes_at = changes, utcnow()
    row.site_conflicts = sum(1 for c in changes if c.get("conflict"))
    out = {"site_id": cred.site_id, "stored": len(changes), "conflicts": row.site_conflicts}
    db.session.commit()
    return out


def changes(actor: Actor, args: dict) -> list[dict]:
    """The site boxes' reported local changes across the caller's sites (``site_id`` one
    of them; ``conflicts``: only conflicts), the oldest first."""
    stmt = select(SiteConfigVersion, Site).join(Site, Site.id == SiteConfigVersion.site_id) \
        .where(SiteConfigVersion.site_changes.is_not(None))
    if not actor.is_superadmin:
        stmt = stmt.where(Site.id.in_(actor.site_ids))
    if args.get("site_id") is not None:
        actor.require_site(args["site_id"])
        stmt = stmt.where(Site.id == args["site_id"])
    out = []
    for row, site in db.session.execute(stmt.order_by(Site.code)).all():
        for c in row.site_changes or []:
            if args.get("conflicts") and not c.get("conflict"):
                continue
            out.append({**c, "site_id": site.id, "site_code": site.code,
                        "site_name": site.name, "reported_at": row.site_changes_at})
    out.sort(key=lambda c: (c.get("since") is None, c.get("since") or "", c["site_code"]))
    return out

