import marshmallow as ma
from marshmallow import validate

from backend.facility.schemas import DeviceSchema
from backend.models import Device
from backend.models.facility import DEVICE_KINDS
from backend.schemas import POSITIVE_ID, Integer, SiteQueryArgsSchema, String, text


class DevicePutSchema(DeviceSchema):
    pass


class DeviceQueryArgsSchema(SiteQueryArgsSchema):
    kind = String(validate=validate.OneOf(DEVICE_KINDS))
    circuit_id = Integer(validate=POSITIVE_ID)
    gateway_id = Integer(validate=POSITIVE_ID)
    area_id = Integer(validate=POSITIVE_ID)
    profile = text(Device.profile)
    enabled = ma.fields.Boolean()
