"""The site box's ``uplink_backlog`` alarm: its oldest unacknowledged row is older than
``uplink_backlog_alarm_minutes`` (through the alarm engine, like ``polling_stopped``)."""
from __future__ import annotations

from backend.alarms import catalogue
from backend.alarms.evaluate import evaluate
from backend.extensions import db
from backend.settings import setting
from backend.sitelink import outbox


def check() -> None:
    site = outbox.site_id()
    if site is None:
        return
    _count, age = outbox.backlog()
    old = age is not None and age > 60 * setting("uplink_backlog_alarm_minutes")
    evaluate(set(), (), sites={site: 1.0 if old else 0.0}, site_rule=catalogue.UPLINK_RULE)
    db.session.commit()
