import marshmallow as ma
from marshmallow import validate

from backend.models.energy import COUNTERS
from backend.schemas import POSITIVE_ID, AwareDateTime, Integer, Strict, String, text


class CounterPairSchema(Strict):
    old_final = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(
        min=0, max=1e12), metadata={"description": "the old meter's last reading"})
    new_initial = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(
        min=0, max=1e12), metadata={"description": "the new meter's first reading"})


class MeterReplacementSchema(Strict):
    id = Integer(dump_only=True)
    site_id = Integer(dump_only=True)
    device_id = Integer(required=True, validate=POSITIVE_ID)
    at = AwareDateTime(required=True, metadata={"description": "when the meter was swapped"})
    readings = ma.fields.Dict(
        keys=String(validate=validate.OneOf(tuple(COUNTERS))),
        values=ma.fields.Nested(CounterPairSchema), required=True,
        validate=validate.Length(min=1), metadata={
            "description": f"per counter ({', '.join(COUNTERS)}): old_final, new_initial"})
    note = text(max_length=2000, load_default="")
    created_by = Integer(dump_only=True, allow_none=True)
    created_by_name = String(dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)


class MeterReplacementQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    device_id = Integer(validate=POSITIVE_ID)
