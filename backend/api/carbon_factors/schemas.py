import marshmallow as ma
from marshmallow import validate

from backend.schemas import POSITIVE_ID, Integer, RecordSchema, Strict, text


class CarbonFactorSchema(RecordSchema):
    site_id = Integer(required=True, validate=POSITIVE_ID)
    year = Integer(required=True, validate=validate.Range(min=1990, max=2200))
    kg_per_kwh = ma.fields.Float(required=True, validate=validate.Range(min=0, max=10),
                                 metadata={"description": "kgCO2 per kWh imported"})
    source = text(max_length=255, load_default="")


class CarbonFactorPutSchema(CarbonFactorSchema):
    pass


class CarbonFactorQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    year = Integer(validate=validate.Range(min=1990, max=2200))
