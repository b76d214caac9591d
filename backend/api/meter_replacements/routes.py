"""Meter replacements: the explicit event that splits a device's counters (managers
record them, audited; the device's energy is re-rolled from that time)."""
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.meter_replacements.schemas import (
    MeterReplacementQueryArgsSchema,
    MeterReplacementSchema,
)
from backend.api.pagination import SQLPage
from backend.energy import operations
from backend.extensions import db
from backend.models import Role

blp = Blueprint("meter_replacements", __name__, url_prefix="/api/v1",
                description="Meter replacements (docs/energy.md)")


@blp.route("/meter-replacements")
class MeterReplacements(MethodView):
    @access(Role.staff)
    @blp.arguments(MeterReplacementQueryArgsSchema, location="query")
    @blp.response(200, MeterReplacementSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """Replacements on your sites, newest first"""
        return operations.select_replacements(current_actor(), args)

    @access(Role.manager)
    @blp.arguments(MeterReplacementSchema)
    @blp.response(201, MeterReplacementSchema)
    @blp.alt_response(404, description="device_not_found", schema="Error")
    @blp.alt_response(409, description="replacement_exists", schema="Error")
    @blp.alt_response(422, description="validation_error, old_final_below_last_reading, "
                                       "new_initial_above_first_reading",
                      schema="Error")
    def post(self, data):
        """Record a replacement: the old meter's final and the new one's initial reading
        per counter at a time; the device's slots from then on are rolled again"""
        row = operations.create_replacement(current_actor(), data)
        db.session.commit()
        return row
