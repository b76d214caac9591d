import marshmallow as ma
from marshmallow import validate

from backend.api.energy.schemas import Day
from backend.energy.reports import FORMATS, KINDS
from backend.schemas import ID, POSITIVE_ID, Integer, Strict, String


class ReportPostSchema(Strict):
    site_id = Integer(required=True, validate=POSITIVE_ID)
    area_id = Integer(load_default=None, **ID, metadata={
        "description": "an area (department) of the site; null: the whole site"})
    kind = String(required=True, validate=validate.OneOf(KINDS))
    format = String(load_default="xlsx", validate=validate.OneOf(FORMATS))
    day = Day(metadata={"description": "daily: the local day"})
    month = Day(metadata={"description": "monthly: the month's first day"})
    start = Day(metadata={"description": "alarms: the first local day"})
    end = Day(metadata={"description": "alarms: the last local day (inclusive)"})


class ReportSchema(Strict):
    id = Integer()
    site_id = Integer()
    area_id = Integer(allow_none=True)
    kind = String()
    format = String()
    period_start = ma.fields.Date()
    period_end = ma.fields.Date()
    filename = String()
    size = Integer()
    totals = ma.fields.Dict(metadata={"description": "energy: import_kwh, export_kwh, "
                                                     "cost, carbon_kg, unpriced_kwh, "
                                                     "currency; alarms: alarms, by_level"})
    created_by = Integer(allow_none=True, metadata={"description": "null: the job"})
    created_at = ma.fields.DateTime()


class ReportQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    area_id = Integer(validate=POSITIVE_ID)
    kind = String(validate=validate.OneOf(KINDS))
    format = String(validate=validate.OneOf(FORMATS))
