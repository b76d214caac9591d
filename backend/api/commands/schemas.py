import math

import marshmallow as ma
from marshmallow import validate
from webargs.fields import DelimitedList

from backend.models.control import COMMAND_STATES, ORIGIN_KINDS, SWITCHING
from backend.models.facility import DEVICE_KINDS
from backend.schemas import POSITIVE_ID, AwareDateTime, Integer, Strict, String


class CommandPostSchema(Strict):
    action = String(required=True, validate=validate.OneOf(SWITCHING), metadata={
        "description": "open, close, reset (breakers); on, off, dim (loads)"})
    value = ma.fields.Float(allow_none=True, validate=validate.Range(min=0, max=100),
                            metadata={"description": "dim level 0..100"})
    reason = String(required=True, validate=validate.Length(min=1, max=500),
                    metadata={"description": "why (kept in the command and the audit log)"})


class IdempotencyHeaderSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    idempotency_key = String(required=True, data_key="Idempotency-Key",
                             validate=validate.Length(min=1, max=64), metadata={
                                 "description": "a client-chosen key (a UUID): the same key "
                                                "returns the same command, never a second"})


class CommandCommentSchema(Strict):
    comment = String(validate=validate.Length(max=500))


class CommandRejectSchema(Strict):
    comment = String(required=True, validate=validate.Length(min=1, max=500))


class CommandQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    device_id = Integer(validate=POSITIVE_ID)
    circuit_id = Integer(validate=POSITIVE_ID)
    requested_by = Integer(validate=POSITIVE_ID, metadata={"description": "user id"})
    batch_id = String(validate=validate.Length(max=36))
    origin_kind = String(validate=validate.OneOf(ORIGIN_KINDS), metadata={
        "description": "automated commands: scene, schedule or rule (with origin_id)"})
    origin_id = Integer(validate=POSITIVE_ID)
    state = DelimitedList(String(validate=validate.OneOf(COMMAND_STATES)),
                          validate=validate.Length(max=len(COMMAND_STATES)))
    awaiting_my_approval = ma.fields.Boolean(metadata={
        "description": "awaiting approval and requested by someone else"})
    since = AwareDateTime(default_timezone=None)
    until = AwareDateTime(default_timezone=None)


class CommandSchema(Strict):
    id = Integer()
    settings = ma.fields.Dict(keys=String(), values=ma.fields.Raw(), allow_none=True,
                              metadata={"description": "action settings: the values written"})
    before = ma.fields.Dict(keys=String(), values=ma.fields.Raw(), allow_none=True,
                            metadata={"description": "action settings: the values before"})
    site_id = Integer()
    device_id = Integer()
    circuit_id = Integer(allow_none=True)
    action = String()
    value = ma.fields.Float(allow_none=True)
    state = String(metadata={"description": ", ".join(COMMAND_STATES)})
    delivery = String(allow_none=True, metadata={
        "description": "a site box's device (docs/sitelink.md): pending until the box "
                       "takes the command, then delivered (its states are the box's)"})
    site_origin_id = Integer(allow_none=True, metadata={
        "description": "at the centre, a site box's command (delivered from here, or the "
                       "box's own, mirrored): its id at the box; read here, approved, "
                       "rejected and cancelled there (site_remote_control)"})
    target = ma.fields.Dict(keys=String(), values=ma.fields.Raw(), metadata={
        "description": "what the device must show for the command to be confirmed"})
    observed = ma.fields.Dict(keys=String(), values=ma.fields.Raw(), allow_none=True,
                              metadata={"description": "what the device showed (read-back)"})
    error = String(allow_none=True, metadata={"description": "stable code of a refusal or "
                                                             "failure"})
    message = String(allow_none=True)
    message_zh = String(allow_none=True)
    requested_by = Integer(allow_none=True)
    requested_by_name = String()
    requested_at = ma.fields.DateTime()
    sent_at = ma.fields.DateTime(allow_none=True)
    finished_at = ma.fields.DateTime(allow_none=True)
    approved_by = Integer(allow_none=True)
    approval_expires_at = ma.fields.DateTime(allow_none=True)
    expires_at = ma.fields.DateTime(allow_none=True)
    origin_kind = String(allow_none=True, metadata={
        "description": "scene | schedule | rule: the automation that asked for it"})
    origin_id = Integer(allow_none=True)


class CommandEventSchema(Strict):
    state = String()
    at = ma.fields.DateTime()
    actor_id = Integer(allow_none=True)
    actor_name = String()
    reason = String(allow_none=True)


class CommandDetailSchema(CommandSchema):
    reason = String()
    events = ma.fields.List(ma.fields.Nested(CommandEventSchema))
    can_approve = ma.fields.Boolean(metadata={"description": "you may approve or reject it"})


class CommandBatchPostSchema(CommandPostSchema):
    device_ids = ma.fields.List(Integer(validate=POSITIVE_ID),
                                validate=validate.Length(min=1, max=500))
    area_id = Integer(validate=POSITIVE_ID, metadata={
        "description": "every device of this kind (default load) in the area and its "
                       "sub-areas"})
    kind = String(validate=validate.OneOf(DEVICE_KINDS))
    board_id = Integer(validate=POSITIVE_ID, metadata={"description": "every breaker of "
                                                                      "the board"})


class CommandRefusalSchema(Strict):
    device_id = Integer()
    error = String()
    message = String()
    message_zh = String(allow_none=True)


class CommandBatchSchema(Strict):
    batch_id = String(metadata={"description": "GET /commands?batch_id= follows them"})
    commands = ma.fields.List(ma.fields.Nested(CommandSchema))
    refused = ma.fields.List(ma.fields.Nested(CommandRefusalSchema))


class SettingValue(ma.fields.Raw):
    """A setting's value: a number, true/false or a short enum name (the profile checks
    the rest)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or (isinstance(value, (int, float))
                                       and math.isfinite(value)):
            return value
        if isinstance(value, str) and 0 < len(value) <= 32:
            return value
        raise ma.ValidationError("a number, true/false or a name of at most 32 characters")


class SettingsPutSchema(Strict):
    values = ma.fields.Dict(keys=String(validate=validate.Length(min=1, max=64)),
                            values=SettingValue(), required=True,
                            validate=validate.Length(min=1, max=64), metadata={
                                "description": "setting name -> new value (the profile's "
                                               "names, units and ranges)"})
    reason = String(required=True, validate=validate.Length(min=1, max=500))


class SettingDescriptionSchema(Strict):
    name = String()
    unit = String()
    writable = ma.fields.Boolean()
    min = ma.fields.Float(allow_none=True)
    max = ma.fields.Float(allow_none=True)
    default = ma.fields.Raw(allow_none=True)
    options = ma.fields.List(ma.fields.Raw(), allow_none=True)
    description = String()


class DeviceSettingsSchema(Strict):
    device_id = Integer()
    read_at = String(metadata={"format": "date-time", "description": "when read from the "
                                                                      "device"})
    values = ma.fields.Dict(keys=String(), values=ma.fields.Raw())
    settings = ma.fields.List(ma.fields.Nested(SettingDescriptionSchema))
