import marshmallow as ma
from marshmallow import validate

from backend.api.fields import SiteQueryArgsSchema, SiteRecordSchema
from backend.models.facility import TRANSPORTS


class GatewaySchema(SiteRecordSchema):
    host = ma.fields.String(required=True, validate=validate.Length(min=1, max=255))
    port = ma.fields.Integer(load_default=502, validate=validate.Range(min=1, max=65535))
    transport = ma.fields.String(load_default="tcp", validate=validate.OneOf(TRANSPORTS))
    timeout_ms = ma.fields.Integer(load_default=1000, validate=validate.Range(min=50, max=60000))
    enabled = ma.fields.Boolean(load_default=True)


class GatewayPutSchema(GatewaySchema):
    pass


class GatewayQueryArgsSchema(SiteQueryArgsSchema):
    transport = ma.fields.String(validate=validate.OneOf(TRANSPORTS))
    enabled = ma.fields.Boolean()
