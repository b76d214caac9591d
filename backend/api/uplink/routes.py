from flask import request
from flask.views import MethodView

from backend.accounts.security import PUBLIC, access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.uplink.schemas import (
    CentralCommandsSchema,
    CommandAnswersAckSchema,
    CommandAnswersSchema,
    SiteCredentialSchema,
    SiteLinkSchema,
    UplinkAckSchema,
    UplinkBatchSchema,
    UplinkStatusSchema,
)
from backend.extensions import db
from backend.models import Role
from backend.sitelink import (
    command_requests,
    config_doc,
    config_down,
    credentials,
    outbox,
    receive,
)

blp = Blueprint("uplink", __name__, url_prefix="/api/v1",
                description="The site box's uplink (docs/sitelink.md): batches from a site "
                            "box (its site token), the link's status at both ends, site "
                            "credentials")


@blp.route("/uplink/batches")
class Batches(MethodView):
    @access(PUBLIC)
    @blp.arguments(UplinkBatchSchema)
    @blp.response(200, UplinkAckSchema)
    def post(self, data):
        """A site box's batch (Authorization: Bearer <site token>); answers the watermark"""
        cred = credentials.authenticate(request.headers.get("Authorization"))
        return receive.apply(cred, data)


@blp.route("/uplink/watermark")
class Watermark(MethodView):
    @access(PUBLIC)
    @blp.response(200, UplinkAckSchema)
    def get(self):
        """The highest contiguous seq the centre holds for the caller's site (site token)"""
        cred = credentials.authenticate(request.headers.get("Authorization"))
        return receive.watermark(cred)


@blp.route("/uplink/commands")
class CentralCommands(MethodView):
    @access(PUBLIC)
    @blp.response(200, CentralCommandsSchema)
    def get(self):
        """The centre's commands waiting for the caller's site box (site token), oldest
        first, each with its age by the centre's clock"""
        cred = credentials.authenticate(request.headers.get("Authorization"))
        out = {"commands": command_requests.pending(cred.site_id)}
        db.session.commit()
        return out


@blp.route("/uplink/commands/results")
class CentralCommandResults(MethodView):
    @access(PUBLIC)
    @blp.arguments(CommandAnswersSchema)
    @blp.response(200, CommandAnswersAckSchema)
    def post(self, data):
        """The site box's answers: the command it made for each, or why it refused it
        (site token); an answer given twice changes nothing"""
        cred = credentials.authenticate(request.headers.get("Authorization"))
        out = command_requests.answered(cred.site_id, data["results"])
        db.session.commit()
        return out


@blp.route("/uplink/status")
class Status(MethodView):
    @access(Role.admin)
    @blp.response(200, UplinkStatusSchema)
    def get(self):
        """This site box's link: state, backlog, oldest unsent age, last error, last ack;
        the configuration version it runs and its local changes (``config``)"""
        return {**outbox.status(), "config": config_down.status()}


@blp.route("/uplink/resume")
class Resume(MethodView):
    @access(Role.admin)
    @blp.response(200, UplinkStatusSchema)
    def post(self):
        """Restart a stopped stream once the centre accepts it again (audited)"""
        from backend.accounts import audit
        audit.record(current_actor(), "resume", "uplink", None, site_id=outbox.site_id())
        db.session.commit()
        return outbox.resume()


@blp.route("/sites/<int:site_id>/uplink")
class SiteLink(MethodView):
    @access(Role.admin)
    @blp.response(200, SiteLinkSchema)
    def get(self, site_id):
        """The centre's view of a site's link: watermark, last batch, last error"""
        current_actor().require_site(site_id)
        return {**receive.site_link(site_id), **config_doc.link_view(site_id)}


@blp.route("/sites/<int:site_id>/credentials")
class Credentials(MethodView):
    @access(Role.admin)
    @blp.response(200, SiteCredentialSchema(many=True))
    def get(self, site_id):
        """The site's credentials (never their tokens)"""
        return credentials.listing(current_actor(), site_id)

    @access(Role.admin)
    @blp.response(201, SiteCredentialSchema)
    def post(self, site_id):
        """A new site credential; its token is shown once"""
        out = credentials.create(current_actor(), site_id)
        db.session.commit()
        return out

    @access(Role.admin)
    @blp.response(200, SiteCredentialSchema(many=True))
    def delete(self, site_id):
        """Revoke every active credential of the site: refused at once"""
        out = credentials.revoke(current_actor(), site_id)
        db.session.commit()
        return out


@blp.route("/sites/<int:site_id>/credentials/<int:credential_id>")
class CredentialById(MethodView):
    @access(Role.admin)
    @blp.response(200, SiteCredentialSchema(many=True))
    def delete(self, site_id, credential_id):
        """Revoke one credential"""
        out = credentials.revoke(current_actor(), site_id, credential_id)
        db.session.commit()
        return out
