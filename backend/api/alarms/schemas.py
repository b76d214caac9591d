import marshmallow as ma
from marshmallow import validate
from webargs.fields import DelimitedList

from backend.alarms.catalogue import ALL_RULES
from backend.models.alarms import ALARM_STATES
from backend.schemas import Strict
from backend.vocabulary import LEVELS


def _csv_list(choices):
    return DelimitedList(ma.fields.String(validate=validate.OneOf(choices)))


class AlarmQueryArgsSchema(Strict):
    site_id = ma.fields.Integer()
    area_id = ma.fields.Integer()
    circuit_id = ma.fields.Integer()
    board_id = ma.fields.Integer()
    device_id = ma.fields.Integer()
    gateway_id = ma.fields.Integer()
    parent_id = ma.fields.Integer(metadata={"description": "children grouped under this root"})
    assignee_id = ma.fields.Integer()
    rule = ma.fields.String(validate=validate.OneOf(list(ALL_RULES)))
    level = _csv_list(LEVELS)
    state = _csv_list(ALARM_STATES)
    root_only = ma.fields.Boolean(metadata={"description": "leave out grouped children"})
    since = ma.fields.AwareDateTime(default_timezone=None)
    until = ma.fields.AwareDateTime(default_timezone=None)


class AlarmSchema(Strict):
    id = ma.fields.Integer()
    site_id = ma.fields.Integer()
    device_id = ma.fields.Integer(allow_none=True)
    gateway_id = ma.fields.Integer(allow_none=True)
    circuit_id = ma.fields.Integer(allow_none=True)
    area_id = ma.fields.Integer(allow_none=True)
    board_id = ma.fields.Integer(allow_none=True)
    rule = ma.fields.String(metadata={"description": "catalogue key (GET /alarm-rules/catalogue)"})
    level = ma.fields.String(metadata={"description": "warning (预警) or alarm (报警)"})
    state = ma.fields.String(metadata={"description": "active, acknowledged, cleared, closed"})
    value = ma.fields.Float(allow_none=True)
    peak_value = ma.fields.Float(allow_none=True)
    threshold = ma.fields.Float(allow_none=True)
    unit = ma.fields.String()
    trip_cause = ma.fields.String(allow_none=True,
                                  metadata={"description": "the breaker's reported protection"})
    message = ma.fields.String()
    parent_id = ma.fields.Integer(allow_none=True,
                                  metadata={"description": "root alarm this one is grouped under"})
    flapping = ma.fields.Boolean()
    silenced = ma.fields.Boolean(metadata={"description": "in a maintenance window: not notified"})
    raised_at = ma.fields.DateTime()
    escalated_at = ma.fields.DateTime(allow_none=True)
    acknowledged_at = ma.fields.DateTime(allow_none=True)
    acknowledged_by = ma.fields.Integer(allow_none=True)
    cleared_at = ma.fields.DateTime(allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)
    closed_by = ma.fields.Integer(allow_none=True)
    assignee_id = ma.fields.Integer(allow_none=True)
    notified_tier = ma.fields.Integer()


class TimelineEntrySchema(Strict):
    at = ma.fields.DateTime()
    kind = ma.fields.String(metadata={"description": "raised, escalated, grouped, silenced, "
                                      "flapping, notification, acknowledged, comment, assigned, "
                                      "escalation, cleared, closed, repair_order"})
    user_id = ma.fields.Integer(allow_none=True)
    user = ma.fields.String(allow_none=True)
    data = ma.fields.Dict()


class NotificationSchema(Strict):
    id = ma.fields.Integer()
    user_id = ma.fields.Integer(allow_none=True)
    user = ma.fields.String(allow_none=True)
    event = ma.fields.String()
    tier = ma.fields.Integer()
    status = ma.fields.String()
    channels = ma.fields.List(ma.fields.String())
    sent_channel = ma.fields.String(allow_none=True)
    attempts = ma.fields.Integer()
    sent_at = ma.fields.DateTime(allow_none=True)
    last_error = ma.fields.String(allow_none=True)


class AlarmDetailSchema(AlarmSchema):
    timeline = ma.fields.List(ma.fields.Nested(TimelineEntrySchema))
    children = ma.fields.List(ma.fields.Nested(AlarmSchema))
    notifications = ma.fields.List(ma.fields.Nested(NotificationSchema))


class AcknowledgeSchema(Strict):
    ids = ma.fields.List(ma.fields.Integer(), required=True,
                         validate=validate.Length(min=1, max=500))
    comment = ma.fields.String(validate=validate.Length(max=1000))


class AcknowledgeOneSchema(Strict):
    comment = ma.fields.String(validate=validate.Length(max=1000))


class CommentSchema(Strict):
    text = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))


class AssignSchema(Strict):
    user_id = ma.fields.Integer(required=True, allow_none=True)


class CloseSchema(Strict):
    comment = ma.fields.String(validate=validate.Length(max=1000))


class AlarmCountsArgsSchema(Strict):
    site_id = ma.fields.Integer()


class LevelCountSchema(Strict):
    active = ma.fields.Integer()
    acknowledged = ma.fields.Integer()


class AlarmCountsSchema(Strict):
    warning = ma.fields.Nested(LevelCountSchema)
    alarm = ma.fields.Nested(LevelCountSchema)


class AssigneeSchema(Strict):
    id = ma.fields.Integer()
    username = ma.fields.String()
    display_name = ma.fields.String()
    role = ma.fields.Function(lambda u: u.role.value)
