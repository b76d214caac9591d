import marshmallow as ma
from marshmallow import validate

from backend.schemas import ID, RecordSchema, Strict
from backend.vocabulary import LEVELS


class AlarmRecipientSchema(RecordSchema):
    site_id = ma.fields.Integer(required=True, validate=validate.Range(min=1))
    area_id = ma.fields.Integer(**ID, load_default=None,
                                metadata={"description": "null: the whole site"})
    user_id = ma.fields.Integer(required=True, validate=validate.Range(min=1),
                                metadata={"description": "A user granted the site"})
    tier = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=5),
                             metadata={"description": "1 is told first; the next tier when "
                                                      "nobody acknowledged in time"})
    min_level = ma.fields.String(load_default="warning", validate=validate.OneOf(LEVELS))


class AlarmRecipientPutSchema(AlarmRecipientSchema):
    pass


class AlarmRecipientQueryArgsSchema(Strict):
    site_id = ma.fields.Integer(validate=validate.Range(min=1))
    user_id = ma.fields.Integer()
    tier = ma.fields.Integer(validate=validate.Range(min=1, max=5))
    area_id = ma.fields.Integer()
