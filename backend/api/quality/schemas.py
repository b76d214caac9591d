from datetime import date

import marshmallow as ma
from marshmallow import validate

from backend.schemas import POSITIVE_ID, YEARS, AwareDateTime, Integer, Strict, String

PERIOD_DOC = ("default: the 24 hours before end (end default: now); at most 31 days "
              "(the daily results serve longer trends)")


class QualityQueryArgsSchema(Strict):
    start = AwareDateTime(metadata={"description": PERIOD_DOC})
    end = AwareDateTime()


DAY = validate.Range(min=date(YEARS[0], 1, 1), max=date(YEARS[1], 12, 31))


class QualityDailyQueryArgsSchema(Strict):
    from_ = ma.fields.Date(data_key="from", validate=DAY, metadata={
        "description": "first day (the site's local date); default: to - 30 days",
        "maxLength": 10})
    to = ma.fields.Date(validate=DAY, metadata={"description": "last day; default today",
                                                "maxLength": 10})
    device_id = Integer(validate=POSITIVE_ID, metadata={
        "description": "one monitoring point's days (default: the site's own rows)"})
    all_points = ma.fields.Boolean(metadata={"description": "every point's rows too"})


_DICT = {"keys": String(), "values": ma.fields.Raw()}
INDEX_DOC = ("per index (voltage_deviation, voltage_unbalance, current_unbalance, frequency, "
             "power_factor, thd_voltage): {standard, limits, intervals, compliant_intervals, "
             "compliance_pct, p95, (p95_low), max, min, compliant, approximate, method, note}")
EVENT_DOC = ("{kind: sag | swell | interruption | trip | mode_change, start, end, "
             "duration_s, min_duration_s, max_duration_s, resolution_s, residual_pct, "
             "peak_pct, class (short | long), cause (trip), source}")
CARD_DOC = ("{rule, scope (point | system), severity, title, cause, hazard, remedy "
            "(each {zh, en}), sources, device_id?, board_id?, evidence, reasoning "
            "[{zh, en}]}")


class PointQualitySchema(Strict):
    device_id = Integer()
    site_id = Integer()
    code = String()
    name = String()
    kind = String()
    circuit_id = Integer(allow_none=True)
    start = String(metadata={"format": "date-time"})
    end = String(metadata={"format": "date-time"})
    spec = ma.fields.Dict(**_DICT, metadata={
        "description": "phases, nominal_v, rated_current, pf_target"})
    intervals = Integer(metadata={"description": "10-minute intervals with data"})
    flagged_intervals = Integer(metadata={
        "description": "left out of the indices (an interruption in them)"})
    indices = ma.fields.Dict(**_DICT, metadata={"description": INDEX_DOC})
    events = ma.fields.List(ma.fields.Dict(**_DICT), metadata={"description": EVENT_DOC})
    events_truncated = ma.fields.Boolean()
    diagnosis = ma.fields.List(ma.fields.Dict(**_DICT), metadata={"description": CARD_DOC})


class SiteQualitySchema(Strict):
    site_id = Integer()
    start = String(metadata={"format": "date-time"})
    end = String(metadata={"format": "date-time"})
    indices = ma.fields.Dict(**_DICT, metadata={
        "description": "per index: {points, intervals, compliance_pct (pooled), worst_p95, "
                       "failing_points, approximate}"})
    points = ma.fields.List(ma.fields.Dict(**_DICT), metadata={
        "description": "{device_id, code, name, intervals, events, compliant {index: "
                       "true | false | null}}"})
    events = ma.fields.List(ma.fields.Dict(**_DICT), metadata={
        "description": EVENT_DOC + " with device_id and code"})
    events_truncated = ma.fields.Boolean()
    diagnosis = ma.fields.List(ma.fields.Dict(**_DICT), metadata={
        "description": "system-level cards first, then each point's: " + CARD_DOC})


class SiteDiagnosisSchema(Strict):
    site_id = Integer()
    start = String(metadata={"format": "date-time"})
    end = String(metadata={"format": "date-time"})
    system = ma.fields.List(ma.fields.Dict(**_DICT), metadata={"description": CARD_DOC})
    points = ma.fields.List(ma.fields.Dict(**_DICT), metadata={"description": CARD_DOC})


class QualityDailySchema(Strict):
    day = String(metadata={"format": "date"})
    site_id = Integer()
    device_id = Integer(allow_none=True, metadata={"description": "null: the site's row"})
    intervals = Integer()
    indices = ma.fields.Dict(**_DICT)
    events = ma.fields.List(ma.fields.Dict(**_DICT))
    diagnosis = ma.fields.List(ma.fields.Dict(**_DICT))
    computed_at = String(metadata={"format": "date-time"})


class QualityRuleSchema(Strict):
    key = String()
    scope = String()
    severity = String()
    title = ma.fields.Dict(**_DICT)
    cause = ma.fields.Dict(**_DICT)
    hazard = ma.fields.Dict(**_DICT)
    remedy = ma.fields.Dict(**_DICT)
    sources = ma.fields.List(String())


class FaultLocationQueryArgsSchema(Strict):
    device_id = Integer(validate=POSITIVE_ID, metadata={
        "description": "only the faults that concern this device (an alarm's device): "
                       "located at it or its circuit, or affecting it"})


FAULT_DOC = ("most upstream first: {node {type: circuit | board | gateway | device, id, code, "
             "name}, kind: trip | switched_off | loss_of_voltage | phase_loss | sag | "
             "fault_indicator | gateway_offline | communication | flapping, power (false: "
             "communication, not supply), cause (trip cause), devices (the evidence), "
             "affected_circuits, affected_devices, reasoning [{zh, en}]}")


class FaultLocationSchema(Strict):
    site_id = Integer()
    at = String(metadata={"format": "date-time"})
    device_id = Integer(allow_none=True)
    faults = ma.fields.List(ma.fields.Dict(**_DICT), metadata={"description": FAULT_DOC})
    circuits = ma.fields.Dict(keys=String(), values=String(), metadata={
        "description": "circuit id -> its observed state: ok | tripped | opened | dead | "
                       "phase_loss | fault_indicator | sag | no_data"})
    unknown_circuits = ma.fields.List(Integer(), metadata={
        "description": "circuits no device on which answers"})
