import marshmallow as ma

from backend.api.uplink_config.schemas import ConfigStatusSchema
from backend.schemas import AwareDateTime, Integer, Strict, String


class UplinkItemSchema(Strict):
    seq = Integer(required=True, validate=ma.validate.Range(min=1))
    kind = String(required=True, validate=ma.validate.Length(max=16))
    payload = ma.fields.Dict(required=True)


class UplinkBatchSchema(Strict):
    site_code = String(required=True, validate=ma.validate.Length(min=1, max=32))
    first_seq = Integer(required=True, validate=ma.validate.Range(min=1))
    last_seq = Integer(required=True, validate=ma.validate.Range(min=1))
    schema = Integer(required=True)
    items = ma.fields.List(ma.fields.Nested(UplinkItemSchema), required=True,
                           validate=ma.validate.Length(min=1, max=10_000))


class UplinkAckSchema(Strict):
    site_id = Integer()
    watermark = Integer()
    stored = Integer()
    skipped = Integer()


class UplinkStatusSchema(Strict):
    role = String()
    state = String(metadata={"description": "idle | up | down | stopped"})
    backlog = Integer(metadata={"description": "rows the centre has not acknowledged"})
    oldest_unsent_seconds = ma.fields.Float(allow_none=True)
    last_seq = Integer()
    acked_seq = Integer()
    last_error = String(allow_none=True)
    error_seq = Integer(allow_none=True)
    last_ack_at = AwareDateTime(allow_none=True)
    last_attempt_at = AwareDateTime(allow_none=True)
    central_url = String(allow_none=True)
    config = ma.fields.Nested(ConfigStatusSchema)


class LinkSummarySchema(Strict):
    remote = ma.fields.Boolean(metadata={"description": "an active site credential: a site "
                                                        "box polls and alarms this site"})
    state = String(metadata={"description": "local (polled by the centre) | up | down (no "
                                            "batch for GW_UPLINK_DOWN_AFTER_SECONDS) | "
                                            "stopped (a batch refused)"})
    watermark = Integer()
    last_batch_at = AwareDateTime(allow_none=True)
    last_batch_age_seconds = ma.fields.Float(allow_none=True)
    last_error = String(allow_none=True)
    error_seq = Integer(allow_none=True)
    config_version = Integer(metadata={"description": "the site's configuration version here"})
    site_config_version = Integer(allow_none=True,
                                  metadata={"description": "the version the site box runs"})
    site_config_reported_at = AwareDateTime(allow_none=True)
    site_config_conflicts = Integer(allow_none=True, metadata={
        "description": "local changes at the site box that conflict with the centre's"})


class SiteLinkSchema(LinkSummarySchema):
    site_id = Integer()
    received = Integer()
    site_config_changes = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "the box's local changes as it last reported them (kind, key, "
                       "conflict, since, fields: {local, central}); resolved at the box"})
    site_config_changes_at = AwareDateTime(allow_none=True)


class SiteCredentialSchema(Strict):
    id = Integer()
    site_id = Integer()
    prefix = String()
    created_at = AwareDateTime()
    revoked_at = AwareDateTime(allow_none=True)
    active = ma.fields.Boolean()
    token = String(metadata={"description": "shown once, at creation"})


class CentralCommandSchema(Strict):
    id = Integer(metadata={"description": "the centre's command id"})
    device = String(metadata={"description": "the device's code"})
    action = String()
    value = ma.fields.Float(allow_none=True)
    settings = ma.fields.Dict(allow_none=True)
    reason = String()
    requested_by = String(metadata={"description": "the requesting user's name"})
    requested_at = AwareDateTime()
    age_seconds = ma.fields.Float(metadata={"description": "by the centre's clock"})
    origin_kind = String(allow_none=True)


class CentralCommandsSchema(Strict):
    commands = ma.fields.List(ma.fields.Nested(CentralCommandSchema))


class CommandAnswerSchema(Strict):
    id = Integer(required=True)
    command_id = Integer(allow_none=True, metadata={"description": "the box's command"})
    error = String(allow_none=True, validate=ma.validate.Length(max=40))
    message = String(allow_none=True, validate=ma.validate.Length(max=2000))
    message_zh = String(allow_none=True, validate=ma.validate.Length(max=2000))


class CommandAnswersSchema(Strict):
    results = ma.fields.List(ma.fields.Nested(CommandAnswerSchema), required=True,
                             validate=ma.validate.Length(max=1000))


class CommandAnswersAckSchema(Strict):
    answered = Integer()
