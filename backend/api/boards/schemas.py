import marshmallow as ma
from marshmallow import validate

from backend.api.fields import ID, SiteQueryArgsSchema, SiteRecordSchema
from backend.models.facility import BOARD_LEVELS


class BoardSchema(SiteRecordSchema):
    room_id = ma.fields.Integer(**ID)
    area_id = ma.fields.Integer(**ID)
    level = ma.fields.Integer(load_default=1, validate=validate.OneOf(BOARD_LEVELS))
    feeder_circuit_id = ma.fields.Integer(
        **ID, metadata={"description": "Circuit feeding this board's incomer; null: utility"})


class BoardPutSchema(BoardSchema):
    pass


class BoardQueryArgsSchema(SiteQueryArgsSchema):
    room_id = ma.fields.Integer()
    area_id = ma.fields.Integer()
    level = ma.fields.Integer(validate=validate.OneOf(BOARD_LEVELS))
    feeder_circuit_id = ma.fields.Integer()
