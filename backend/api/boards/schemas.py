import marshmallow as ma
from marshmallow import validate

from backend.facility.schemas import BoardSchema
from backend.models.facility import BOARD_LEVELS
from backend.schemas import SiteQueryArgsSchema


class BoardPutSchema(BoardSchema):
    pass


class BoardQueryArgsSchema(SiteQueryArgsSchema):
    room_id = ma.fields.Integer()
    area_id = ma.fields.Integer()
    level = ma.fields.Integer(validate=validate.OneOf(BOARD_LEVELS))
    feeder_circuit_id = ma.fields.Integer()
