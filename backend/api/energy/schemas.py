from datetime import date

import marshmallow as ma
from marshmallow import validate

from backend.energy.operations import INTERVALS, NODES
from backend.schemas import POSITIVE_ID, AwareDateTime, Integer, Strict, String

RANGE_DOC = "ISO 8601 with a UTC offset"


def Day(**kwargs) -> ma.fields.Date:
    """A local day YYYY-MM-DD within the years the database and date arithmetic take."""
    meta = {"maxLength": 10, **kwargs.pop("metadata", {})}
    return ma.fields.Date(validate=validate.Range(min=date(1900, 1, 1),
                                                  max=date(9998, 12, 31)),
                          metadata=meta, **kwargs)


DAYS_DOC = "the site's local day, inclusive"


def _node(nodes=NODES) -> dict:
    return {"node": String(required=True, validate=validate.OneOf(nodes), metadata={
                "description": "what to sum: " + ", ".join(nodes)}),
            "node_id": Integer(required=True, validate=POSITIVE_ID)}


def _times(default_start: str) -> dict:
    return {"start": AwareDateTime(metadata={
                "description": f"{RANGE_DOC} (default: {default_start})"}),
            "end": AwareDateTime(metadata={"description": RANGE_DOC + " (default: now)"})}


def _days(start_doc: str, end_doc: str) -> dict:
    return {"start": Day(metadata={"description": start_doc}),
            "end": Day(metadata={"description": end_doc})}


def period_args(name: str, *, node: tuple | None = None, times: str | None = None,
                days: tuple[str, str] | None = None, base=Strict, **fields):
    """The energy reads' one query-args shape: an optional ``node``/``node_id`` pair (of
    the ``node`` kinds), a period of aware times (``times``: the start's default) or of
    the site's local days (``days``: the two descriptions), and the read's own fields."""
    own = {**(_node(node) if node else {}),
           **(_times(times) if times else {}),
           **(_days(*days) if days else {}), **fields}
    return type(name, (base,), own)


TrendQueryArgsSchema = period_args(
    "TrendQueryArgsSchema", node=NODES, times="a span before end",
    interval=String(load_default="hour", validate=validate.OneOf(INTERVALS)))


class AmountsSchema(Strict):
    import_kwh = ma.fields.Float()
    export_kwh = ma.fields.Float()
    reactive_kvarh = ma.fields.Float()
    demand_kw = ma.fields.Float(allow_none=True, metadata={
        "description": "maximum 15-minute average import power; for a group of devices at "
                       "day/month null (its coincident peak comes from 15min/hour)"})
    estimated = ma.fields.Boolean(metadata={
        "description": "some of it spread over a gap or estimated across a reset"})


class PricedSchema(AmountsSchema):
    cost = ma.fields.Float(metadata={"description": "time-of-use cost of the import, each "
                                                    "15-minute slot at its period's price"})
    unpriced_kwh = ma.fields.Float(metadata={"description": "import before the site's "
                                                            "first tariff version (no cost)"})
    carbon_kg = ma.fields.Float(allow_none=True, metadata={
        "description": "import x the carbon factor of its local year (null: none set)"})


class TotalSchema(PricedSchema):
    currency = String(allow_none=True)


class TrendPointSchema(PricedSchema):
    start = ma.fields.DateTime(metadata={"description": "the period's start (site's zone "
                                                        "for day and month)"})


class NodeSchema(Strict):
    """The node an answer is about (trend, comparison, KPIs)."""
    node = String()
    node_id = Integer()
    code = String()
    name = String()
    site_id = Integer()


class NodeSeriesSchema(NodeSchema):
    timezone = String()
    interval = String()
    start = ma.fields.DateTime()
    end = ma.fields.DateTime()


class TrendSchema(NodeSeriesSchema):
    devices = ma.fields.List(Integer(), metadata={
        "description": "the metered devices whose sum is the node (no feeder counted with "
                       "its children)"})
    points = ma.fields.List(ma.fields.Nested(TrendPointSchema))
    total = ma.fields.Nested(TotalSchema)


class OverviewQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID, metadata={"description": "default: all yours"})
    top = Integer(load_default=5, validate=validate.Range(min=1, max=50))


class ConsumerSchema(Strict):
    circuit_id = Integer()
    code = String()
    name = String()
    month_kwh = ma.fields.Float()


class OverviewTotalSchema(Strict):
    today_kwh = ma.fields.Float()
    month_kwh = ma.fields.Float()
    year_kwh = ma.fields.Float()
    today_cost = ma.fields.Float()
    month_cost = ma.fields.Float()
    year_cost = ma.fields.Float()
    today_carbon_kg = ma.fields.Float(allow_none=True)
    month_carbon_kg = ma.fields.Float(allow_none=True)
    year_carbon_kg = ma.fields.Float(allow_none=True)


class SiteOverviewSchema(OverviewTotalSchema):
    site_id = Integer()
    code = String()
    name = String()
    timezone = String()
    today = ma.fields.Date()
    month_kwh_per_m2 = ma.fields.Float(allow_none=True, metadata={
        "description": "energy intensity: the month's kWh per m² of floor (the latest "
                       "entered floor area)"})
    month_kwh_per_person = ma.fields.Float(allow_none=True)
    currency = String(allow_none=True)
    top_consumers = ma.fields.List(ma.fields.Nested(ConsumerSchema))


class OverviewSchema(Strict):
    sites = ma.fields.List(ma.fields.Nested(SiteOverviewSchema))
    total = ma.fields.Nested(OverviewTotalSchema)


BalanceQueryArgsSchema = period_args(
    "BalanceQueryArgsSchema", times="a day before end",
    circuit_id=Integer(validate=POSITIVE_ID), board_id=Integer(validate=POSITIVE_ID),
    flag_pct=ma.fields.Float(validate=validate.Range(min=0, max=100), metadata={
        "description": "flag above this loss share (default: energy_balance_flag_pct)"}))


class BalanceChildSchema(Strict):
    circuit_id = Integer()
    code = String()
    name = String()
    metered = ma.fields.Boolean()
    import_kwh = ma.fields.Float(allow_none=True)


class BalanceSchema(Strict):
    site_id = Integer()
    circuit_id = Integer()
    code = String()
    name = String()
    start = ma.fields.DateTime()
    end = ma.fields.DateTime()
    feeder_kwh = ma.fields.Float()
    children_kwh = ma.fields.Float()
    loss_kwh = ma.fields.Float(metadata={"description": "feeder - children: losses and "
                                                        "unmetered use"})
    loss_pct = ma.fields.Float(allow_none=True)
    flag_pct = ma.fields.Float()
    flagged = ma.fields.Boolean()
    unmetered_children = Integer()
    estimated = ma.fields.Boolean()
    children = ma.fields.List(ma.fields.Nested(BalanceChildSchema))


# --- comparison, share, ranking (backend/energy/analytics.py) ---------------------------
CompareQueryArgsSchema = period_args(
    "CompareQueryArgsSchema", base=TrendQueryArgsSchema,
    interval=String(load_default="day", validate=validate.OneOf(("hour", "day", "month"))),
    compare=String(required=True, validate=validate.OneOf(("yoy", "mom")), metadata={
        "description": "yoy: the same span a year before; mom: a month before"}))


class CompareTotalSchema(Strict):
    import_kwh = ma.fields.Float()
    previous_kwh = ma.fields.Float()
    change_kwh = ma.fields.Float()
    change_pct = ma.fields.Float(allow_none=True, metadata={
        "description": "null when the previous period has no energy"})
    cost = ma.fields.Float()
    previous_cost = ma.fields.Float()


class ComparePointSchema(CompareTotalSchema):
    start = ma.fields.DateTime()
    previous_start = ma.fields.DateTime()


class CompareSchema(NodeSeriesSchema):
    compare = String()
    previous_start = ma.fields.DateTime()
    previous_end = ma.fields.DateTime()
    points = ma.fields.List(ma.fields.Nested(ComparePointSchema))
    total = ma.fields.Nested(CompareTotalSchema)


ShareQueryArgsSchema = period_args(
    "ShareQueryArgsSchema",
    site_id=Integer(required=True, validate=POSITIVE_ID),
    by=String(required=True, validate=validate.OneOf(("area", "category"))),
    days=(DAYS_DOC + " (default: the 1st of end's month)", DAYS_DOC + " (default: today)"),
    parent_area_id=Integer(validate=POSITIVE_ID, metadata={
        "description": "by=area: this area's sub-areas (default: the site's top areas)"}),
    cost=ma.fields.Boolean(load_default=True, metadata={
        "description": "accepted for compatibility and ignored: every item carries its "
                       "time-of-use cost (from the per-period rollups, docs/energy.md)"}))

RankingQueryArgsSchema = period_args(
    "RankingQueryArgsSchema", base=ShareQueryArgsSchema,
    by=String(required=True, validate=validate.OneOf(("area", "circuit"))),
    top=Integer(load_default=10, validate=validate.Range(min=1, max=500)))


class ShareItemSchema(Strict):
    rank = Integer()
    area_id = Integer(allow_none=True)
    circuit_id = Integer()
    category = String()
    code = String()
    name = String()
    import_kwh = ma.fields.Float()
    share_pct = ma.fields.Float(allow_none=True)
    cost = ma.fields.Float(allow_none=True, metadata={
        "description": "time-of-use cost of the import, each 15-minute slot at its period's "
                       "price (from the per-period day and month rollups)"})


class DaysAnswerSchema(Strict):
    """Share's and ranking's head: the site, the grouping and the local days."""
    site_id = Integer()
    by = String()
    start = ma.fields.Date()
    end = ma.fields.Date()
    currency = String(allow_none=True)
    total_kwh = ma.fields.Float(metadata={"description": "the items' sum (shares of it)"})
    total_cost = ma.fields.Float(allow_none=True)
    items = ma.fields.List(ma.fields.Nested(ShareItemSchema))


class ShareSchema(DaysAnswerSchema):
    parent_area_id = Integer(allow_none=True)
    site_kwh = ma.fields.Float(metadata={"description": "the site's import (its incomers): "
                                                        "the items plus losses and "
                                                        "unassigned use"})


class RankingSchema(DaysAnswerSchema):
    count = Integer(metadata={"description": "how many were ranked (items: the top)"})


# --- KPIs (backend/energy/kpis.py) -------------------------------------------------------
KpiQueryArgsSchema = period_args(
    "KpiQueryArgsSchema", node=("site", "area"),
    days=("first month (any day of it; default: January of end's year)",
          "last month (default: this one)"))


class KpiValuesSchema(Strict):
    import_kwh = ma.fields.Float()
    kwh_per_person = ma.fields.Float(allow_none=True)
    kwh_per_m2 = ma.fields.Float(allow_none=True)
    kwh_per_detainee_day = ma.fields.Float(allow_none=True)


class KpiPointSchema(KpiValuesSchema):
    month = ma.fields.Date()
    denominators = ma.fields.Dict(keys=String(), values=ma.fields.Float())


class KpiSchema(NodeSchema):
    start = ma.fields.Date()
    end = ma.fields.Date()
    points = ma.fields.List(ma.fields.Nested(KpiPointSchema))
    total = ma.fields.Nested(KpiValuesSchema, metadata={
        "description": "persons and m²: kWh of the months that have one / its mean; "
                       "detainee-days: / their sum"})
    intensity_kwh_per_m2 = ma.fields.Float(allow_none=True)


# --- capacity check (backend/energy/capacity.py) -----------------------------------------
CapacityQueryArgsSchema = period_args(
    "CapacityQueryArgsSchema", times="7 days before end",
    site_id=Integer(required=True, validate=POSITIVE_ID),
    threshold_pct=ma.fields.Float(validate=validate.Range(min=1, max=200), metadata={
        "description": "flag a peak above this share of In (default: energy_capacity_pct, 80)"}),
    flagged=ma.fields.Boolean(load_default=False, metadata={
        "description": "only breakers over the threshold or with a doubtful rating"}))


class CapacityItemSchema(Strict):
    device_id = Integer()
    code = String()
    name = String()
    circuit_id = Integer(allow_none=True)
    circuit_code = String(allow_none=True)
    circuit_name = String(allow_none=True)
    rated_current_a = ma.fields.Float()
    samples = Integer(metadata={"description": "reading times in the period"})
    peak_a = ma.fields.Float(allow_none=True, metadata={
        "description": "the highest phase current"})
    peak_at = ma.fields.DateTime(allow_none=True)
    peak_phase = String(allow_none=True)
    p95_a = ma.fields.Float(allow_none=True, metadata={
        "description": "95th percentile of the load (the highest phase at each time)"})
    peak_pct = ma.fields.Float(allow_none=True)
    p95_pct = ma.fields.Float(allow_none=True)
    over_threshold = ma.fields.Boolean()
    rating = String(metadata={"description": "ok, too_small, too_large, no_data"})


class CapacitySchema(Strict):
    site_id = Integer()
    start = ma.fields.DateTime()
    end = ma.fields.DateTime()
    threshold_pct = ma.fields.Float()
    oversized_pct = ma.fields.Float()
    summary = ma.fields.Dict(keys=String(), values=Integer())
    items = ma.fields.List(ma.fields.Nested(CapacityItemSchema))
