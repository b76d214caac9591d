import marshmallow as ma
from marshmallow import validate

from backend.facility.schemas import KnxGatewaySchema
from backend.models.knx import KNX_MODES
from backend.schemas import SiteQueryArgsSchema, String


class KnxGatewayPutSchema(KnxGatewaySchema):
    pass


class KnxGatewayQueryArgsSchema(SiteQueryArgsSchema):
    mode = String(validate=validate.OneOf(KNX_MODES))
    enabled = ma.fields.Boolean()
