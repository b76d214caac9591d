import marshmallow as ma
from marshmallow import validate

from backend.api.photos import PhotoSchema
from backend.models import RepairOrder
from backend.models.alarms import REPAIR_STATES
from backend.schemas import ID, POSITIVE_ID, Integer, RecordSchema, Strict, String, text


class RepairOrderSchema(RecordSchema):
    alarm_id = Integer(**ID, metadata={"description": "The alarm it repairs"})
    site_id = Integer(validate=POSITIVE_ID,
                      metadata={"description": "Required when no alarm_id"})
    title = text(RepairOrder.title,
                 metadata={"description": "Default: the alarm's message"})
    note = String(load_default="", validate=validate.Length(max=10000))
    assignee_id = Integer(**ID, metadata={"description": "A user of the site"})
    status = String(dump_only=True)
    created_by = Integer(dump_only=True)
    started_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    done_at = ma.fields.DateTime(dump_only=True, allow_none=True)


class RepairOrderPatchSchema(Strict):
    status = String(validate=validate.OneOf(REPAIR_STATES),
                              metadata={"description": "open -> in_progress -> done, or "
                                                       "open -> done; done is final"})
    note = String(validate=validate.Length(max=10000))
    assignee_id = Integer(**ID)


class RepairOrderQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    status = String(validate=validate.OneOf(REPAIR_STATES))
    assignee_id = Integer(validate=POSITIVE_ID)
    alarm_id = Integer(validate=POSITIVE_ID)


class RepairPhotoSchema(PhotoSchema):
    order_id = Integer()
