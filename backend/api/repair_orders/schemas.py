import marshmallow as ma
from marshmallow import validate

from backend.models.alarms import REPAIR_STATES
from backend.schemas import ID, RecordSchema, Strict


class RepairOrderSchema(RecordSchema):
    alarm_id = ma.fields.Integer(**ID, metadata={"description": "The alarm it repairs"})
    site_id = ma.fields.Integer(validate=validate.Range(min=1),
                                metadata={"description": "Required when no alarm_id"})
    title = ma.fields.String(validate=validate.Length(max=255),
                             metadata={"description": "Default: the alarm's message"})
    note = ma.fields.String(load_default="", validate=validate.Length(max=10000))
    assignee_id = ma.fields.Integer(**ID, metadata={"description": "A user of the site"})
    status = ma.fields.String(dump_only=True)
    created_by = ma.fields.Integer(dump_only=True)
    started_at = ma.fields.DateTime(dump_only=True)
    done_at = ma.fields.DateTime(dump_only=True)


class RepairOrderPatchSchema(Strict):
    status = ma.fields.String(validate=validate.OneOf(REPAIR_STATES),
                              metadata={"description": "open -> in_progress -> done, or "
                                                       "open -> done; done is final"})
    note = ma.fields.String(validate=validate.Length(max=10000))
    assignee_id = ma.fields.Integer(**ID)


class RepairOrderQueryArgsSchema(Strict):
    site_id = ma.fields.Integer(validate=validate.Range(min=1))
    status = ma.fields.String(validate=validate.OneOf(REPAIR_STATES))
    assignee_id = ma.fields.Integer()
    alarm_id = ma.fields.Integer()


class PhotoUploadSchema(Strict):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                  "description": "JPEG, PNG or WebP, <= 5 MB"})


class RepairPhotoSchema(Strict):
    id = ma.fields.Integer()
    order_id = ma.fields.Integer()
    filename = ma.fields.String()
    content_type = ma.fields.String()
    size = ma.fields.Integer()
    uploaded_by = ma.fields.Integer(allow_none=True)
    uploaded_at = ma.fields.DateTime()
