from marshmallow import validate

from backend.facility.schemas import BoardSchema
from backend.models.facility import BOARD_LEVELS
from backend.schemas import POSITIVE_ID, Integer, SiteQueryArgsSchema


class BoardPutSchema(BoardSchema):
    pass


class BoardQueryArgsSchema(SiteQueryArgsSchema):
    room_id = Integer(validate=POSITIVE_ID)
    area_id = Integer(validate=POSITIVE_ID)
    level = Integer(validate=validate.OneOf(BOARD_LEVELS))
    feeder_circuit_id = Integer(validate=POSITIVE_ID)
