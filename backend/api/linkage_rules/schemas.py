import math

import marshmallow as ma
from marshmallow import validate

from backend.automation.actions import MAX_ACTIONS, ActionField
from backend.models import LinkageRule
from backend.models.facility import DEVICE_KINDS
from backend.models.linkage import OPS
from backend.schemas import ID, POSITIVE_ID, Integer, RecordSchema, Strict, String, text

HHMM = validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", error="HH:MM (00:00 to 23:59)")
DAY = validate.Range(min=0, max=86400)


class CompareValue(ma.fields.Field):
    """What the metric is compared with: a number, true/false or a short text."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"description": "a number, true/false, or a text of at "
                                                      "most 32 characters (switch_state "
                                                      "== \"open\")"})
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or (isinstance(value, (int, float)) and math.isfinite(value)
                                       and abs(value) < 1e12):
            return value
        if isinstance(value, str) and 0 < len(value) <= 32 and "\x00" not in value:
            return value
        raise ma.ValidationError("a finite number, true/false or a text of 1..32 characters")


class WindowSchema(Strict):
    start = String(required=True, validate=[validate.Length(max=5), HHMM])
    end = String(required=True, validate=[validate.Length(max=5), HHMM])


class ConditionSchema(Strict):
    device_id = Integer(**ID, metadata={"description": "one device; or area_id"})
    area_id = Integer(**ID, metadata={"description": "any device of the area (and the "
                                                     "areas inside it)"})
    device_kind = String(allow_none=True, validate=validate.OneOf(DEVICE_KINDS),
                         metadata={"description": "with area_id: only devices of this kind"})
    metric = text(LinkageRule.metric, required=True, min_length=1)
    op = String(required=True, validate=validate.OneOf(OPS))
    value = CompareValue(required=True)
    for_seconds = ma.fields.Float(load_default=0.0, validate=DAY,
                                  metadata={"description": "how long it must hold"})
    window = ma.fields.Nested(WindowSchema, allow_none=True, load_default=None, metadata={
        "description": "only inside this daily window, site local time (22:00-06:00 spans "
                       "midnight)"})


class NoteSchema(Strict):
    path = String()
    code = String()
    message = String()
    message_zh = String()


class LinkageRuleSchema(RecordSchema):
    site_id = Integer(required=True, validate=POSITIVE_ID)
    name = text(LinkageRule.name, required=True, min_length=1)
    enabled = ma.fields.Boolean(load_default=False)
    condition = ma.fields.Nested(ConditionSchema, required=True)
    actions = ma.fields.List(ActionField(), load_default=list,
                             validate=validate.Length(max=MAX_ACTIONS))
    clear_actions = ma.fields.List(ActionField(), load_default=list,
                                   validate=validate.Length(max=MAX_ACTIONS), metadata={
                                       "description": "run when the condition stops holding"})
    cooldown_seconds = ma.fields.Float(load_default=300.0, validate=DAY, metadata={
        "description": "after a firing, it fires again no sooner than this"})
    default_key = String(dump_only=True, metadata={
        "description": "set on the shipped defaults: template:area id"})
    fired_count = Integer(dump_only=True)
    uid = String(dump_only=True, metadata={
        "description": "the rule's identity between the centre and a site box "
                       "(docs/sitelink.md)"})
    notes = ma.fields.List(ma.fields.Nested(NoteSchema), dump_only=True, metadata={
        "description": "when saved: what will run differently (a protected circuit's "
                       "command waits for approval)"})


class LinkageRulePutSchema(LinkageRuleSchema):
    pass


class LinkageRuleQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    device_id = Integer(validate=POSITIVE_ID)
    area_id = Integer(validate=POSITIVE_ID)
    enabled = ma.fields.Boolean()
    q = text(LinkageRule.name, metadata={"description": "substring of the name"})


class LinkageFiringSchema(Strict):
    id = Integer()
    rule_id = Integer()
    site_id = Integer()
    seq = Integer()
    fired_at = ma.fields.DateTime()
    device_id = Integer(allow_none=True)
    metric = String()
    value = ma.fields.Raw()
    inputs = ma.fields.Dict()
    results = ma.fields.List(ma.fields.Dict())
    alarm_id = Integer(allow_none=True)
    cleared_at = ma.fields.DateTime(allow_none=True)
    clear_value = ma.fields.Raw(allow_none=True)
    clear_results = ma.fields.List(ma.fields.Dict(), allow_none=True)


class DefaultsResultSchema(Strict):
    created = ma.fields.List(ma.fields.Nested(LinkageRuleSchema))
    skipped = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "templates not made for an area: already there, no device for it, "
                       "or a loop"})
