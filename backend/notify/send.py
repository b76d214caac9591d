"""Send one ``Message`` to one user through one channel: the user's address for that
channel (openid, phone, Web Push subscriptions), the channel's client, one attempt.
Web Push subscriptions the push service says are gone (404/410) are deleted here.
Subscribe messages spend the user's one-time grants (``take_grant`` / ``return_grant``).
"""
from __future__ import annotations

from sqlalchemy import delete, select, update

from backend.clock import utcnow
from backend.extensions import db, redis
from backend.models import NotifyProfile, SubscribeGrant, User, WebPushSubscription
from backend.notify import sms, webpush, wechat
from backend.notify.base import Delivery, Message
from backend.settings import setting


def send(channel: str, user_id: int, message: Message, grant) -> Delivery:
    profile = db.session.get(NotifyProfile, user_id)
    if channel == "wechat_template":
        client = wechat.template_channel(redis.current())
        if client is None or not (profile and profile.oa_openid):
            return Delivery("failed", "WeChat template channel not configured or no openid",
                            code="not_configured")
        return client.send(profile.oa_openid, message)
    if channel == "wxa_subscribe":
        client = wechat.subscribe_channel(redis.current())
        if client is None or not (profile and profile.mp_openid):
            return Delivery("failed", "subscribe channel not configured or no openid",
                            code="not_configured")
        if grant is None:
            return Delivery("fallback", "no subscribe grant left for this template",
                            code="no_grant")
        return client.send(profile.mp_openid, message)
    if channel == "sms":
        user = db.session.get(User, user_id)
        provider = sms.sms_provider()
        if provider is None or not (user and user.phone):
            return Delivery("failed", "SMS not configured or no phone", code="not_configured")
        return provider.send(user.phone, sms.alarm_params(message))
    if channel == "webpush":
        return _webpush(user_id, message, webpush.webpush_channel())
    return Delivery("failed", f"unknown channel {channel}", code="unknown_channel")


def _webpush(user_id: int, message: Message, client) -> Delivery:
    subs = db.session.execute(select(WebPushSubscription).where(
        WebPushSubscription.user_id == user_id)).scalars().all()
    if client is None or not subs:
        return Delivery("failed", "Web Push not configured or no subscription",
                        code="not_configured")
    results = []
    for sub in subs:
        r = client.send({"endpoint": sub.endpoint,
                         "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}, message)
        if r.code in ("http_404", "http_410"):
            db.session.execute(delete(WebPushSubscription).where(
                WebPushSubscription.id == sub.id))
        results.append(r)
    db.session.commit()
    for outcome in ("sent", "retry"):
        for r in results:
            if r.outcome == outcome:
                return r
    return results[0]


def take_grant(user_id: int) -> str | None:
    template = setting("wxa_subscribe_template")
    taken = db.session.execute(update(SubscribeGrant).where(
        SubscribeGrant.user_id == user_id, SubscribeGrant.template_id == template,
        SubscribeGrant.remaining > 0).values(remaining=SubscribeGrant.remaining - 1,
                                             updated_at=utcnow())
        .returning(SubscribeGrant.template_id)).scalar()
    return taken


def return_grant(user_id: int, template: str, *, refused: bool) -> None:
    """Not sent: give the grant back, unless WeChat says the user has none (43101)."""
    db.session.execute(update(SubscribeGrant).where(
        SubscribeGrant.user_id == user_id, SubscribeGrant.template_id == template)
        .values(remaining=0 if refused else SubscribeGrant.remaining + 1,
                updated_at=utcnow()))
