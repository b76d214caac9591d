"""Linkage rules (联动): condition -> actions, their firing log and the shipped defaults."""
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.crud import register_crud
from backend.api.linkage_rules.schemas import (
    DefaultsResultSchema,
    LinkageFiringSchema,
    LinkageRulePutSchema,
    LinkageRuleQueryArgsSchema,
    LinkageRuleSchema,
)
from backend.api.pagination import SQLPage
from backend.automation import linkage_defaults
from backend.automation.linkage_rules import firings, linkage_rules
from backend.extensions import db
from backend.models import Role

blp = Blueprint("linkage_rules", __name__, url_prefix="/api/v1",
                description="Linkage rules (联动): a condition on a device's value runs "
                            "actions as commands; managers and admins of the site write")

register_crud(blp, linkage_rules, LinkageRuleSchema, LinkageRulePutSchema,
              LinkageRuleQueryArgsSchema, path="/linkage-rules")


@blp.route("/linkage-rules/<int:obj_id>/firings")
class Firings(MethodView):
    @access(Role.staff)
    @blp.response(200, LinkageFiringSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, obj_id):
        """The rule's firings, newest first: inputs, actions' results (command ids), clear"""
        return firings(current_actor(), obj_id)


@blp.route("/sites/<int:site_id>/linkage-rules/defaults")
class Defaults(MethodView):
    @access(Role.admin)
    @blp.response(201, DefaultsResultSchema)
    def post(self, site_id):
        """Make the tender's default rules for every area of the site (disabled; those
        already made are skipped)"""
        result = linkage_defaults.create(current_actor(), site_id)
        db.session.commit()
        return result
