import marshmallow as ma
from marshmallow import validate

from backend.facility.schemas import AreaSchema
from backend.models.facility import AREA_KINDS
from backend.schemas import SiteQueryArgsSchema


class AreaPutSchema(AreaSchema):
    pass


class AreaQueryArgsSchema(SiteQueryArgsSchema):
    parent_id = ma.fields.Integer()
    kind = ma.fields.String(validate=validate.OneOf(AREA_KINDS))
