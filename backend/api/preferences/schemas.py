import marshmallow as ma
from marshmallow import validate

from backend.accounts.preferences import COCKPIT_CARDS
from backend.schemas import Integer, Strict, String


class CockpitCardSchema(Strict):
    key = String(required=True, validate=validate.Length(min=1, max=32), metadata={
        "description": f"the card: one of {', '.join(COCKPIT_CARDS)} (422 unknown_card)"})
    hidden = ma.fields.Boolean(load_default=False)


class PreferencesSchema(Strict):
    user_id = Integer(dump_only=True)
    cockpit_cards = ma.fields.List(
        ma.fields.Nested(CockpitCardSchema), validate=validate.Length(max=len(COCKPIT_CARDS)),
        metadata={"description": "the cockpit's cards in the order shown (hidden ones "
                                 "flagged); cards left out are shown after these"})
    updated_at = ma.fields.DateTime(dump_only=True, allow_none=True)


class PreferencesPutSchema(PreferencesSchema):
    pass
