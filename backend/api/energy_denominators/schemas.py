import marshmallow as ma
from marshmallow import validate

from backend.api.energy.schemas import Day
from backend.models.energy import KPI_KINDS
from backend.schemas import ID, POSITIVE_ID, Integer, RecordSchema, Strict, String


class DenominatorSchema(RecordSchema):
    site_id = Integer(required=True, validate=POSITIVE_ID)
    area_id = Integer(load_default=None, **ID, metadata={
        "description": "an area of the site (null: the site itself)"})
    month = Day(required=True, metadata={"description": "YYYY-MM-01"})
    kind = String(required=True, validate=validate.OneOf(KPI_KINDS), metadata={
        "description": "persons, floor_m2 (m² of floor), detainee_days (在押人日)"})
    value = ma.fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False,
                                                                   max=1e9))


class DenominatorPutSchema(DenominatorSchema):
    pass


class DenominatorQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    area_id = Integer(validate=POSITIVE_ID)
    kind = String(validate=validate.OneOf(KPI_KINDS))
    month = Day()
