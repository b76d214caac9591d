

import marshmallow as ma
from marshmallow import validate

from backend.api.inspection_plans.schemas import KEY, MAX_ITEMS, day_field
from backend.api.photos import PhotoSchema
from backend.schemas import ID, POSITIVE_ID, AwareDateTime, Integer, Strict, String, text

MAX_VALUE = 1e9


class ResultSchema(Strict):
    key = String(required=True, validate=[validate.Length(max=32), KEY])
    label = String(dump_only=True)
    ok = ma.fields.Boolean(required=True, metadata={"description": "合格 / 不合格"})
    note = text(max_length=500, load_default="")


class ValueSchema(Strict):
    key = String(required=True, validate=[validate.Length(max=32), KEY])
    label = String(dump_only=True)
    unit = String(dump_only=True)
    value = ma.fields.Float(required=True, allow_nan=False,
                            validate=validate.Range(-MAX_VALUE, MAX_VALUE))


class InspectionRecordSchema(Strict):
    id = Integer(dump_only=True)
    plan_id = Integer(required=True, validate=POSITIVE_ID)
    site_id = Integer(dump_only=True)
    performed_by = Integer(dump_only=True, allow_none=True)
    performed_at = AwareDateTime(metadata={"description": "default: now"})
    due_on = ma.fields.Date(dump_only=True, metadata={"description": "the due date fulfilled"})
    results = ma.fields.List(ma.fields.Nested(ResultSchema), load_default=list,
                             validate=validate.Length(max=MAX_ITEMS), metadata={
                                 "description": "one per checklist item of the plan"})
    values = ma.fields.List(ma.fields.Nested(ValueSchema), load_default=list,
                            validate=validate.Length(max=MAX_ITEMS))
    findings = text(max_length=10000, load_default="")
    switchover_seconds = ma.fields.Float(allow_none=True, allow_nan=False,
                                         validate=validate.Range(0, 3600), metadata={
        "description": "switch-over tests: kept only when the readings show no switch-over"})
    switchover_source = String(dump_only=True, allow_none=True,
                               metadata={"description": "readings | manual"})
    window_start = AwareDateTime(load_only=True, metadata={
        "description": "switch-over tests: readings from (default performed_at - 30 min)"})
    window_end = AwareDateTime(load_only=True, metadata={
        "description": "switch-over tests: readings up to (default performed_at)"})
    normal_opened_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    standby_closed_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    repair_order_id = Integer(dump_only=True, allow_none=True)
    created_at = ma.fields.DateTime(dump_only=True)


class InspectionRecordQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    plan_id = Integer(validate=POSITIVE_ID)
    performed_by = Integer(validate=POSITIVE_ID)
    from_ = AwareDateTime(data_key="from", metadata={"description": "performed at or after"})
    to = AwareDateTime(metadata={"description": "performed before"})


class ExportQueryArgsSchema(Strict):
    site_id = Integer(required=True, validate=POSITIVE_ID)
    from_ = day_field(data_key="from", required=True,
                      metadata={"description": "first day, the site's local date"})
    to = day_field(required=True, metadata={"description": "last day (inclusive)"})


class RepairOrderFromRecordSchema(Strict):
    title = text(max_length=255, load_default="",
                 metadata={"description": "default: the plan's name and the findings"})
    note = text(max_length=10000, load_default="")
    assignee_id = Integer(**ID)


class InspectionPhotoSchema(PhotoSchema):
    record_id = Integer()
