from flask import request
from flask.views import MethodView

from backend.accounts.security import PUBLIC, access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.uplink.schemas import (
    SiteCredentialSchema,
    SiteLinkSchema,
    UplinkAckSchema,
    UplinkBatchSchema,
    UplinkStatusSchema,
)
from backend.extensions import db
from backend.models import Role
from backend.sitelink import config_doc, config_down, credentials, outbox, receive

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
