"""Energy reads: the trend of any node, the overview, a feeder's balance, comparison,
share, ranking, KPIs and the capacity check (scoped to your sites). Thin: each is one
``GET`` of the same shape (staff, query args, one service of backend/energy, answer)."""
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.energy import schemas as s
from backend.energy import analytics, capacity, kpis, operations
from backend.models import Role

blp = Blueprint("energy", __name__, url_prefix="/api/v1/energy",
                description="Energy rollups: trends, overview, sub-metering balance, "
                            "comparison, share, ranking, KPIs, capacity (docs/energy.md)")

NODE_404 = ("site_not_found, area_not_found, board_not_found, circuit_not_found, "
            "device_not_found")
RANGE_422 = "validation_error, range_too_long"


def read(path: str, service, args, answer, doc: str, *, e404: str | None = None,
         e422: str | None = RANGE_422) -> None:
    """Register ``GET path``: staff and up, ``args`` from the query, ``service(actor,
    args)`` answered as ``answer``; ``doc`` is its OpenAPI summary and description, the
    error codes it can answer are documented beside it."""
    def get(self, query):
        return service(current_actor(), query)
    get.__doc__ = doc
    for decorate in filter(None, (
            e422 and blp.alt_response(422, description=e422, schema="Error"),
            e404 and blp.alt_response(404, description=e404, schema="Error"),
            blp.response(200, answer),
            blp.arguments(args, location="query"),
            access(Role.staff))):
        get = decorate(get)
    name = "".join(w.capitalize() for w in path.strip("/").split("-"))
    blp.route(path)(type(name, (MethodView,), {"get": get}))


read("/trend", operations.trend, s.TrendQueryArgsSchema, s.TrendSchema,
     """Energy of a site, area, board, circuit or device per 15 minutes, hour, day or
     month (days and months in the site's time zone)""", e404=NODE_404)
read("/overview", operations.overview, s.OverviewQueryArgsSchema, s.OverviewSchema,
     """Today, this month and this year per site (or one) and across them, with the
     top consumers of the month""", e422=None)
read("/balance", operations.balance, s.BalanceQueryArgsSchema, s.BalanceSchema,
     """A feeder (circuit, or a board's incomer) against the sum of its children: loss
     or unmetered use, kWh and %, flagged above the configured share""",
     e422="validation_error, feeder_not_metered")
read("/compare", analytics.compare, s.CompareQueryArgsSchema, s.CompareSchema,
     """A node's trend beside the same span a year (yoy) or a month (mom) before""",
     e404=NODE_404)
read("/share", analytics.share, s.ShareQueryArgsSchema, s.ShareSchema,
     """Share of the site's import by area (department) or circuit category, with
     each one's time-of-use cost""")
read("/ranking", analytics.ranking, s.RankingQueryArgsSchema, s.RankingSchema,
     """Areas (departments) or end-consumer circuits ranked by import over local days,
     with each one's time-of-use cost""")
read("/kpis", kpis.kpis, s.KpiQueryArgsSchema, s.KpiSchema,
     """Energy per person, per m² and per detainee-day, month by month and overall""")
read("/capacity", capacity.check, s.CapacityQueryArgsSchema, s.CapacitySchema,
     """Breakers whose peak current exceeds 80 % of In, and ratings that look wrong
     for the load (too small, far too large), with the evidence (peak, p95, when)""")
