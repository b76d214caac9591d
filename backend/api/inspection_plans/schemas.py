from datetime import date

import marshmallow as ma
from marshmallow import validate

from backend.models import InspectionPlan
from backend.models.inspections import PLAN_KINDS, RECURRENCE_UNITS
from backend.schemas import (
    ID,
    NAME,
    POSITIVE_ID,
    YEARS,
    Integer,
    RecordSchema,
    Strict,
    String,
    text,
)

DAY = validate.Range(min=date(YEARS[0], 1, 1), max=date(YEARS[1], 12, 31))
KEY = validate.Regexp(r"^[A-Za-z0-9_.\-]{1,32}$", error="1-32 letters, digits, '.', '_', '-'")
MAX_ITEMS = 100


def day_field(**kwargs):
    kwargs.setdefault("metadata", {})["maxLength"] = 10
    return ma.fields.Date(validate=DAY, **kwargs)


class ChecklistItemSchema(Strict):
    key = String(required=True, validate=[validate.Length(max=32), KEY])
    label = text(max_length=200, min_length=1, required=True)


class MeasurementSchema(Strict):
    key = String(required=True, validate=[validate.Length(max=32), KEY])
    label = text(max_length=200, min_length=1, required=True)
    unit = text(max_length=16, load_default="")


class InspectionPlanSchema(RecordSchema):
    site_id = Integer(required=True, validate=POSITIVE_ID)
    room_id = Integer(**ID, metadata={"description": "the distribution room it inspects"})
    name = text(InspectionPlan.name, **NAME)
    kind = String(load_default="inspection", validate=validate.OneOf(PLAN_KINDS), metadata={
        "description": "inspection (巡检), generator_maintenance (发电机维保), "
                       "generator_load_test (发电机带载试验), switchover_test (双电源切换试验)"})
    description = text(max_length=2000, load_default="")
    checklist = ma.fields.List(ma.fields.Nested(ChecklistItemSchema), load_default=list,
                               validate=validate.Length(max=MAX_ITEMS))
    measurements = ma.fields.List(ma.fields.Nested(MeasurementSchema), load_default=list,
                                  validate=validate.Length(max=MAX_ITEMS))
    unit = String(load_default="month", validate=validate.OneOf(RECURRENCE_UNITS))
    every = Integer(load_default=1, validate=validate.Range(1, 1000),
                    metadata={"description": "every N units"})
    start_date = day_field(required=True, metadata={
        "description": "the first due date; later ones: start + k * every unit (month ends "
                       "clamped: from Jan 31 monthly -> Feb 28, Mar 31)"})
    next_due = day_field(metadata={"description": "the next due date, the site's local "
                                                  "date; moved on by each record"})
    enabled = ma.fields.Boolean(load_default=True)
    normal_device_id = Integer(**ID, metadata={
        "description": "switch-over tests: the normal supply's breaker"})
    standby_device_id = Integer(**ID, metadata={
        "description": "switch-over tests: the standby supply's breaker"})
    created_by = Integer(dump_only=True, allow_none=True)


class InspectionPlanPutSchema(InspectionPlanSchema):
    pass


class InspectionPlanQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    kind = String(validate=validate.OneOf(PLAN_KINDS))
    room_id = Integer(validate=POSITIVE_ID)
    enabled = ma.fields.Boolean()
    q = text(max_length=128, metadata={"description": "Substring of the name"})


class OverdueQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)


class OverdueSchema(Strict):
    plan_id = Integer()
    site_id = Integer()
    name = String()
    kind = String()
    next_due = ma.fields.Date()
    days_overdue = Integer(metadata={"description": "0: due today"})
    status = String(metadata={"description": "due | overdue"})
