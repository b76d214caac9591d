from flask import request
from flask.views import MethodView

from backend.accounts.security import PUBLIC, access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.uplink_config.schemas import (
    ConfigChangesQueryArgsSchema,
    ConfigChangesReportSchema,
    ConfigChangesStoredSchema,
    ConfigDocumentSchema,
    ConfigQueryArgsSchema,
    ConfigResolvedSchema,
    ConfigResolveSchema,
    ConfigStatusSchema,
    SiteConfigChangeSchema,
)
from backend.extensions import db
from backend.models import Role
from backend.sitelink import config_doc, config_down, credentials

blp = Blueprint("uplink_config", __name__, url_prefix="/api/v1",
                description="Configuration down (docs/sitelink.md): the centre's versioned "
                            "account document for a site box (its site token); at the site "
                            "box, the version it runs and local changes to resolve")


@blp.route("/uplink/config")
class Config(MethodView):
    @access(PUBLIC)
    @blp.arguments(ConfigQueryArgsSchema, location="query")
    @blp.response(200, ConfigDocumentSchema)
    def get(self, args):
        """The site's configuration (site token): unchanged since ``since``, or all of it"""
        cred = credentials.authenticate(request.headers.get("Authorization"))
        return config_doc.fetch(cred, args.get("since"), args.get("conflicts"),
                                args.get("digest"))


@blp.route("/uplink/config/changes")
class Changes(MethodView):
    @access(PUBLIC)
    @blp.arguments(ConfigChangesReportSchema)
    @blp.response(200, ConfigChangesStoredSchema)
    def post(self, data):
        """A site box reports its local changes and conflicts (site token); stored whole"""
        cred = credentials.authenticate(request.headers.get("Authorization"))
        return config_doc.report(cred, data)

    @access(Role.admin)
    @blp.arguments(ConfigChangesQueryArgsSchema, location="query")
    @blp.response(200, SiteConfigChangeSchema(many=True))
    def get(self, args):
        """The site boxes' local changes and conflicts, as they reported them (your sites);
        resolved at each box"""
        return config_doc.changes(current_actor(), args)


@blp.route("/uplink/config/status")
class ConfigStatus(MethodView):
    @access(Role.admin)
    @blp.response(200, ConfigStatusSchema)
    def get(self):
        """This site box's configuration: the version it runs, local changes, conflicts"""
        return config_down.status()


@blp.route("/uplink/config/resolve")
class Resolve(MethodView):
    @access(Role.admin)
    @blp.arguments(ConfigResolveSchema)
    @blp.response(200, ConfigResolvedSchema)
    def post(self, data):
        """Resolve a user, rule, scene or schedule changed at this box: keep the centre's
        values or the local ones"""
        out = config_down.resolve(current_actor(), data.get("username"), data["keep"],
                                  data["kind"], data.get("key"))
        db.session.commit()
        return out
