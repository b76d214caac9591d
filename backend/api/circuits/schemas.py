import marshmallow as ma
from marshmallow import validate

from backend.facility.schemas import CircuitSchema
from backend.models.facility import CIRCUIT_CATEGORIES
from backend.schemas import POSITIVE_ID, Integer, SiteQueryArgsSchema, String


class CircuitPutSchema(CircuitSchema):
    pass


class CircuitQueryArgsSchema(SiteQueryArgsSchema):
    board_id = Integer(validate=POSITIVE_ID)
    parent_id = Integer(validate=POSITIVE_ID)
    area_id = Integer(validate=POSITIVE_ID)
    category = String(validate=validate.OneOf(CIRCUIT_CATEGORIES))
    protected = ma.fields.Boolean()
