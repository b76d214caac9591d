from marshmallow import validate

from backend.schemas import ID, POSITIVE_ID, Integer, RecordSchema, Strict, String
from backend.vocabulary import LEVELS


class AlarmRecipientSchema(RecordSchema):
    site_id = Integer(required=True, validate=POSITIVE_ID)
    area_id = Integer(**ID, load_default=None,
                                metadata={"description": "null: the whole site"})
    user_id = Integer(required=True, validate=POSITIVE_ID,
                                metadata={"description": "A user granted the site"})
    tier = Integer(load_default=1, validate=validate.Range(min=1, max=5),
                             metadata={"description": "1 is told first; the next tier when "
                                                      "nobody acknowledged in time"})
    min_level = String(load_default="warning", validate=validate.OneOf(LEVELS))


class AlarmRecipientPutSchema(AlarmRecipientSchema):
    pass


class AlarmRecipientQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    user_id = Integer(validate=POSITIVE_ID)
    tier = Integer(validate=validate.Range(min=1, max=5))
    area_id = Integer(validate=POSITIVE_ID)
