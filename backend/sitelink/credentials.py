"""The centre's site credentials: a random token per site box, stored as its SHA-256 (a
256-bit random token needs no slow hash), shown once; revocation refuses at once."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from backend.accounts import audit
from backend.accounts.security import Actor
from backend.alarms import lifecycle, timeline
from backend.control import operations as control
from backend.clock import utcnow
from backend.errors import NotFound, Unauthorized
from backend.extensions import db
from backend.models import Alarm, Site, SiteCredential
from backend.models.alarms import OPEN_STATES

PREFIX = "gwst_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _site(actor: Actor, site_id: int) -> Site:
    actor.require_site(site_id)
    site = db.session.get(Site, site_id)
    if site is None:
        raise NotFound("site not found", error="site_not_found")
    return site


def create(actor: Actor, site_id: int) -> dict:
    """A new credential for the site (earlier ones stay valid until revoked). The first
    active one makes the site remote: the centre stops polling it, so its own open alarms
    of the site are closed (the site box's alarms take their place) and its own commands
    not yet sent are cancelled."""
    _site(actor, site_id)
    if not db.session.scalar(select(SiteCredential.id).where(
            SiteCredential.site_id == site_id, SiteCredential.revoked_at.is_(None)).limit(1)):
        close_own_alarms(actor, site_id)
        control.cancel_for_site_box(actor, site_id)
    token = PREFIX + secrets.token_urlsafe(32)
    cred = SiteCredential(site_id=site_id, token_hash=_hash(token), prefix=token[:12],
                          created_by=actor.user_id)
    db.session.add(cred)
    db.session.flush()
    audit.record(actor, "create", "site_credential", cred.id, site_id=site_id,
                 after={"prefix": cred.prefix})
    return {**view(cred), "token": token}


def close_own_alarms(actor: Actor, site_id: int) -> int:
    """Close the centre's own open alarms of the site (not the forwarded ones): the site
    box's open alarm for the same (device, rule) would otherwise hit the one-open-alarm
    index and stop the stream. Audited, on the alarm timeline and, once committed, on the
    site's live stream."""
    now = utcnow()
    alarms = db.session.scalars(select(Alarm).where(
        Alarm.site_id == site_id, Alarm.origin_id.is_(None),
        Alarm.state.in_(OPEN_STATES)).with_for_update()).all()
    for alarm in alarms:
        before = audit.snapshot(alarm)
        alarm.state, alarm.closed_at, alarm.closed_by = "closed", now, actor.user_id
        alarm.cleared_at = alarm.cleared_at or now
        timeline.add_event(alarm.id, "closed", now, actor.user_id, reason="site_box",
                           comment="the site box watches this site now")
        audit.record(actor, "close", "alarm", alarm.id, site_id=site_id, before=before,
                     after=audit.snapshot(alarm))
    lifecycle.publish_after_commit(alarms)    # open PWAs see them closed, as a close does
    return len(alarms)


def revoke(actor: Actor, site_id: int, credential_id: int | None = None) -> list[dict]:
    """Revoke one credential (or every active one of the site)."""
    _site(actor, site_id)
    stmt = select(SiteCredential).where(SiteCredential.site_id == site_id,
                                        SiteCredential.revoked_at.is_(None))
    if credential_id is not None:
        stmt = stmt.where(SiteCredential.id == credential_id)
    creds = db.session.scalars(stmt).all()
    if credential_id is not None and not creds:
        raise NotFound("credential not found", error="site_credential_not_found")
    now = utcnow()
    for cred in creds:
        cred.revoked_at = now
        audit.record(actor, "revoke", "site_credential", cred.id, site_id=site_id,
                     after={"prefix": cred.prefix})
    return [view(c) for c in creds]


def listing(actor: Actor, site_id: int) -> list[dict]:
    _site(actor, site_id)
    return [view(c) for c in db.session.scalars(
        select(SiteCredential).where(SiteCredential.site_id == site_id)
        .order_by(SiteCredential.id)).all()]


def view(cred: SiteCredential) -> dict:
    return {"id": cred.id, "site_id": cred.site_id, "prefix": cred.prefix,
            "created_at": cred.created_at, "revoked_at": cred.revoked_at,
            "active": cred.revoked_at is None}


def authenticate(header: str | None) -> SiteCredential:
    """The credential of ``Authorization: Bearer <token>``, or 401 with its reason."""
    if not header or not header.startswith("Bearer "):
        raise Unauthorized("a site token is required (Authorization: Bearer ...)",
                           error="site_credential_missing")
    cred = db.session.scalar(select(SiteCredential).where(
        SiteCredential.token_hash == _hash(header[7:].strip())))
    if cred is None:
        raise Unauthorized("unknown site token", error="site_credential_invalid")
    if cred.revoked_at is not None:
        raise Unauthorized("this site credential was revoked", error="site_credential_revoked")
    return cred


def remote_site_ids() -> set[int]:
    """Sites with an active credential: a site box polls and alarms them, not the centre."""
    return set(db.session.scalars(select(SiteCredential.site_id).distinct().where(
        SiteCredential.revoked_at.is_(None))).all())
