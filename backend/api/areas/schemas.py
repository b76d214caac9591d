from marshmallow import validate

from backend.facility.schemas import AreaSchema
from backend.models.facility import AREA_KINDS
from backend.schemas import POSITIVE_ID, Integer, SiteQueryArgsSchema, String


class AreaPutSchema(AreaSchema):
    pass


class AreaQueryArgsSchema(SiteQueryArgsSchema):
    parent_id = Integer(validate=POSITIVE_ID)
    kind = String(validate=validate.OneOf(AREA_KINDS))
