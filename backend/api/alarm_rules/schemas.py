import marshmallow as ma
from marshmallow import validate

from backend.alarms.catalogue import ALL_RULES
from backend.models.alarms import RULE_SCOPES
from backend.models.facility import CIRCUIT_CATEGORIES
from backend.schemas import ID, POSITIVE_ID, Integer, RecordSchema, Strict, String
from backend.vocabulary import LEVELS

RULE_KEYS = list(ALL_RULES)
LIMIT = dict(allow_none=True, load_default=None, metadata={"description": "null: inherit"})


class AlarmRuleSchema(RecordSchema):
    site_id = Integer(required=True, validate=POSITIVE_ID)
    scope = String(required=True, validate=validate.OneOf(RULE_SCOPES))
    category = String(allow_none=True, load_default=None,
                                validate=validate.OneOf(CIRCUIT_CATEGORIES),
                                metadata={"description": "Circuit category; iff scope=category"})
    device_id = Integer(**ID, load_default=None,
                                  metadata={"description": "Device; iff scope=device"})
    rule = String(required=True, validate=validate.OneOf(RULE_KEYS))
    level = String(required=True, validate=validate.OneOf(LEVELS))
    enabled = ma.fields.Boolean(**LIMIT)
    threshold = ma.fields.Float(**LIMIT)
    clear_threshold = ma.fields.Float(**LIMIT)
    hold_seconds = ma.fields.Float(allow_none=True, load_default=None,
                                   validate=validate.Range(min=0, max=86400),
                                   metadata={"description": "0-86400 s; null: inherit"})


class AlarmRulePutSchema(AlarmRuleSchema):
    pass


class AlarmRuleQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    scope = String(validate=validate.OneOf(RULE_SCOPES))
    rule = String(validate=validate.OneOf(RULE_KEYS))
    device_id = Integer(validate=POSITIVE_ID)
    category = String(validate=validate.OneOf(CIRCUIT_CATEGORIES))


class LimitSchema(Strict):
    threshold = ma.fields.Float()
    clear = ma.fields.Float()
    hold = ma.fields.Float()


class CatalogueRuleSchema(Strict):
    key = String()
    zh = String()
    en = String()
    unit = String()
    direction = String(metadata={"description": "above | below: which side is bad"})
    kinds = ma.fields.List(String(), metadata={"description": "Device kinds"})
    levels = ma.fields.Dict(keys=String(), values=ma.fields.Nested(LimitSchema))
    trip_causes = ma.fields.List(String())
    groupable = ma.fields.Boolean()


class EffectiveLimitSchema(Strict):
    rule = String()
    zh = String()
    en = String()
    unit = String()
    direction = String()
    level = String()
    enabled = ma.fields.Boolean()
    threshold = ma.fields.Float()
    clear_threshold = ma.fields.Float()
    hold_seconds = ma.fields.Float()
    source = String(metadata={"description": "default | site | category | device"})
