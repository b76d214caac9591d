"""Alarm recipients: who is told about a site's (or one area's) alarms, in which tier; the
records (``AlarmRecipients``, for the admin API) and their resolution for one alarm.

Recipients of a tier: the site's ``alarm_recipients`` of that tier whose area is empty or
the alarm's area and whose ``min_level`` the alarm reaches; a site with none uses its users
by role (tier 1 staff, 2 managers, 3 admins).

Why a recipient must be granted the site: the notification links into the app, and a
person who cannot open the site there would get alarms they can neither see nor
acknowledge (and would learn about a site they were never given).
"""
from __future__ import annotations

from sqlalchemy import select

from backend.errors import Conflict, invalid_field
from backend.extensions import db
from backend.facility.crud import SiteResource, ref
from backend.models import Alarm, Area, Role, User, user_sites
from backend.models.notify import AlarmRecipient
from backend.vocabulary import LEVEL_RANK

ROLE_TIERS = {Role.staff: 1, Role.manager: 2, Role.admin: 3}


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
                invalid_field("user_id", f"user {user_id} is not granted this site")
            if not user.is_active:
                invalid_field("user_id", f"user {user_id} is disabled")
        m = AlarmRecipient
        other = db.session.scalar(select(m.id).where(
            m.site_id == site_id, m.area_id.is_not_distinct_from(merged("area_id")),
            m.user_id == user_id))
        if other is not None and other != obj.id:
            raise Conflict(f"user {user_id} is already a recipient for that site/area "
                           f"(alarm_recipient {other})", error="duplicate_alarm_recipient",
                           errors={"user_id": ["is already a recipient for that site/area"]})


alarm_recipients = AlarmRecipients()


def recipients(alarm: Alarm, tier: int) -> list[int]:
    rows = db.session.execute(select(AlarmRecipient.user_id, AlarmRecipient.area_id,
                                     AlarmRecipient.tier, AlarmRecipient.min_level)
                              .join(User, User.id == AlarmRecipient.user_id)
                              .where(AlarmRecipient.site_id == alarm.site_id,
                                     User.is_active)).all()
    if rows:
        return sorted({r.user_id for r in rows if r.tier == tier
                       and (r.area_id is None or r.area_id == alarm.area_id)
                       and LEVEL_RANK[alarm.level] >= LEVEL_RANK[r.min_level]})
    role = next((r for r, t in ROLE_TIERS.items() if t == tier), None)
    if role is None:
        return []
    return sorted(db.session.execute(
        select(User.id).join(user_sites, user_sites.c.user_id == User.id)
        .where(user_sites.c.site_id == alarm.site_id, User.is_active,
               User.role == role)).scalars())


def max_tier(alarm: Alarm) -> int:
    tiers = db.session.execute(select(AlarmRecipient.tier).where(
        AlarmRecipient.site_id == alarm.site_id)).scalars().all()
    return max(tiers) if tiers else max(ROLE_TIERS.values())


def first_tier(alarm: Alarm) -> int:
    """The lowest tier with someone in it (a site may have no staff, only managers)."""
    top = max_tier(alarm)
    return next((t for t in range(1, top + 1) if recipients(alarm, t)), 1)
