import marshmallow as ma
from marshmallow import validate

from backend.api.energy.schemas import Day
from backend.energy.tariffs import PERIODS
from backend.schemas import POSITIVE_ID, Integer, RecordSchema, Strict, String, text


class PeriodSchema(Strict):
    period = String(required=True, validate=validate.OneOf(PERIODS), metadata={
        "description": "sharp (尖峰), peak (峰), flat (平), valley (谷)"})
    start = String(required=True, validate=validate.Length(max=5), metadata={
        "description": "HH:MM on a quarter hour"})
    end = String(required=True, validate=validate.Length(max=5), metadata={
        "description": "HH:MM on a quarter hour, 24:00 the day's end; before start: wraps "
                       "past midnight"})


class TariffSchema(RecordSchema):
    site_id = Integer(required=True, validate=POSITIVE_ID)
    name = text(max_length=128, load_default="")
    valid_from = Day(required=True, metadata={
        "description": "the site's local day this version starts (until the next one's)"})
    currency = String(load_default="CNY", validate=validate.Length(min=1, max=8))
    periods = ma.fields.List(ma.fields.Nested(PeriodSchema), required=True,
                             validate=validate.Length(min=1, max=96), metadata={
                                 "description": "cover the day exactly once"})
    prices = ma.fields.Dict(keys=String(), values=ma.fields.Float(), required=True,
                            metadata={"description": "{period: price per kWh}"})


class TariffPutSchema(TariffSchema):
    pass


class TariffQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
