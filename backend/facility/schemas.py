"""The facility's records as marshmallow schemas: the field rules of sites, areas, rooms,
gateways, boards, circuits and devices. The API (backend/api/<resource>/schemas.py) and
the facility file (backend/facility/transfer*.py) validate with the same schemas."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.models.facility import (
    AREA_KINDS,
    BOARD_LEVELS,
    CIRCUIT_CATEGORIES,
    DEVICE_KINDS,
    POLES,
    ROOM_KINDS,
    TRANSPORTS,
    TRIP_CURVES,
)
from backend.schemas import (
    CODE,
    ID,
    NAME,
    RecordSchema,
    SiteRecordSchema,
)

POSITIVE = dict(allow_none=True, validate=validate.Range(min=0, min_inclusive=False))


class AreaSchema(SiteRecordSchema):
    parent_id = ma.fields.Integer(**ID, metadata={"description": "Enclosing area (tree)"})
    kind = ma.fields.String(load_default="area", validate=validate.OneOf(AREA_KINDS))


class RoomSchema(SiteRecordSchema):
    area_id = ma.fields.Integer(**ID)
    kind = ma.fields.String(load_default="low_voltage", validate=validate.OneOf(ROOM_KINDS))


class GatewaySchema(SiteRecordSchema):
    host = ma.fields.String(required=True, validate=validate.Length(min=1, max=255))
    port = ma.fields.Integer(load_default=502, validate=validate.Range(min=1, max=65535))
    transport = ma.fields.String(load_default="tcp", validate=validate.OneOf(TRANSPORTS))
    timeout_ms = ma.fields.Integer(load_default=1000, validate=validate.Range(min=50, max=60000))
    enabled = ma.fields.Boolean(load_default=True)


class BoardSchema(SiteRecordSchema):
    room_id = ma.fields.Integer(**ID)
    area_id = ma.fields.Integer(**ID)
    level = ma.fields.Integer(load_default=1, validate=validate.OneOf(BOARD_LEVELS))
    feeder_circuit_id = ma.fields.Integer(
        **ID, metadata={"description": "Circuit feeding this board's incomer; null: utility"})


class CircuitSchema(SiteRecordSchema):
    board_id = ma.fields.Integer(required=True, validate=validate.Range(min=1))
    parent_id = ma.fields.Integer(
        **ID, metadata={"description": "Upstream circuit; null: fed by the board incomer"})
    area_id = ma.fields.Integer(**ID)
    category = ma.fields.String(load_default="power", validate=validate.OneOf(CIRCUIT_CATEGORIES))
    protected = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Security-critical: remote switching needs extra confirmation"})


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


class SiteSchema(RecordSchema):
    code = ma.fields.String(**CODE)
    name = ma.fields.String(**NAME)
    address = ma.fields.String(load_default="", validate=validate.Length(max=255))
    timezone = ma.fields.String(load_default="Asia/Shanghai", validate=validate.Length(max=64))
    latitude = ma.fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    longitude = ma.fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    floor_area_m2 = ma.fields.Float(allow_none=True, validate=validate.Range(min=0))
