"""Inspection records (staff of the site and up record them), their photos, a finding
made a repair order, and the XLSX export. Thin: parse, call one service, commit, answer."""
from flask import Response
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.inspection_records.schemas import (
    ExportQueryArgsSchema,
    InspectionPhotoSchema,
    InspectionRecordQueryArgsSchema,
    InspectionRecordSchema,
    RepairOrderFromRecordSchema,
)
from backend.api.pagination import SQLPage
from backend.api.photos import register_photo_routes
from backend.api.repair_orders.schemas import RepairOrderSchema
from backend.extensions import db
from backend.inspections import export
from backend.inspections import operations as service
from backend.models import Role

blp = Blueprint("inspection_records", __name__, url_prefix="/api/v1/inspection-records",
                description="Inspection records (巡检记录): checklist results, measured values, "
                            "photos, findings; switch-over times from readings")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.route("")
class Records(MethodView):
    @access(Role.staff)
    @blp.arguments(InspectionRecordQueryArgsSchema, location="query")
    @blp.response(200, InspectionRecordSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """Records of your sites, newest first"""
        return service.select_records(current_actor(), args)

    @access(Role.staff)
    @blp.arguments(InspectionRecordSchema)
    @blp.response(201, InspectionRecordSchema)
    @blp.alt_response(422, description="validation_error, checklist_incomplete, "
                                       "unknown_checklist_item, unknown_measurement, "
                                       "duplicate_key", schema="Error")
    def post(self, data):
        """Record an inspection of a plan: it fulfils the plan's due date and moves it on"""
        rec = service.create_record(current_actor(), data)
        db.session.commit()
        return rec


@blp.route("/export.xlsx")
class Export(MethodView):
    @access(Role.staff)
    @blp.arguments(ExportQueryArgsSchema, location="query")
    @blp.response(200, content_type=XLSX)
    def get(self, args):
        """A site's records of a period (local dates, inclusive) as an XLSX workbook"""
        data, name = export.workbook(current_actor(), args["site_id"], args["from_"], args["to"])
        return Response(data, mimetype=XLSX, headers={
            "Content-Disposition": f"attachment; filename=\"{name}\""})


@blp.route("/<int:obj_id>")
class RecordById(MethodView):
    @access(Role.staff)
    @blp.response(200, InspectionRecordSchema)
    def get(self, obj_id):
        """Read a record"""
        return service.get_record(current_actor(), obj_id)


@blp.route("/<int:obj_id>/repair-order")
class RecordRepairOrder(MethodView):
    @access(Role.staff)
    @blp.arguments(RepairOrderFromRecordSchema)
    @blp.response(201, RepairOrderSchema)
    @blp.alt_response(409, description="repair_order_exists", schema="Error")
    def post(self, data, obj_id):
        """Make the record's finding a repair order of its site, linked from the record"""
        order = service.open_repair_order(current_actor(), obj_id, data)
        db.session.commit()
        return order


register_photo_routes(blp, service, InspectionPhotoSchema, "an inspection record")
