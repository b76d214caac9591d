import marshmallow as ma

from backend.facility.schemas import SiteSchema
from backend.schemas import Strict


class SitePutSchema(SiteSchema):
    pass


class SiteQueryArgsSchema(Strict):
    q = ma.fields.String(metadata={"description": "Substring of code or name"})
    code = ma.fields.String()


class TopologyDeviceSchema(Strict):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()
    profile = ma.fields.String(allow_none=True)
    gateway_id = ma.fields.Integer(allow_none=True)
    unit_id = ma.fields.Integer(allow_none=True)
    poles = ma.fields.String(allow_none=True)
    rated_current = ma.fields.Float(allow_none=True)
    trip_curve = ma.fields.String(allow_none=True)
    rated_residual_current = ma.fields.Float(allow_none=True)
    rated_power = ma.fields.Float(allow_none=True)


class TopologyCircuitSchema(Strict):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    category = ma.fields.String()
    protected = ma.fields.Boolean()
    area_id = ma.fields.Integer(allow_none=True)
    board_id = ma.fields.Integer()
    devices = ma.fields.List(ma.fields.Nested(TopologyDeviceSchema))
    circuits = ma.fields.List(ma.fields.Nested(lambda: TopologyCircuitSchema()),
                              metadata={"description": "Downstream circuits on the same board"})
    boards = ma.fields.List(ma.fields.Nested(lambda: TopologyBoardSchema()),
                            metadata={"description": "Boards whose incomer this circuit feeds"})


class TopologyBoardSchema(Strict):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    level = ma.fields.Integer()
    room_id = ma.fields.Integer(allow_none=True)
    area_id = ma.fields.Integer(allow_none=True)
    circuits = ma.fields.List(ma.fields.Nested(TopologyCircuitSchema))


class TopologySchema(Strict):
    site = ma.fields.Nested(SiteSchema)
    areas = ma.fields.List(ma.fields.Dict(), metadata={"description": "Area tree"})
    rooms = ma.fields.List(ma.fields.Dict())
    gateways = ma.fields.List(ma.fields.Dict())
    boards = ma.fields.List(ma.fields.Nested(TopologyBoardSchema),
                            metadata={"description": "Boards fed by the utility (roots)"})
    unattached_devices = ma.fields.List(ma.fields.Nested(TopologyDeviceSchema))
