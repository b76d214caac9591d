import marshmallow as ma
from marshmallow import validate

from backend.api.users.schemas import UserSchema
from backend.schemas import Strict, String


class WeChatLoginSchema(Strict):
    code = String(required=True, load_only=True, validate=validate.Length(min=1, max=128),
                  metadata={"description": "The code of wx.login (valid 5 minutes, once)"})


class WeChatLoginResultSchema(Strict):
    bound = ma.fields.Boolean(metadata={"description": "true: logged in (the token pair); "
                                                       "false: bind with bind_ticket"})
    access_token = String()
    refresh_token = String()
    token_type = String()
    user = ma.fields.Nested(UserSchema)
    bind_ticket = String(metadata={"description": "For POST /auth/wechat/bind, once"})
    expires_in = ma.fields.Integer(metadata={"description": "Seconds the ticket is valid"})


class WeChatBindSchema(Strict):
    ticket = String(required=True, load_only=True, validate=validate.Length(min=1, max=128))
    username = String(required=True, load_only=True, validate=validate.Length(min=1, max=64))
    password = String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class WeChatStatusSchema(Strict):
    bound = ma.fields.Boolean()
    bound_at = ma.fields.DateTime(allow_none=True)
    official_account_linked = ma.fields.Boolean(metadata={
        "description": "Template messages of the official account reach this user"})
    subscribe_template_id = String(allow_none=True, metadata={
        "description": "The template to pass to wx.requestSubscribeMessage"})
    grants_left = ma.fields.Integer(metadata={"description": "Subscribe messages this user "
                                                             "can still receive"})
    last_result = String(allow_none=True, metadata={"description": "accept / reject / ban"})
