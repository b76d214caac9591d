from flask.views import MethodView

from backend.accounts import operations as accounts
from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.pagination import SQLPage
from backend.api.users.schemas import UserPutSchema, UserQueryArgsSchema, UserSchema
from backend.extensions import db
from backend.models import Role

blp = Blueprint("users", __name__, url_prefix="/api/v1/users",
                description="User management: admins manage the users of their sites")


@blp.route("")
class Users(MethodView):
    @access(Role.admin)
    @blp.arguments(UserQueryArgsSchema, location="query")
    @blp.response(200, UserSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """List users who share a site with you"""
        return accounts.select_users(current_actor(), args)

    @access(Role.admin)
    @blp.arguments(UserSchema)
    @blp.response(201, UserSchema)
    def post(self, data):
        """Create a user; you can grant only sites you administer"""
        user = accounts.create_user(current_actor(), data)
        db.session.commit()
        return user


@blp.route("/<int:user_id>")
class UserById(MethodView):
    @access(Role.admin)
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """Read a user"""
        return accounts.get_user(current_actor(), user_id)

    @access(Role.admin)
    @blp.arguments(UserPutSchema(partial=True))
    @blp.response(200, UserSchema)
    def put(self, data, user_id):
        """Update a user (role, sites, active, password reset)"""
        user = accounts.update_user(current_actor(), user_id, data)
        db.session.commit()
        return user

    @access(Role.admin)
    @blp.response(204)
    def delete(self, user_id):
        """Delete a user"""
        accounts.delete_user(current_actor(), user_id)
        db.session.commit()
