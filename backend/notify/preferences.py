"""A person's notification settings: channel order, WeChat identities, mini-program
subscribe grants and browser push subscriptions.

Why these shapes:
- A profile that was never saved reads as the defaults (every channel, no openids)
  rather than a 404, so clients need no "create" step; PUT creates it.
- Subscribe grants are counters: each accepted ``wx.requestSubscribeMessage`` adds one,
  each subscribe message sent uses one (the notifier decrements). Adding is an atomic
  upsert so two taps in quick succession both count.
- A Web Push endpoint identifies one browser profile: saving it again (same endpoint)
  updates its keys and moves it to whoever is signed in there now, so a shared phone
  never pushes one person's alarms to the next person.
"""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from backend.accounts import audit
from backend.accounts import operations as accounts
from backend.accounts.operations import require_managed  # the users API's rule
from backend.accounts.security import Actor
from backend.clock import utcnow
from backend.errors import invalid_field
from backend.extensions import db
from backend.models.notify import CHANNELS, NotifyProfile, SubscribeGrant, WebPushSubscription

# --- profile ---------------------------------------------------------------------------

def _profile_dict(user_id: int, profile: NotifyProfile | None) -> dict:
    if profile is None:
        return {"user_id": user_id, "channels": list(CHANNELS), "oa_openid": None,
                "mp_openid": None, "updated_at": None}
    return {"user_id": user_id, "channels": list(profile.channels or []),
            "oa_openid": profile.oa_openid, "mp_openid": profile.mp_openid,
            "updated_at": profile.updated_at}


def get_profile(actor: Actor, user_id: int | None = None) -> dict:
    """Own profile (``user_id`` None) or, for an admin, a user they can see."""
    uid = actor.user_id if user_id is None else accounts.get_user(actor, user_id).id
    return _profile_dict(uid, db.session.get(NotifyProfile, uid))


def update_profile(actor: Actor, data: dict, user_id: int | None = None) -> dict:
    """Save channels/openids; for another user, the caller must manage that user."""
    if user_id is None:
        uid, site_ids = actor.user_id, actor.site_ids
    else:
        user = accounts.get_user(actor, user_id)
        require_managed(actor, user)
        uid, site_ids = user.id, user.site_ids
    channels = data.get("channels")
    if channels is not None and len(set(channels)) != len(channels):
        invalid_field("channels", "each channel may appear once")
    profile = db.session.get(NotifyProfile, uid)
    before = None
    if profile is None:
        profile = NotifyProfile(user_id=uid, channels=list(CHANNELS))
        db.session.add(profile)
    else:
        before = audit.snapshot(profile)
    for key in ("channels", "oa_openid", "mp_openid"):
        if key in data:
            setattr(profile, key, list(data[key]) if key == "channels" else data[key])
    db.session.flush()
    audit.record(actor, "update" if before else "create", "notify_profile", uid, site_id=None,
                 before=before, after=audit.snapshot(profile), site_ids=site_ids)
    return _profile_dict(uid, profile)


# --- mini-program subscribe grants -------------------------------------------------------

GRANT_RESULTS = ("accept", "reject", "ban")


def add_subscribe_grants(actor: Actor, template_id: str, count: int,
                         result: str = "accept") -> SubscribeGrant:
    """Record the answer ``wx.requestSubscribeMessage`` gave for a template: ``accept``
    adds ``count`` grants, ``reject`` adds none, ``ban`` (the user switched the template
    off) drops those left: WeChat refuses to deliver them (43101)."""
    added = count if result == "accept" else 0
    stmt = insert(SubscribeGrant).values(user_id=actor.user_id, template_id=template_id,
                                         remaining=added, last_result=result,
                                         updated_at=utcnow())
    stmt = stmt.on_conflict_do_update(
        index_elements=[SubscribeGrant.user_id, SubscribeGrant.template_id],
        set_={"remaining": 0 if result == "ban" else SubscribeGrant.remaining + added,
              "last_result": result, "updated_at": utcnow()})
    db.session.execute(stmt)
    grant = db.session.get(SubscribeGrant, (actor.user_id, template_id),
                           populate_existing=True)
    audit.record(actor, "grant", "subscribe_grant", None, site_id=None,
                 after={"template_id": template_id, "result": result, "count": added,
                        "remaining": grant.remaining})
    return grant


def select_subscribe_grants(actor: Actor):
    return (select(SubscribeGrant).where(SubscribeGrant.user_id == actor.user_id)
            .order_by(SubscribeGrant.template_id))


# --- Web Push ------------------------------------------------------------------------

def _push_snapshot(sub: WebPushSubscription) -> dict:
    # The keys are the browser's encryption material: not for the audit log.
    return {"user_id": sub.user_id, "endpoint": sub.endpoint, "user_agent": sub.user_agent}


def save_webpush(actor: Actor, endpoint: str, p256dh: str, auth: str,
                 user_agent: str = "") -> tuple[WebPushSubscription, bool]:
    """Upsert by endpoint; returns (subscription, created)."""
    sub = db.session.scalar(select(WebPushSubscription)
                            .where(WebPushSubscription.endpoint == endpoint))
    created = sub is None
    before = None if created else _push_snapshot(sub)
    if created:
        sub = WebPushSubscription(endpoint=endpoint)
        db.session.add(sub)
    sub.user_id, sub.p256dh, sub.auth = actor.user_id, p256dh, auth
    sub.user_agent = (user_agent or "")[:255]
    db.session.flush()
    audit.record(actor, "create" if created else "update", "webpush_subscription", sub.id,
                 site_id=None, before=before, after=_push_snapshot(sub))
    return sub, created


def delete_webpush(actor: Actor, endpoint: str) -> None:
    """Forget the caller's subscription for ``endpoint``; idempotent (the browser may
    unsubscribe twice, or after the push service already reported it gone)."""
    sub = db.session.scalar(select(WebPushSubscription).where(
        WebPushSubscription.endpoint == endpoint, WebPushSubscription.user_id == actor.user_id))
    if sub is None:
        return
    before = _push_snapshot(sub)
    db.session.execute(delete(WebPushSubscription).where(WebPushSubscription.id == sub.id))
    audit.record(actor, "delete", "webpush_subscription", sub.id, site_id=None, before=before)


def webpush_public_key() -> dict:
    """The PWA's applicationServerKey; null when the Web Push channel is off."""
    from backend.notify.webpush import vapid_public_key  # lazy: loads crypto + settings

    return {"public_key": vapid_public_key()}
