import marshmallow as ma
from marshmallow import validate

from backend.facility.schemas import GatewaySchema
from backend.models.facility import TRANSPORTS
from backend.schemas import SiteQueryArgsSchema


class GatewayPutSchema(GatewaySchema):
    pass


class GatewayQueryArgsSchema(SiteQueryArgsSchema):
    transport = ma.fields.String(validate=validate.OneOf(TRANSPORTS))
    enabled = ma.fields.Boolean()
