"""A user's channel plan: their channels in order, kept where we have an address and the
channel is configured."""
from __future__ import annotations

from sqlalchemy import select

from backend.extensions import db
from backend.models import NotifyProfile, User, WebPushSubscription
from backend.models.notify import CHANNELS
from backend.settings import setting


def channel_plan(user_id: int) -> tuple[list[str], str | None]:
    """The user's channels in order, kept only where we have an address and the
    channel is configured; (plan, reason if empty)."""
    user = db.session.get(User, user_id)
    profile = db.session.get(NotifyProfile, user_id)
    order = list(profile.channels) if profile and profile.channels else list(CHANNELS)
    usable = {
        "wechat_template": bool(profile and profile.oa_openid and setting("wechat_appid")
                                and setting("wechat_template_alarm")),
        "wxa_subscribe": bool(profile and profile.mp_openid and setting("wxa_appid")
                              and setting("wxa_subscribe_template")),
        "webpush": db.session.execute(select(WebPushSubscription.id).where(
            WebPushSubscription.user_id == user_id).limit(1)).first() is not None,
        "sms": bool(user and user.phone and setting("sms_provider") != "none"
                    and setting("sms_template_id")),
    }
    plan = [c for c in order if usable.get(c)]
    return plan, None if plan else "no reachable channel (no openid, subscription or phone)"
