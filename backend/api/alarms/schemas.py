import marshmallow as ma
from marshmallow import validate
from webargs.fields import DelimitedList

from backend.alarms.catalogue import ALL_RULES
from backend.models.alarms import ALARM_STATES
from backend.schemas import POSITIVE_ID, AwareDateTime, Integer, Strict, String
from backend.vocabulary import LEVELS


def _csv_list(choices):
    return DelimitedList(String(validate=validate.OneOf(choices)),
                         validate=validate.Length(max=len(choices)))


class AlarmQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    area_id = Integer(validate=POSITIVE_ID)
    circuit_id = Integer(validate=POSITIVE_ID)
    board_id = Integer(validate=POSITIVE_ID)
    device_id = Integer(validate=POSITIVE_ID)
    gateway_id = Integer(validate=POSITIVE_ID)
    parent_id = Integer(validate=POSITIVE_ID,
                        metadata={"description": "children grouped under this root"})
    assignee_id = Integer(validate=POSITIVE_ID)
    rule = String(validate=validate.OneOf(list(ALL_RULES)))
    level = _csv_list(LEVELS)
    state = _csv_list(ALARM_STATES)
    root_only = ma.fields.Boolean(metadata={"description": "leave out grouped children"})
    since = AwareDateTime(default_timezone=None)
    until = AwareDateTime(default_timezone=None)


class AlarmSchema(Strict):
    id = Integer()
    site_id = Integer()
    device_id = Integer(allow_none=True)
    gateway_id = Integer(allow_none=True)
    circuit_id = Integer(allow_none=True)
    area_id = Integer(allow_none=True)
    board_id = Integer(allow_none=True)
    rule = String(metadata={"description": "catalogue key (GET /alarm-rules/catalogue)"})
    level = String(metadata={"description": "warning (预警) or alarm (报警)"})
    state = String(metadata={"description": "active, acknowledged, cleared, closed"})
    value = ma.fields.Float(allow_none=True)
    peak_value = ma.fields.Float(allow_none=True)
    threshold = ma.fields.Float(allow_none=True)
    unit = String()
    trip_cause = String(allow_none=True,
                                  metadata={"description": "the breaker's reported protection"})
    message = String()
    parent_id = Integer(allow_none=True,
                                  metadata={"description": "root alarm this one is grouped under"})
    flapping = ma.fields.Boolean()
    silenced = ma.fields.Boolean(metadata={"description": "in a maintenance window: not notified"})
    raised_at = ma.fields.DateTime()
    escalated_at = ma.fields.DateTime(allow_none=True)
    acknowledged_at = ma.fields.DateTime(allow_none=True)
    acknowledged_by = Integer(allow_none=True)
    cleared_at = ma.fields.DateTime(allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)
    closed_by = Integer(allow_none=True)
    assignee_id = Integer(allow_none=True)
    notified_tier = Integer()


class TimelineEntrySchema(Strict):
    at = ma.fields.DateTime()
    kind = String(metadata={"description": "raised, escalated, grouped, silenced, "
                                      "flapping, notification, acknowledged, comment, assigned, "
                                      "escalation, cleared, closed, repair_order"})
    user_id = Integer(allow_none=True)
    user = String(allow_none=True)
    data = ma.fields.Dict()


class NotificationSchema(Strict):
    id = Integer()
    user_id = Integer(allow_none=True)
    user = String(allow_none=True)
    event = String()
    tier = Integer()
    status = String()
    channels = ma.fields.List(String())
    sent_channel = String(allow_none=True)
    attempts = Integer()
    sent_at = ma.fields.DateTime(allow_none=True)
    last_error = String(allow_none=True)


class AlarmDetailSchema(AlarmSchema):
    timeline = ma.fields.List(ma.fields.Nested(TimelineEntrySchema))
    children = ma.fields.List(ma.fields.Nested(AlarmSchema))
    notifications = ma.fields.List(ma.fields.Nested(NotificationSchema))


class AcknowledgeSchema(Strict):
    ids = ma.fields.List(Integer(validate=POSITIVE_ID), required=True,
                         validate=validate.Length(min=1, max=500))
    comment = String(validate=validate.Length(max=1000))


class AcknowledgeOneSchema(Strict):
    comment = String(validate=validate.Length(max=1000))


class CommentSchema(Strict):
    text = String(required=True, validate=validate.Length(min=1, max=2000))


class AssignSchema(Strict):
    user_id = Integer(required=True, allow_none=True, validate=POSITIVE_ID)


class CloseSchema(Strict):
    comment = String(validate=validate.Length(max=1000))


class FaultConfirmationSchema(Strict):
    verdict = String(required=True, validate=validate.OneOf(("confirmed", "false_alarm")),
                     metadata={"description": "confirmed: the fault is real (确认故障); "
                                              "false_alarm: it is not (误报)"})
    comment = String(validate=validate.Length(max=1000))


class AlarmCountsArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)


class LevelCountSchema(Strict):
    active = Integer()
    acknowledged = Integer()


class AlarmCountsSchema(Strict):
    warning = ma.fields.Nested(LevelCountSchema)
    alarm = ma.fields.Nested(LevelCountSchema)


class AssigneeSchema(Strict):
    id = Integer()
    username = String()
    display_name = String()
    role = ma.fields.Function(lambda u: u.role.value)
