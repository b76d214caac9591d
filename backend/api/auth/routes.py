from flask import current_app, request
from flask.views import MethodView
from flask_jwt_extended import current_user, get_jwt

from backend.accounts import operations as accounts
from backend.accounts.security import PUBLIC, access, current_actor
from backend.api.auth.schemas import LoginSchema, PasswordChangeSchema, TokenPairSchema
from backend.api.blueprint import Blueprint
from backend.api.users.schemas import UserSchema
from backend.extensions import db
from backend.models import Role

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth",
                description="One set of accounts for the web console, the PWA and the "
                            "mini-program (JWT)")


@blp.route("/login")
class Login(MethodView):
    @access(PUBLIC)
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, description="Wrong username or password")
    @blp.alt_response(429, description="Wait Retry-After seconds: ``login_delayed`` (failures "
                                       "of this account from this address) or "
                                       "``login_throttled`` (failures from this address)")
    def post(self, data):
        """Log in: an access token (minutes) and a refresh token (days)"""
        settings = current_app.config["GW_SETTINGS"]
        tokens = accounts.login(settings, data["username"], data["password"], request.remote_addr)
        db.session.commit()
        return tokens


@blp.route("/refresh")
class Refresh(MethodView):
    @access(Role.staff, refresh=True)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, description="``refresh_token_reused``: this refresh token was "
                                       "already rotated, every token of its login is now "
                                       "revoked; ``token_revoked``, ``token_expired``, ...")
    def post(self):
        """Rotate: send the refresh token as Bearer; a new pair is returned, once

        A refresh token can be rotated once: of concurrent refreshes with one token one
        wins, and presenting an already rotated token revokes the whole login (reuse
        detection)."""
        return accounts.refresh(current_user, get_jwt())


@blp.route("/logout")
class Logout(MethodView):
    @access(Role.staff)
    @blp.response(204)
    def post(self):
        """Revoke this access token and the refresh tokens of its login"""
        accounts.logout(get_jwt())
        db.session.commit()


@blp.route("/me")
class Me(MethodView):
    @access(Role.staff)
    @blp.response(200, UserSchema)
    def get(self):
        """The calling user"""
        return current_user


@blp.route("/me/password")
class MyPassword(MethodView):
    @access(Role.staff)
    @blp.arguments(PasswordChangeSchema)
    @blp.response(200, TokenPairSchema)
    def put(self, data):
        """Change your own password; older tokens stop working, a new pair is returned"""
        tokens = accounts.change_own_password(current_actor(), current_user,
                                              data["current_password"], data["new_password"])
        db.session.commit()
        return tokens
