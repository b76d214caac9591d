import marshmallow as ma

from backend.facility.schemas import SiteSchema
from backend.models import Site
from backend.schemas import Integer, Strict, String, text


class SitePutSchema(SiteSchema):
    pass


class SiteQueryArgsSchema(Strict):
    q = text(Site.name, metadata={"description": "Substring of code or name"})
    code = text(Site.code)


class TopologyDeviceSchema(Strict):
    id = Integer()
    code = String()
    name = String()
    kind = String()
    profile = String(allow_none=True)
    gateway_id = Integer(allow_none=True)
    unit_id = Integer(allow_none=True)
    poles = String(allow_none=True)
    rated_current = ma.fields.Float(allow_none=True)
    trip_curve = String(allow_none=True)
    rated_residual_current = ma.fields.Float(allow_none=True)
    rated_power = ma.fields.Float(allow_none=True)
    knx_gateway_id = Integer(allow_none=True)
    area_id = Integer(allow_none=True)
    actions = ma.fields.List(String(), metadata={"description": "the commands it accepts"})


class TopologyCircuitSchema(Strict):
    id = Integer()
    code = String()
    name = String()
    category = String()
    protected = ma.fields.Boolean()
    area_id = Integer(allow_none=True)
    board_id = Integer()
    devices = ma.fields.List(ma.fields.Nested(TopologyDeviceSchema))
    circuits = ma.fields.List(ma.fields.Nested(lambda: TopologyCircuitSchema()),
                              metadata={"description": "Downstream circuits on the same board"})
    boards = ma.fields.List(ma.fields.Nested(lambda: TopologyBoardSchema()),
                            metadata={"description": "Boards whose incomer this circuit feeds"})


class TopologyBoardSchema(Strict):
    id = Integer()
    code = String()
    name = String()
    level = Integer()
    room_id = Integer(allow_none=True)
    area_id = Integer(allow_none=True)
    circuits = ma.fields.List(ma.fields.Nested(TopologyCircuitSchema))


class TopologySchema(Strict):
    site = ma.fields.Nested(SiteSchema)
    areas = ma.fields.List(ma.fields.Dict(), metadata={"description": "Area tree"})
    rooms = ma.fields.List(ma.fields.Dict())
    gateways = ma.fields.List(ma.fields.Dict())
    boards = ma.fields.List(ma.fields.Nested(TopologyBoardSchema),
                            metadata={"description": "Boards fed by the utility (roots)"})
    unattached_devices = ma.fields.List(ma.fields.Nested(TopologyDeviceSchema))
