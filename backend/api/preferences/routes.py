"""``/me/preferences``: the caller's client preferences (the cockpit's cards), kept server
side so that they follow the person across devices."""
from flask.views import MethodView

from backend.accounts import preferences as service
from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.preferences.schemas import PreferencesPutSchema, PreferencesSchema
from backend.extensions import db
from backend.models import Role

blp = Blueprint("preferences", __name__, url_prefix="/api/v1",
                description="Your client preferences: the cockpit's cards and their order")


@blp.route("/me/preferences")
class MyPreferences(MethodView):
    @access(Role.staff)
    @blp.response(200, PreferencesSchema)
    def get(self):
        """Your preferences (the defaults until you save some)"""
        return service.get_preferences(current_actor())

    @access(Role.staff)
    @blp.arguments(PreferencesPutSchema)
    @blp.response(200, PreferencesSchema)
    def put(self, data):
        """Save your preferences: the parts given replace the saved ones"""
        out = service.update_preferences(current_actor(), data)
        db.session.commit()
        return out
