"""Notification settings of a person: channels, WeChat identities, mini-program subscribe
grants and browser push subscriptions."""
from flask import request
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.notify_settings.schemas import (
    NotifyProfilePutSchema,
    NotifyProfileSchema,
    PublicKeySchema,
    SubscribeGrantSchema,
    WebPushDeleteArgsSchema,
    WebPushSubscriptionSchema,
)
from backend.api.pagination import SQLPage
from backend.extensions import db
from backend.models import Role
from backend.notify import preferences as service

blp = Blueprint("notify_settings", __name__, url_prefix="/api/v1",
                description="How a person is notified: channels, WeChat openids, "
                            "subscribe grants, Web Push subscriptions")


@blp.route("/me/notify-profile")
class MyNotifyProfile(MethodView):
    @access(Role.staff)
    @blp.response(200, NotifyProfileSchema)
    def get(self):
        """Your notification profile (defaults until you save one)"""
        return service.get_profile(current_actor())

    @access(Role.staff)
    @blp.arguments(NotifyProfilePutSchema(partial=True))
    @blp.response(200, NotifyProfileSchema)
    def put(self, data):
        """Save your channel order and WeChat openids"""
        out = service.update_profile(current_actor(), data)
        db.session.commit()
        return out


@blp.route("/users/<int:user_id>/notify-profile")
class UserNotifyProfile(MethodView):
    @access(Role.admin)
    @blp.response(200, NotifyProfileSchema)
    def get(self, user_id):
        """A user's notification profile"""
        return service.get_profile(current_actor(), user_id)

    @access(Role.admin)
    @blp.arguments(NotifyProfilePutSchema(partial=True))
    @blp.response(200, NotifyProfileSchema)
    def put(self, data, user_id):
        """Save a user's notification profile (a user you manage, as in the users API)"""
        out = service.update_profile(current_actor(), data, user_id)
        db.session.commit()
        return out


@blp.route("/me/subscribe-grants")
class MySubscribeGrants(MethodView):
    @access(Role.staff)
    @blp.response(200, SubscribeGrantSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self):
        """Your remaining one-time subscribe-message grants, per template"""
        return service.select_subscribe_grants(current_actor())

    @access(Role.staff)
    @blp.arguments(SubscribeGrantSchema)
    @blp.response(201, SubscribeGrantSchema)
    def post(self, data):
        """Record wx.requestSubscribeMessage's answer for a template (accept adds grants)"""
        grant = service.add_subscribe_grants(current_actor(), data["template_id"],
                                             data["count"], data["result"])
        db.session.commit()
        return grant


@blp.route("/me/webpush-subscriptions")
class MyWebPushSubscriptions(MethodView):
    @access(Role.staff)
    @blp.arguments(WebPushSubscriptionSchema)
    @blp.response(201, WebPushSubscriptionSchema)
    @blp.alt_response(200, schema=WebPushSubscriptionSchema, description="Updated")
    def post(self, data):
        """Save this browser's push subscription (upsert by endpoint)"""
        sub, created = service.save_webpush(current_actor(), data["endpoint"],
                                            data["keys"]["p256dh"], data["keys"]["auth"],
                                            request.user_agent.string)
        db.session.commit()
        return sub, 201 if created else 200

    @access(Role.staff)
    @blp.arguments(WebPushDeleteArgsSchema, location="query")
    @blp.response(204)
    def delete(self, args):
        """Forget this browser's push subscription (idempotent)"""
        service.delete_webpush(current_actor(), args["endpoint"])
        db.session.commit()


@blp.route("/webpush/public-key")
class WebPushPublicKey(MethodView):
    @access(Role.staff)
    @blp.response(200, PublicKeySchema)
    def get(self):
        """The VAPID public key for pushManager.subscribe (applicationServerKey)"""
        return service.webpush_public_key()
