"""Alarm recipients: who is told about a site's (or one area's) alarms, in which tier.

Why a recipient must be granted the site: the notification links into the app, and a
person who cannot open the site there would get alarms they can neither see nor
acknowledge (and would learn about a site they were never given).
"""
from __future__ import annotations

from sqlalchemy import select

from backend.errors import Conflict, ValidationFailed
from backend.extensions import db
from backend.models import Area, Role, User
from backend.models.notify import AlarmRecipient
from backend.services.crud import SiteResource, ref


def _fail(field: str, message: str):
    raise ValidationFailed(f"{field}: {message}", errors={field: [message]})


class AlarmRecipients(SiteResource):
    model, entity_type, label = AlarmRecipient, "alarm_recipient", "alarm_recipient"
    EQ_FILTERS = ("user_id", "tier", "area_id")
    WRITE_ROLE = Role.admin

    def validate(self, actor, obj, data, site_id):
        def merged(field):
            return data[field] if field in data else getattr(obj, field, None)

        if "area_id" in data:
            ref(Area, data["area_id"], site_id, "area_id", "area")
        user_id = merged("user_id")
        if "user_id" in data:
            user = db.session.get(User, user_id)
            if user is None or site_id not in user.site_ids:
                _fail("user_id", f"user {user_id} is not granted this site")
            if not user.is_active:
                _fail("user_id", f"user {user_id} is disabled")
        m = AlarmRecipient
        other = db.session.scalar(select(m.id).where(
            m.site_id == site_id, m.area_id.is_not_distinct_from(merged("area_id")),
            m.user_id == user_id))
        if other is not None and other != obj.id:
            raise Conflict(f"user {user_id} is already a recipient for that site/area "
                           f"(alarm_recipient {other})", error="duplicate_alarm_recipient",
                           errors={"user_id": ["is already a recipient for that site/area"]})


alarm_recipients = AlarmRecipients()
