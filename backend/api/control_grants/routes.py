"""Staff control grants: which areas, boards and circuits a staff user may switch
(managers and admins control their whole sites)."""
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.control_grants.schemas import ControlGrantsPutSchema, ControlGrantsSchema
from backend.control import rights
from backend.extensions import db
from backend.models import Role

blp = Blueprint("control_grants", __name__, url_prefix="/api/v1/users",
                description="Control grants of staff users (admins of their sites)")


@blp.route("/<int:user_id>/control-grants")
class ControlGrants(MethodView):
    @access(Role.admin)
    @blp.response(200, ControlGrantsSchema)
    def get(self, user_id):
        """The user's control grants on your sites"""
        return {"user_id": user_id, "grants": rights.grants_of(current_actor(), user_id)}

    @access(Role.admin)
    @blp.arguments(ControlGrantsPutSchema)
    @blp.response(200, ControlGrantsSchema)
    def put(self, data, user_id):
        """Replace the user's control grants on your sites (audited)"""
        grants = rights.replace_grants(current_actor(), user_id, data["grants"])
        db.session.commit()
        return {"user_id": user_id, "grants": grants}
