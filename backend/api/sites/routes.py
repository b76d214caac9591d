from flask.views import MethodView

from backend.accounts.security import SUPERADMIN, access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.pagination import SQLPage
from backend.api.sites.schemas import (
    SitePutSchema,
    SiteQueryArgsSchema,
    SiteSchema,
    SiteWithLinkSchema,
    TopologySchema,
)
from backend.extensions import db
from backend.facility import sites, topology
from backend.models import Role

blp = Blueprint("sites", __name__, url_prefix="/api/v1/sites",
                description="Sites (facilities); each user sees only the sites granted to them")


@blp.route("")
class Sites(MethodView):
    @access(Role.staff)
    @blp.arguments(SiteQueryArgsSchema, location="query")
    @blp.response(200, SiteWithLinkSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """List your sites, each with its site box link (``link``)"""
        return sites.select_sites(current_actor(), args)

    @access(SUPERADMIN)
    @blp.arguments(SiteSchema)
    @blp.response(201, SiteSchema)
    def post(self, data):
        """Create a site (system administrators)"""
        site = sites.create_site(current_actor(), data)
        db.session.commit()
        return site


@blp.route("/<int:site_id>")
class SiteById(MethodView):
    @access(Role.staff)
    @blp.response(200, SiteWithLinkSchema)
    def get(self, site_id):
        """Read a site, with its site box link (``link``)"""
        return sites.get_site(current_actor(), site_id)

    @access(Role.admin)
    @blp.arguments(SitePutSchema(partial=True))
    @blp.response(200, SiteSchema)
    def put(self, data, site_id):
        """Update a site (its admins)"""
        site = sites.update_site(current_actor(), site_id, data)
        db.session.commit()
        return site

    @access(SUPERADMIN)
    @blp.response(204)
    def delete(self, site_id):
        """Delete an empty site (system administrators); 409 names what is still in it"""
        sites.delete_site(current_actor(), site_id)
        db.session.commit()


@blp.route("/<int:site_id>/topology")
class SiteTopology(MethodView):
    @access(Role.staff)
    @blp.response(200, TopologySchema)
    def get(self, site_id):
        """The site's whole supply tree: boards, circuits up/downstream, devices"""
        return topology.site_topology(current_actor(), site_id)
