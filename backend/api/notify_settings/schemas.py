import marshmallow as ma
from marshmallow import validate

from backend.models import NotifyProfile, SubscribeGrant, WebPushSubscription
from backend.models.notify import CHANNELS
from backend.schemas import Integer, Strict, String, text

OPENID = dict(allow_none=True, min_length=1)


class NotifyProfileSchema(Strict):
    user_id = Integer(dump_only=True)
    channels = ma.fields.List(String(validate=validate.OneOf(CHANNELS)),
                              metadata={"description": "Order to try; each at most once"})
    oa_openid = text(NotifyProfile.oa_openid, **OPENID, metadata={"description": "openid at the official "
                                                                    "account"})
    mp_openid = text(NotifyProfile.mp_openid, **OPENID, metadata={"description": "openid at the "
                                                                    "mini-program"})
    updated_at = ma.fields.DateTime(dump_only=True, allow_none=True)


class NotifyProfilePutSchema(NotifyProfileSchema):
    pass


class SubscribeGrantSchema(Strict):
    template_id = text(SubscribeGrant.template_id, required=True, min_length=1)
    count = Integer(load_default=1, load_only=True,
                              validate=validate.Range(min=1, max=50))
    result = String(load_default="accept", load_only=True,
                    validate=validate.OneOf(("accept", "reject", "ban")),
                    metadata={"description": "wx.requestSubscribeMessage's answer for the "
                                             "template: accept adds count grants, reject "
                                             "none, ban drops those left"})
    remaining = Integer(dump_only=True)
    last_result = String(dump_only=True, allow_none=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class PushKeysSchema(Strict):
    p256dh = text(WebPushSubscription.p256dh, required=True, min_length=1)
    auth = text(WebPushSubscription.auth, required=True, min_length=1)


class WebPushSubscriptionSchema(Strict):
    """The browser's ``PushSubscription.toJSON()``, as is."""
    id = Integer(dump_only=True)
    endpoint = ma.fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                             validate=validate.Length(max=2048))
    keys = ma.fields.Nested(PushKeysSchema, required=True, load_only=True)
    expirationTime = ma.fields.Raw(load_only=True, allow_none=True,
                                   metadata={"description": "Sent by browsers; ignored"})
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class WebPushDeleteArgsSchema(Strict):
    endpoint = String(required=True, validate=validate.Length(min=1, max=2048))


class PublicKeySchema(Strict):
    public_key = String(allow_none=True,
                                  metadata={"description": "applicationServerKey (base64url); "
                                                           "null when Web Push is off"})
