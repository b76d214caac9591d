"""Alarm recipients: who is told about a site's (or an area's) alarms, in which tier."""
from backend.alarms.recipients import alarm_recipients
from backend.api.alarm_recipients.schemas import (
    AlarmRecipientPutSchema,
    AlarmRecipientQueryArgsSchema,
    AlarmRecipientSchema,
)
from backend.api.blueprint import Blueprint
from backend.api.crud import register_crud

blp = Blueprint("alarm_recipients", __name__, url_prefix="/api/v1/alarm-recipients",
                description="Alarm recipients and escalation tiers (admins of the site write)")

register_crud(blp, alarm_recipients, AlarmRecipientSchema, AlarmRecipientPutSchema,
              AlarmRecipientQueryArgsSchema, path="")
