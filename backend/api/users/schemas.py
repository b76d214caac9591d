import marshmallow as ma
from marshmallow import validate

from backend.models import Role, User
from backend.schemas import POSITIVE_ID, Integer, RecordSchema, Strict, String, text

ROLES = [r.value for r in Role]
USERNAME = validate.Regexp(r"^[A-Za-z0-9_.@\-]{3,64}$",
                           error="3-64 letters, digits, '_', '.', '@' or '-'")


class UserSchema(RecordSchema):
    username = text(User.username, required=True, validate=USERNAME)
    display_name = text(User.display_name, load_default="")
    role = ma.fields.Function(lambda u: u.role.value, deserialize=lambda v: v,
                              required=True, validate=validate.OneOf(ROLES))
    is_superadmin = ma.fields.Boolean(load_default=False)
    is_active = ma.fields.Boolean(load_default=True)
    phone = text(User.phone, allow_none=True)
    locale = String(load_default="zh-CN", validate=validate.OneOf(["zh-CN", "en"]))
    site_ids = ma.fields.List(Integer(validate=POSITIVE_ID), validate=validate.Length(max=1000),
                              load_default=list)
    password = String(load_only=True, validate=validate.Length(max=256))


class UserPutSchema(UserSchema):
    pass


class UserQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    role = String(validate=validate.OneOf(ROLES))
    is_active = ma.fields.Boolean()
    q = text(User.display_name)
