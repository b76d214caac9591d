import marshmallow as ma
from marshmallow import validate

from backend.api.users.schemas import UserSchema
from backend.models import User
from backend.schemas import Strict, String, text


class LoginSchema(Strict):
    username = text(User.username, required=True, min_length=1)
    password = String(required=True, load_only=True,
                                validate=validate.Length(min=1, max=256))


class TokenPairSchema(Strict):
    access_token = String()
    refresh_token = String()
    token_type = String()
    user = ma.fields.Nested(UserSchema)


class PasswordChangeSchema(Strict):
    current_password = String(required=True, load_only=True,
                              validate=validate.Length(min=1, max=256))
    new_password = String(required=True, load_only=True,
                          validate=validate.Length(max=256))
