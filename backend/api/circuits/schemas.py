import marshmallow as ma
from marshmallow import validate

from backend.facility.schemas import CircuitSchema
from backend.models.facility import CIRCUIT_CATEGORIES
from backend.schemas import SiteQueryArgsSchema


class CircuitPutSchema(CircuitSchema):
    pass


class CircuitQueryArgsSchema(SiteQueryArgsSchema):
    board_id = ma.fields.Integer()
    parent_id = ma.fields.Integer()
    area_id = ma.fields.Integer()
    category = ma.fields.String(validate=validate.OneOf(CIRCUIT_CATEGORIES))
    protected = ma.fields.Boolean()
