"""What an alarm notification says: the channel-neutral ``Message`` of an alarm, in Chinese
(title = rule and level, the place, the value or the trip cause, the links)."""
from __future__ import annotations

from backend.alarms import context as alarm_context
from backend.alarms.catalogue import ALL_RULES
from backend.extensions import db
from backend.models import Alarm, Area, Gateway, Site
from backend.notify.base import LEVEL_LABELS, Message
from backend.settings import setting
from backend.vocabulary import TRIP_ZH


def _gateway_name(gateway_id: int | None) -> str:
    gateway = db.session.get(Gateway, gateway_id) if gateway_id else None
    return gateway.name if gateway else f"网关 {gateway_id}"


def message_for(alarm: Alarm) -> Message:
    rule = ALL_RULES[alarm.rule]
    site = db.session.get(Site, alarm.site_id)
    ctx = alarm_context.devices([alarm.device_id]).get(alarm.device_id) \
        if alarm.device_id else None
    area = db.session.get(Area, alarm.area_id) if alarm.area_id and not ctx else None
    location = ctx.location if ctx else _gateway_name(alarm.gateway_id) \
        if alarm.gateway_id is not None else area.name if area else "平台数据采集"
    if alarm.trip_cause:
        value = f"跳闸:{TRIP_ZH.get(alarm.trip_cause, alarm.trip_cause)}"
        if alarm.value is not None and rule.unit:
            value += f" {alarm.value:.1f}{rule.unit}"
    elif alarm.value is not None and rule.unit:
        value = f"{alarm.value:.1f}{rule.unit}"
    elif alarm.rule == "linkage":
        value = alarm.message[:20]       # the rule's own text (template fields: 20 chars)
    else:
        value = rule.zh
    return Message(title=f"{rule.zh}{LEVEL_LABELS[alarm.level]}", level=alarm.level,
                   site=site.name if site else "", location=location, value=value,
                   occurred_at=alarm.raised_at, alarm_id=alarm.id, state=alarm.state,
                   url_path=f"pages/alarm/detail?id={alarm.id}",
                   web_url=f"{setting('public_url')}/alarms/{alarm.id}")
