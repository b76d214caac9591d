import marshmallow as ma
from marshmallow import validate

from backend.api.users.schemas import UserSchema
from backend.schemas import Strict


class LoginSchema(Strict):
    username = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = ma.fields.String(required=True, load_only=True,
                                validate=validate.Length(min=1, max=256))


class TokenPairSchema(Strict):
    access_token = ma.fields.String()
    refresh_token = ma.fields.String()
    token_type = ma.fields.String()
    user = ma.fields.Nested(UserSchema)


class PasswordChangeSchema(Strict):
    current_password = ma.fields.String(required=True, load_only=True)
    new_password = ma.fields.String(required=True, load_only=True,
                                    validate=validate.Length(max=256))
