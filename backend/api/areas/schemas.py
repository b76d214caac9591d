import marshmallow as ma
from marshmallow import validate

from backend.api.fields import ID, SiteQueryArgsSchema, SiteRecordSchema
from backend.models.facility import AREA_KINDS


class AreaSchema(SiteRecordSchema):
    parent_id = ma.fields.Integer(**ID, metadata={"description": "Enclosing area (tree)"})
    kind = ma.fields.String(load_default="area", validate=validate.OneOf(AREA_KINDS))


class AreaPutSchema(AreaSchema):
    pass


class AreaQueryArgsSchema(SiteQueryArgsSchema):
    parent_id = ma.fields.Integer()
    kind = ma.fields.String(validate=validate.OneOf(AREA_KINDS))
