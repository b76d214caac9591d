"""Power quality (docs/quality.md): thin views over backend/quality/operations.py, every
read scoped to the caller's sites."""
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.quality.schemas import (
    FaultLocationQueryArgsSchema,
    FaultLocationSchema,
    PointQualitySchema,
    QualityDailyQueryArgsSchema,
    QualityDailySchema,
    QualityQueryArgsSchema,
    QualityRuleSchema,
    SiteDiagnosisSchema,
    SiteQualitySchema,
)
from backend.models import Role
from backend.quality import locating, operations

blp = Blueprint("quality", __name__, url_prefix="/api/v1",
                description="Power quality: GB/T indices, events and diagnosis per "
                            "monitoring point and per site")


@blp.route("/devices/<int:device_id>/quality")
class PointQuality(MethodView):
    @access(Role.staff)
    @blp.arguments(QualityQueryArgsSchema, location="query")
    @blp.response(200, PointQualitySchema)
    @blp.alt_response(422, description="validation_error (start, end), "
                                       "not_a_monitoring_point", schema="Error")
    def get(self, args, device_id):
        """A monitoring point's quality over a period: each index's 95 % value, limit and
        compliance, its events and its diagnosis cards"""
        return operations.point_quality(current_actor(), device_id, args)


@blp.route("/sites/<int:site_id>/quality")
class SiteQuality(MethodView):
    @access(Role.staff)
    @blp.arguments(QualityQueryArgsSchema, location="query")
    @blp.response(200, SiteQualitySchema)
    def get(self, args, site_id):
        """A site's quality over a period: pooled compliance per index, each point's
        verdicts, every event, the system-level and point diagnosis"""
        return operations.site_quality(current_actor(), site_id, args)


@blp.route("/sites/<int:site_id>/quality/diagnosis")
class SiteDiagnosis(MethodView):
    @access(Role.staff)
    @blp.arguments(QualityQueryArgsSchema, location="query")
    @blp.response(200, SiteDiagnosisSchema)
    def get(self, args, site_id):
        """The diagnosis cards of a site over a period: cause, hazard and remedy (Chinese
        and English) for each problem, system-level reasoning step by step"""
        return operations.site_diagnosis(current_actor(), site_id, args)


@blp.route("/sites/<int:site_id>/quality/daily")
class SiteQualityDaily(MethodView):
    @access(Role.staff)
    @blp.arguments(QualityDailyQueryArgsSchema, location="query")
    @blp.response(200, QualityDailySchema(many=True))
    def get(self, args, site_id):
        """Daily results for trends (computed each night by the quality.daily job)"""
        return operations.daily(current_actor(), site_id, args)


@blp.route("/sites/<int:site_id>/fault-location")
class SiteFaultLocation(MethodView):
    @access(Role.staff)
    @blp.arguments(FaultLocationQueryArgsSchema, location="query")
    @blp.response(200, FaultLocationSchema)
    @blp.alt_response(422, description="validation_error (device_id), device_not_found",
                      schema="Error")
    def get(self, args, site_id):
        """Fault location now: the most upstream faulty node of each fault (from trip
        causes, loss of voltage, phase loss, fault indicators, recent sags, gateway and
        device communication), the affected downstream circuits and the reasoning step by
        step in Chinese and English"""
        return locating.site_fault_location(current_actor(), site_id, args)


@blp.route("/quality/rules")
class QualityRules(MethodView):
    @access(Role.staff)
    @blp.response(200, QualityRuleSchema(many=True))
    def get(self):
        """The diagnosis rule table (docs/quality-rules.md)"""
        return operations.rule_table()
