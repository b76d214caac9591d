import marshmallow as ma
from marshmallow import validate

from backend.api.fields import ID, SiteQueryArgsSchema, SiteRecordSchema
from backend.models.facility import DEVICE_KINDS, POLES, TRIP_CURVES

POSITIVE = dict(allow_none=True, validate=validate.Range(min=0, min_inclusive=False))


class DeviceSchema(SiteRecordSchema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(DEVICE_KINDS))
    circuit_id = ma.fields.Integer(**ID)
    gateway_id = ma.fields.Integer(**ID)
    area_id = ma.fields.Integer(**ID)
    unit_id = ma.fields.Integer(allow_none=True, validate=validate.Range(min=1, max=247),
                                metadata={"description": "Modbus unit (slave) id, 1-247"})
    profile = ma.fields.String(allow_none=True, validate=validate.Length(max=64))
    enabled = ma.fields.Boolean(load_default=True)
    poles = ma.fields.String(allow_none=True, validate=validate.OneOf(POLES))
    rated_current = ma.fields.Float(**POSITIVE, metadata={"description": "In, A"})
    trip_curve = ma.fields.String(allow_none=True, validate=validate.OneOf(TRIP_CURVES))
    rated_residual_current = ma.fields.Float(**POSITIVE, metadata={"description": "IΔn, mA"})
    rated_power = ma.fields.Float(**POSITIVE, metadata={"description": "Pn, kW"})
    attributes = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)


class DevicePutSchema(DeviceSchema):
    pass


class DeviceQueryArgsSchema(SiteQueryArgsSchema):
    kind = ma.fields.String(validate=validate.OneOf(DEVICE_KINDS))
    circuit_id = ma.fields.Integer()
    gateway_id = ma.fields.Integer()
    area_id = ma.fields.Integer()
    profile = ma.fields.String()
    enabled = ma.fields.Boolean()
