from marshmallow import validate

from backend.facility.schemas import RoomSchema
from backend.models.facility import ROOM_KINDS
from backend.schemas import POSITIVE_ID, Integer, SiteQueryArgsSchema, String


class RoomPutSchema(RoomSchema):
    pass


class RoomQueryArgsSchema(SiteQueryArgsSchema):
    area_id = Integer(validate=POSITIVE_ID)
    kind = String(validate=validate.OneOf(ROOM_KINDS))
