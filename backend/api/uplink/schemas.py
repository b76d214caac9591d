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


class SiteCredentialSchema(Strict):
    id = Integer()
    site_id = Integer()
    prefix = String()
    created_at = AwareDateTime()
    revoked_at = AwareDateTime(allow_none=True)
    active = ma.fields.Boolean()
    token = String(metadata={"description": "shown once, at creation"})
