import marshmallow as ma
from marshmallow import validate

from backend.facility.schemas import DeviceSchema
from backend.models.facility import DEVICE_KINDS
from backend.schemas import SiteQueryArgsSchema


class DevicePutSchema(DeviceSchema):
    pass


class DeviceQueryArgsSchema(SiteQueryArgsSchema):
    kind = ma.fields.String(validate=validate.OneOf(DEVICE_KINDS))
    circuit_id = ma.fields.Integer()
    gateway_id = ma.fields.Integer()
    area_id = ma.fields.Integer()
    profile = ma.fields.String()
    enabled = ma.fields.Boolean()
