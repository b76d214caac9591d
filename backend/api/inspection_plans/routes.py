"""Inspection plans (CRUD: managers and admins write) and the overdue list. Thin: parse,
call one service of backend/inspections/operations.py, commit, answer."""
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.crud import register_crud
from backend.api.inspection_plans.schemas import (
    InspectionPlanPutSchema,
    InspectionPlanQueryArgsSchema,
    InspectionPlanSchema,
    OverdueQueryArgsSchema,
    OverdueSchema,
)
from backend.inspections import operations as service
from backend.models import Role

blp = Blueprint("inspection_plans", __name__, url_prefix="/api/v1",
                description="Inspection and maintenance plans (巡检与维保计划): a checklist, "
                            "a recurrence, the next due date (docs/inspections.md)")


@blp.route("/inspection-plans/overdue")
class Overdue(MethodView):
    @access(Role.staff)
    @blp.arguments(OverdueQueryArgsSchema, location="query")
    @blp.response(200, OverdueSchema(many=True))
    def get(self, args):
        """Plans due today or overdue in their site's time zone, most overdue first"""
        return service.overdue(current_actor(), args.get("site_id"))


register_crud(blp, service.plans, InspectionPlanSchema, InspectionPlanPutSchema,
              InspectionPlanQueryArgsSchema, path="/inspection-plans")
