"""Device models as data: every profile a device may use, uploads (versioned, audited)
and downloads (docs/profiles.md)."""
from flask import Response
from flask.views import MethodView

from backend.accounts.security import SUPERADMIN, access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.device_profiles.schemas import PROFILE_BODY, DeviceProfileSchema
from backend.api.transfer.routes import _body_text
from backend.api.transfer.schemas import text_response
from backend.errors import ErrorSchema, ValidationFailed
from backend.extensions import db
from backend.facility import profiles
from backend.models import Role

blp = Blueprint("device_profiles", __name__, url_prefix="/api/v1/device-profiles",
                description="Device profiles (register maps): list, upload, download")


@blp.route("")
class DeviceProfiles(MethodView):
    @access(Role.admin)
    @blp.response(200, DeviceProfileSchema(many=True))
    def get(self):
        """Every profile a device may use: built in, from GW_PROFILE_DIRS, uploaded"""
        return profiles.listing()

    @access(SUPERADMIN)
    @blp.response(201, DeviceProfileSchema)
    @blp.alt_response(413, schema=ErrorSchema, description="profile_too_large")
    @blp.alt_response(409, schema=ErrorSchema, description="profile_builtin: a built-in "
                                                           "name")
    @blp.doc(requestBody=PROFILE_BODY)
    def post(self):
        """Upload a profile (a new version of it if the name exists)

        Validated as the built-in files are: a 422 (`profile_invalid`) lists every error,
        each naming its field. Devices naming it use the new version within seconds."""
        try:
            text = _body_text()
        except ValidationFailed as exc:        # no file, not UTF-8: in the profile's shape
            raise ValidationFailed(exc.message, error="profile_invalid", errors={
                "profile": [e["message"] for e in exc.errors]}) from None
        entry = profiles.upload(current_actor(), text)
        db.session.commit()
        return entry


@blp.route("/<string:name>")
class DeviceProfileFile(MethodView):
    @access(Role.admin)
    @blp.response(200, content_type="application/yaml")
    @blp.doc(responses=text_response("application/yaml", "The profile's YAML",
                                     {"type": "object", "description": "The profile "
                                      "(docs/profiles.md)"}))
    def get(self, name):
        """Download a profile (the version devices use)"""
        text = profiles.download(name)
        return Response(text, mimetype="application/yaml; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{name}.yaml"'})
