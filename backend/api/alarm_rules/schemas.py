import marshmallow as ma
from marshmallow import validate

from backend.alarms.catalogue import ALL_RULES
from backend.models.alarms import RULE_SCOPES
from backend.models.facility import CIRCUIT_CATEGORIES
from backend.schemas import ID, RecordSchema, Strict
from backend.vocabulary import LEVELS

RULE_KEYS = list(ALL_RULES)
LIMIT = dict(allow_none=True, load_default=None, metadata={"description": "null: inherit"})


class AlarmRuleSchema(RecordSchema):
    site_id = ma.fields.Integer(required=True, validate=validate.Range(min=1))
    scope = ma.fields.String(required=True, validate=validate.OneOf(RULE_SCOPES))
    category = ma.fields.String(allow_none=True, load_default=None,
                                validate=validate.OneOf(CIRCUIT_CATEGORIES),
                                metadata={"description": "Circuit category; iff scope=category"})
    device_id = ma.fields.Integer(**ID, load_default=None,
                                  metadata={"description": "Device; iff scope=device"})
    rule = ma.fields.String(required=True, validate=validate.OneOf(RULE_KEYS))
    level = ma.fields.String(required=True, validate=validate.OneOf(LEVELS))
    enabled = ma.fields.Boolean(**LIMIT)
    threshold = ma.fields.Float(**LIMIT)
    clear_threshold = ma.fields.Float(**LIMIT)
    hold_seconds = ma.fields.Float(allow_none=True, load_default=None,
                                   validate=validate.Range(min=0, max=86400),
                                   metadata={"description": "0-86400 s; null: inherit"})


class AlarmRulePutSchema(AlarmRuleSchema):
    pass


class AlarmRuleQueryArgsSchema(Strict):
    site_id = ma.fields.Integer(validate=validate.Range(min=1))
    scope = ma.fields.String(validate=validate.OneOf(RULE_SCOPES))
    rule = ma.fields.String(validate=validate.OneOf(RULE_KEYS))
    device_id = ma.fields.Integer()
    category = ma.fields.String(validate=validate.OneOf(CIRCUIT_CATEGORIES))


class LimitSchema(Strict):
    threshold = ma.fields.Float()
    clear = ma.fields.Float()
    hold = ma.fields.Float()


class CatalogueRuleSchema(Strict):
    key = ma.fields.String()
    zh = ma.fields.String()
    en = ma.fields.String()
    unit = ma.fields.String()
    direction = ma.fields.String(metadata={"description": "above | below: which side is bad"})
    kinds = ma.fields.List(ma.fields.String(), metadata={"description": "Device kinds"})
    levels = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(LimitSchema))
    trip_causes = ma.fields.List(ma.fields.String())
    groupable = ma.fields.Boolean()


class EffectiveLimitSchema(Strict):
    rule = ma.fields.String()
    zh = ma.fields.String()
    en = ma.fields.String()
    unit = ma.fields.String()
    direction = ma.fields.String()
    level = ma.fields.String()
    enabled = ma.fields.Boolean()
    threshold = ma.fields.Float()
    clear_threshold = ma.fields.Float()
    hold_seconds = ma.fields.Float()
    source = ma.fields.String(metadata={"description": "default | site | category | device"})
