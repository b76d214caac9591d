import marshmallow as ma
from marshmallow import validate

from backend.models import Role
from backend.schemas import RecordSchema, Strict

ROLES = [r.value for r in Role]
USERNAME = validate.Regexp(r"^[A-Za-z0-9_.@\-]{3,64}$",
                           error="3-64 letters, digits, '_', '.', '@' or '-'")


class UserSchema(RecordSchema):
    username = ma.fields.String(required=True, validate=USERNAME)
    display_name = ma.fields.String(load_default="", validate=validate.Length(max=128))
    role = ma.fields.Function(lambda u: u.role.value, deserialize=lambda v: v,
                              required=True, validate=validate.OneOf(ROLES))
    is_superadmin = ma.fields.Boolean(load_default=False)
    is_active = ma.fields.Boolean(load_default=True)
    phone = ma.fields.String(allow_none=True, validate=validate.Length(max=32))
    locale = ma.fields.String(load_default="zh-CN", validate=validate.OneOf(["zh-CN", "en"]))
    site_ids = ma.fields.List(ma.fields.Integer(validate=validate.Range(min=1)),
                              load_default=list)
    password = ma.fields.String(load_only=True, validate=validate.Length(max=256))


class UserPutSchema(UserSchema):
    pass


class UserQueryArgsSchema(Strict):
    site_id = ma.fields.Integer()
    role = ma.fields.String(validate=validate.OneOf(ROLES))
    is_active = ma.fields.Boolean()
    q = ma.fields.String()
