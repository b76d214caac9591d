import marshmallow as ma
from marshmallow import validate

from backend.api.fields import ID, SiteQueryArgsSchema, SiteRecordSchema
from backend.models.facility import CIRCUIT_CATEGORIES


class CircuitSchema(SiteRecordSchema):
    board_id = ma.fields.Integer(required=True, validate=validate.Range(min=1))
    parent_id = ma.fields.Integer(
        **ID, metadata={"description": "Upstream circuit; null: fed by the board incomer"})
    area_id = ma.fields.Integer(**ID)
    category = ma.fields.String(load_default="power", validate=validate.OneOf(CIRCUIT_CATEGORIES))
    protected = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Security-critical: remote switching needs extra confirmation"})


class CircuitPutSchema(CircuitSchema):
    pass


class CircuitQueryArgsSchema(SiteQueryArgsSchema):
    board_id = ma.fields.Integer()
    parent_id = ma.fields.Integer()
    area_id = ma.fields.Integer()
    category = ma.fields.String(validate=validate.OneOf(CIRCUIT_CATEGORIES))
    protected = ma.fields.Boolean()
