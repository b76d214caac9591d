import marshmallow as ma
from marshmallow import validate

from backend.api.fields import ID, SiteQueryArgsSchema, SiteRecordSchema
from backend.models.facility import ROOM_KINDS


class RoomSchema(SiteRecordSchema):
    area_id = ma.fields.Integer(**ID)
    kind = ma.fields.String(load_default="low_voltage", validate=validate.OneOf(ROOM_KINDS))


class RoomPutSchema(RoomSchema):
    pass


class RoomQueryArgsSchema(SiteQueryArgsSchema):
    area_id = ma.fields.Integer()
    kind = ma.fields.String(validate=validate.OneOf(ROOM_KINDS))
