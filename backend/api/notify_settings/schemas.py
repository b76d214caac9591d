import marshmallow as ma
from marshmallow import validate

from backend.models.notify import CHANNELS
from backend.schemas import Strict

OPENID = dict(allow_none=True, validate=validate.Length(min=1, max=64))


class NotifyProfileSchema(Strict):
    user_id = ma.fields.Integer(dump_only=True)
    channels = ma.fields.List(ma.fields.String(validate=validate.OneOf(CHANNELS)),
                              metadata={"description": "Order to try; each at most once"})
    oa_openid = ma.fields.String(**OPENID, metadata={"description": "openid at the official "
                                                                    "account"})
    mp_openid = ma.fields.String(**OPENID, metadata={"description": "openid at the "
                                                                    "mini-program"})
    updated_at = ma.fields.DateTime(dump_only=True, allow_none=True)


class NotifyProfilePutSchema(NotifyProfileSchema):
    pass


class SubscribeGrantSchema(Strict):
    template_id = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    count = ma.fields.Integer(load_default=1, load_only=True,
                              validate=validate.Range(min=1, max=50))
    remaining = ma.fields.Integer(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class PushKeysSchema(Strict):
    p256dh = ma.fields.String(required=True, validate=validate.Length(min=1, max=255))
    auth = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))


class WebPushSubscriptionSchema(Strict):
    """The browser's ``PushSubscription.toJSON()``, as is."""
    id = ma.fields.Integer(dump_only=True)
    endpoint = ma.fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                             validate=validate.Length(max=2048))
    keys = ma.fields.Nested(PushKeysSchema, required=True, load_only=True)
    expirationTime = ma.fields.Raw(load_only=True, allow_none=True,
                                   metadata={"description": "Sent by browsers; ignored"})
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class WebPushDeleteArgsSchema(Strict):
    endpoint = ma.fields.String(required=True, validate=validate.Length(min=1, max=2048))


class PublicKeySchema(Strict):
    public_key = ma.fields.String(allow_none=True,
                                  metadata={"description": "applicationServerKey (base64url); "
                                                           "null when Web Push is off"})
