"""Energy reads: the trend of any node, the overview, a feeder's balance (scoped to your
sites). Thin: parse, call one service of backend/energy/operations.py, answer."""
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.energy.schemas import (
    BalanceQueryArgsSchema,
    BalanceSchema,
    CapacityQueryArgsSchema,
    CapacitySchema,
    CompareQueryArgsSchema,
    CompareSchema,
    KpiQueryArgsSchema,
    KpiSchema,
    OverviewQueryArgsSchema,
    OverviewSchema,
    RankingQueryArgsSchema,
    RankingSchema,
    ShareQueryArgsSchema,
    ShareSchema,
    TrendQueryArgsSchema,
    TrendSchema,
)
from backend.energy import analytics, capacity, kpis, operations
from backend.models import Role

blp = Blueprint("energy", __name__, url_prefix="/api/v1/energy",
                description="Energy rollups: trends, overview, sub-metering balance "
                            "(docs/energy.md)")


@blp.route("/trend")
class Trend(MethodView):
    @access(Role.staff)
    @blp.arguments(TrendQueryArgsSchema, location="query")
    @blp.response(200, TrendSchema)
    @blp.alt_response(404, description="site_not_found, area_not_found, board_not_found, "
                                       "circuit_not_found, device_not_found", schema="Error")
    @blp.alt_response(422, description="validation_error, range_too_long", schema="Error")
    def get(self, args):
        """Energy of a site, area, board, circuit or device per 15 minutes, hour, day or
        month (days and months in the site's time zone)"""
        return operations.trend(current_actor(), args)


@blp.route("/overview")
class Overview(MethodView):
    @access(Role.staff)
    @blp.arguments(OverviewQueryArgsSchema, location="query")
    @blp.response(200, OverviewSchema)
    def get(self, args):
        """Today, this month and this year per site (or one) and across them, with the
        top consumers of the month"""
        return operations.overview(current_actor(), args)


@blp.route("/balance")
class Balance(MethodView):
    @access(Role.staff)
    @blp.arguments(BalanceQueryArgsSchema, location="query")
    @blp.response(200, BalanceSchema)
    @blp.alt_response(422, description="validation_error, feeder_not_metered",
                      schema="Error")
    def get(self, args):
        """A feeder (circuit, or a board's incomer) against the sum of its children: loss
        or unmetered use, kWh and %, flagged above the configured share"""
        return operations.balance(current_actor(), args)


@blp.route("/compare")
class Compare(MethodView):
    @access(Role.staff)
    @blp.arguments(CompareQueryArgsSchema, location="query")
    @blp.response(200, CompareSchema)
    @blp.alt_response(422, description="validation_error, range_too_long", schema="Error")
    def get(self, args):
        """A node's trend beside the same span a year (yoy) or a month (mom) before"""
        return analytics.compare(current_actor(), args)


@blp.route("/share")
class Share(MethodView):
    @access(Role.staff)
    @blp.arguments(ShareQueryArgsSchema, location="query")
    @blp.response(200, ShareSchema)
    @blp.alt_response(422, description="validation_error, range_too_long", schema="Error")
    def get(self, args):
        """Share of the site's import by area (department) or circuit category"""
        return analytics.share(current_actor(), args)


@blp.route("/ranking")
class Ranking(MethodView):
    @access(Role.staff)
    @blp.arguments(RankingQueryArgsSchema, location="query")
    @blp.response(200, RankingSchema)
    @blp.alt_response(422, description="validation_error, range_too_long", schema="Error")
    def get(self, args):
        """Areas (departments) or end-consumer circuits ranked by import over local days"""
        return analytics.ranking(current_actor(), args)


@blp.route("/kpis")
class Kpis(MethodView):
    @access(Role.staff)
    @blp.arguments(KpiQueryArgsSchema, location="query")
    @blp.response(200, KpiSchema)
    @blp.alt_response(422, description="validation_error, range_too_long", schema="Error")
    def get(self, args):
        """Energy per person, per m² and per detainee-day, month by month and overall"""
        return kpis.kpis(current_actor(), args)


@blp.route("/capacity")
class Capacity(MethodView):
    @access(Role.staff)
    @blp.arguments(CapacityQueryArgsSchema, location="query")
    @blp.response(200, CapacitySchema)
    @blp.alt_response(422, description="validation_error, range_too_long", schema="Error")
    def get(self, args):
        """Breakers whose peak current exceeds 80 % of In, and ratings that look wrong
        for the load (too small, far too large), with the evidence (peak, p95, when)"""
        return capacity.check(current_actor(), args)
