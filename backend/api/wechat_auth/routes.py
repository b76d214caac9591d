"""The mini-program's WeChat login: log in with a wx.login code, bind, unbind."""
from flask import current_app, request
from flask.views import MethodView

from backend.accounts.security import PUBLIC, access, current_actor
from backend.api.auth.schemas import TokenPairSchema
from backend.api.blueprint import Blueprint
from backend.api.wechat_auth.schemas import (
    WeChatBindSchema,
    WeChatLoginResultSchema,
    WeChatLoginSchema,
    WeChatStatusSchema,
)
from backend.extensions import db
from backend.miniapp import operations as service
from backend.models import Role

blp = Blueprint("wechat_auth", __name__, url_prefix="/api/v1",
                description="WeChat login of the mini-program: wx.login code, binding to an "
                            "existing account, unbinding (docs/miniprogram.md)")


@blp.route("/auth/wechat/login")
class WeChatLogin(MethodView):
    @access(PUBLIC)
    @blp.arguments(WeChatLoginSchema)
    @blp.response(200, WeChatLoginResultSchema)
    @blp.alt_response(422, description="``wechat_code_invalid``: call wx.login again")
    @blp.alt_response(403, description="``wechat_user_blocked`` (WeChat: high-risk user); "
                                       "``account_disabled``")
    @blp.alt_response(429, description="``wechat_rate_limited``: wait Retry-After")
    @blp.alt_response(503, description="``wechat_not_configured``, ``wechat_unavailable``")
    def post(self, data):
        """Log in with a wx.login code: the token pair when bound, else a binding ticket"""
        out = service.login(data["code"], request.remote_addr)
        db.session.commit()
        return out


@blp.route("/auth/wechat/bind")
class WeChatBind(MethodView):
    @access(PUBLIC)
    @blp.arguments(WeChatBindSchema)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, description="``wechat_ticket_invalid`` (unknown, expired, used), "
                                       "``invalid_credentials``")
    @blp.alt_response(409, description="``wechat_already_bound``, ``wechat_identity_taken``")
    @blp.alt_response(429, description="``login_delayed`` / ``login_throttled`` as the "
                                       "password login")
    def post(self, data):
        """Bind the ticket's WeChat identity to your account (username and password, once)"""
        settings = current_app.config["GW_SETTINGS"]
        tokens = service.bind(settings, data["ticket"], data["username"], data["password"],
                              request.remote_addr)
        db.session.commit()
        return tokens


@blp.route("/me/wechat")
class MyWeChat(MethodView):
    @access(Role.staff)
    @blp.response(200, WeChatStatusSchema)
    def get(self):
        """Your WeChat binding, the subscribe template and the grants left"""
        return service.status(current_actor())

    @access(Role.staff)
    @blp.response(204)
    def delete(self):
        """Unbind your WeChat identity (idempotent; bind again from the mini-program)"""
        service.unbind(current_actor())
        db.session.commit()


@blp.route("/users/<int:user_id>/wechat")
class UserWeChat(MethodView):
    @access(Role.admin)
    @blp.response(200, WeChatStatusSchema)
    def get(self, user_id):
        """A user's WeChat binding (a user you can see)"""
        return service.status(current_actor(), user_id)

    @access(Role.admin)
    @blp.response(204)
    @blp.alt_response(403, description="``user_outside_your_sites``")
    def delete(self, user_id):
        """Unbind a user's WeChat identity (a user you manage; idempotent), e.g. a lost
        phone"""
        service.unbind(current_actor(), user_id)
        db.session.commit()
