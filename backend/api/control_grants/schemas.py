import marshmallow as ma
from marshmallow import validate

from backend.models.control import GRANT_SCOPES
from backend.schemas import POSITIVE_ID, Integer, Strict, String


class ControlGrantSchema(Strict):
    site_id = Integer(dump_only=True)
    scope = String(required=True, validate=validate.OneOf(GRANT_SCOPES), metadata={
        "description": "area (and its sub-areas), board or circuit (and what it feeds)"})
    target_id = Integer(required=True, validate=POSITIVE_ID)


class ControlGrantsPutSchema(Strict):
    grants = ma.fields.List(ma.fields.Nested(ControlGrantSchema), required=True,
                            validate=validate.Length(max=500))


class ControlGrantsSchema(Strict):
    user_id = Integer()
    grants = ma.fields.List(ma.fields.Nested(ControlGrantSchema))
