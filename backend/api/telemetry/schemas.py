from datetime import timezone

import marshmallow as ma
from marshmallow import validate

from backend.models.telemetry import (
    FAULT_INDICATOR_BITS,
    METRICS,
    MODES,
    SWITCH_STATES,
    TRIP_CAUSES,
)
from backend.schemas import POSITIVE_ID, AwareDateTime, Integer, Strict, String

METRICS_ARG = String(validate=validate.Length(max=2000), metadata={
    "description": "Comma-separated canonical metric names, e.g. voltage_a,current_a. "
                   f"Known: {', '.join(METRICS)}"})
VALUE_DOC = (
    "Latest value of one metric: {v, ts, q}. v is a number, or for state metrics a name "
    f"(switch_state: {'/'.join(SWITCH_STATES)}; mode: {'/'.join(MODES)}; trip_cause: "
    f"{'/'.join(TRIP_CAUSES)}), a boolean (water_leak) or a list of names "
    f"(fault_indicators: {'/'.join(FAULT_INDICATOR_BITS)}); null when not a number. "
    "q is the quality bitmask: 0 good, 1 out of plausibility range, 2 energy counter "
    "decreased (reset/replacement), 4 invalid. Flagged values are excluded from aggregates.")


class LatestArgsSchema(Strict):
    metrics = METRICS_ARG


class LatestListArgsSchema(LatestArgsSchema):
    page = Integer(load_default=1, validate=validate.Range(min=1, max=2**31 - 1))
    page_size = Integer(load_default=500, validate=validate.Range(min=1, max=5000),
                                  metadata={"description": "Devices per page (max 5000)"})


class CommandedSchema(Strict):
    command_id = Integer()
    action = String()
    value = ma.fields.Float(allow_none=True)
    target = ma.fields.Dict(keys=String(), values=ma.fields.Raw())
    state = String()
    at = String(allow_none=True, metadata={"format": "date-time"})
    by = String()


class DeviceLatestSchema(Strict):
    device_id = Integer()
    site_id = Integer()
    code = String()
    name = String()
    kind = String()
    circuit_id = Integer(allow_none=True)
    actions = ma.fields.List(String(), metadata={
        "description": "the commands the device accepts (one device's latest only)"})
    online = ma.fields.Boolean(allow_none=True,
                               metadata={"description": "null: not polled enough to know"})
    last_seen = ma.fields.DateTime(allow_none=True)
    values = ma.fields.Dict(keys=String(), values=ma.fields.Raw(),
                            metadata={"description": VALUE_DOC})
    commanded = ma.fields.Nested(CommandedSchema, allow_none=True, metadata={
        "description": "the device's latest command (what was commanded), beside the "
                       "values it reports (what it confirms)"})


class HistoryArgsSchema(Strict):
    metrics = METRICS_ARG
    start = AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": "ISO 8601 (naive = UTC); default: end - 24 h"})
    end = AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": "ISO 8601 (naive = UTC), exclusive; default: now"})
    bucket = String(validate=validate.OneOf(("raw", "1m", "15m", "1h", "1d")),
                              metadata={"description": "Default: chosen from the range for "
                                                       "at most ~500 points (raw up to 15 min)"})
    agg = String(load_default="avg", validate=validate.OneOf(("avg", "min", "max")),
                           metadata={"description": "Aggregate of good readings per bucket; "
                                                    "state metrics give the bucket's last state"})


class SeriesSchema(Strict):
    unit = String()
    points = ma.fields.Raw(metadata={
        "description": "raw: [{ts, v, q}]; bucketed: [{ts (bucket start), v, n (samples)}]"})


class HistorySchema(Strict):
    device_id = Integer()
    site_id = Integer()
    start = ma.fields.DateTime()
    end = ma.fields.DateTime()
    bucket = String()
    auto_bucket = ma.fields.Boolean()
    agg = String(allow_none=True)
    truncated = ma.fields.Boolean(metadata={"description": "raw: the row cap was reached"})
    series = ma.fields.Dict(keys=String(), values=ma.fields.Nested(SeriesSchema))


class DeviceStatusSchema(Strict):
    device_id = Integer()
    site_id = Integer()
    code = String()
    name = String()
    online = ma.fields.Boolean(allow_none=True,
                               metadata={"description": "null: not polled enough to know"})
    last_seen = ma.fields.DateTime(allow_none=True)
    last_poll_at = ma.fields.DateTime(allow_none=True)
    consecutive_failures = Integer()
    last_error = String(allow_none=True)
    changed_at = ma.fields.DateTime(allow_none=True)


class DeviceStatusQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    online = ma.fields.Boolean()
