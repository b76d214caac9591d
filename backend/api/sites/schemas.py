import marshmallow as ma

from backend import uplink
from backend.api.uplink.schemas import LinkSummarySchema
from backend.facility.schemas import SiteSchema
from backend.models import Site
from backend.schemas import Integer, Strict, String, text


class SiteWithLinkSchema(SiteSchema):
    """A site as listed: with its link to a site box as the centre sees it
    (docs/sitelink.md), read for the whole page in two queries."""
    link = ma.fields.Method("_link", dump_only=True,
                            metadata={"description": "the site box link: remote, state "
                                                     "(local | up | down | stopped), "
                                                     "watermark, last batch, last error"})

    @ma.pre_dump(pass_collection=True)
    def _links(self, data, many, **kwargs):
        rows = list(data) if many else [data]
        links = uplink.link_summaries(r.id for r in rows)
        for r in rows:                 # on the objects: the schema instance is shared
            r.gw_link = links.get(r.id)
        return rows if many else data

    def _link(self, obj):
        link = getattr(obj, "gw_link", None)
        return LinkSummarySchema().dump(link) if link else None


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
