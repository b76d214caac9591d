"""Energy and alarm reports, kept and downloadable (docs/energy.md "Reports"). Thin."""
from flask import Response
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.energy_reports.schemas import (
    ReportPostSchema,
    ReportQueryArgsSchema,
    ReportSchema,
)
from backend.api.pagination import SQLPage
from backend.energy import reports
from backend.extensions import db
from backend.models import Role

blp = Blueprint("energy_reports", __name__, url_prefix="/api/v1/energy-reports",
                description="Daily and monthly energy reports and alarm reports per site or "
                            "area, XLSX or CSV; the monthly ones made by a job on the 1st")


@blp.route("")
class Reports(MethodView):
    @access(Role.staff)
    @blp.arguments(ReportQueryArgsSchema, location="query")
    @blp.response(200, ReportSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """The kept reports of your sites, newest period first"""
        return reports.select_reports(current_actor(), args)

    @access(Role.staff)
    @blp.arguments(ReportPostSchema)
    @blp.response(201, ReportSchema)
    @blp.alt_response(404, description="site_not_found, area_not_found", schema="Error")
    @blp.alt_response(422, description="validation_error, range_too_long", schema="Error")
    def post(self, data):
        """Generate a report now (the same kind, node, period and format replaces the
        kept one)"""
        row = reports.generate(current_actor(), data)
        db.session.commit()
        return row


@blp.route("/<int:obj_id>")
class ReportById(MethodView):
    @access(Role.staff)
    @blp.response(200, ReportSchema)
    @blp.alt_response(404, description="report_not_found", schema="Error")
    def get(self, obj_id):
        """One kept report"""
        return reports.get_report(current_actor(), obj_id)


@blp.route("/<int:obj_id>/file")
class ReportFile(MethodView):
    @access(Role.staff)
    @blp.response(200, content_type="application/octet-stream")
    @blp.alt_response(404, description="report_not_found, report_file_missing",
                      schema="Error")
    def get(self, obj_id):
        """The report's file (XLSX or CSV) as an attachment"""
        row, body = reports.read_file(current_actor(), obj_id)
        return Response(body, mimetype=reports.MIME[row.format], headers={
            "Content-Disposition": f"attachment; filename=\"{row.filename}\"",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})
