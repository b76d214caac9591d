import marshmallow as ma
from marshmallow import validate

from backend.facility.schemas import GatewaySchema
from backend.models.facility import TRANSPORTS
from backend.schemas import SiteQueryArgsSchema, String


class GatewayPutSchema(GatewaySchema):
    pass


class GatewayQueryArgsSchema(SiteQueryArgsSchema):
    transport = String(validate=validate.OneOf(TRANSPORTS))
    enabled = ma.fields.Boolean()
