import marshmallow as ma
from marshmallow import validate

from backend.facility.schemas import RoomSchema
from backend.models.facility import ROOM_KINDS
from backend.schemas import SiteQueryArgsSchema


class RoomPutSchema(RoomSchema):
    pass


class RoomQueryArgsSchema(SiteQueryArgsSchema):
    area_id = ma.fields.Integer()
    kind = ma.fields.String(validate=validate.OneOf(ROOM_KINDS))
