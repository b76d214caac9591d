"""Cost and carbon of energy: tariff versions and carbon factors (CRUD, admins write),
and the SQL that prices a node's slots (docs/energy.md, "Cost" and "Carbon").

Cost: the slots of the node's devices grouped by (the point they belong to, the tariff
version of their local day, their local quarter of the day), each group priced by its
version's period of that quarter: one query, at most points x versions x 96 rows,
whatever the number of days. Slots before the first version are *unpriced* (their kWh
reported, no cost invented). Carbon: a point's import kWh x the factor of its local year
(that year's, else the latest earlier year's; none: null).
"""
from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime

from sqlalchemy import select, text

from backend.energy import periods as period_rollup
from backend.energy.tariffs import TariffError, check_prices, quarter_map, slot_cost
from backend.errors import Conflict, ValidationFailed
from backend.extensions import db
from backend.facility.crud import SiteResource
from backend.models import Role
from backend.models.energy import CarbonFactor, Tariff

# SQL for the point a slot belongs to, per interval (the trend's and the reports' keys).
KEYS = {
    "15min": "slot",
    "hour": "timezone(:tz, date_trunc('hour', timezone(:tz, slot)))",
    "day": "timezone(:tz, slot)::date",
    "month": "date_trunc('month', timezone(:tz, slot))::date",
    "total": "0",
    "device": "device_id",  # each device's total (share and ranking sum them per item)
}


def _raise(err: TariffError):
    raise ValidationFailed(err.args[0], errors={err.field: [err.message]}, error=err.code)


class Tariffs(SiteResource):
    """A write re-rolls the days the version covers (before and after) once committed
    (``periods.changed``: the job ``energy.tariff_reroll``)."""
    model, entity_type, label = Tariff, "energy_tariff", "tariff"
    WRITE_ROLE = Role.admin

    def create(self, actor, data):
        obj = super().create(actor, data)
        period_rollup.changed(obj.site_id, obj.valid_from, obj.valid_from)
        return obj

    def update(self, actor, obj_id, data):
        before = self.get(actor, obj_id).valid_from
        obj = super().update(actor, obj_id, data)
        period_rollup.changed(obj.site_id, min(before, obj.valid_from),
                              max(before, obj.valid_from))
        return obj

    def delete(self, actor, obj_id):
        obj = self.get(actor, obj_id)
        site_id, valid_from = obj.site_id, obj.valid_from
        super().delete(actor, obj_id)
        period_rollup.changed(site_id, valid_from, valid_from)

    def select(self, actor, args):
        stmt = select(Tariff)
        if not actor.is_superadmin:
            stmt = stmt.where(Tariff.site_id.in_(actor.site_ids))
        if args.get("site_id"):
            stmt = stmt.where(Tariff.site_id == args["site_id"])
        return stmt.order_by(Tariff.site_id, Tariff.valid_from.desc(), Tariff.id)

    def validate(self, actor, obj, data, site_id):
        periods = data["periods"] if "periods" in data else obj.periods
        prices = data["prices"] if "prices" in data else obj.prices
        try:
            quarter_map(periods)
            data["prices"] = check_prices(periods, prices)
        except TariffError as err:
            _raise(err)
        valid_from = data.get("valid_from", obj.valid_from)
        other = db.session.scalar(select(Tariff.id).where(Tariff.site_id == site_id,
                                                          Tariff.valid_from == valid_from))
        if other is not None and other != obj.id:
            raise Conflict(f"the site already has a tariff valid from {valid_from}",
                           error="tariff_exists", errors={"valid_from": ["already used"]})


class CarbonFactors(SiteResource):
    model, entity_type, label = CarbonFactor, "carbon_factor", "carbon_factor"
    WRITE_ROLE = Role.admin

    def select(self, actor, args):
        stmt = select(CarbonFactor)
        if not actor.is_superadmin:
            stmt = stmt.where(CarbonFactor.site_id.in_(actor.site_ids))
        for key in ("site_id", "year"):
            if args.get(key):
                stmt = stmt.where(getattr(CarbonFactor, key) == args[key])
        return stmt.order_by(CarbonFactor.site_id, CarbonFactor.year.desc())

    def validate(self, actor, obj, data, site_id):
        year = data.get("year", obj.year)
        other = db.session.scalar(select(CarbonFactor.id).where(
            CarbonFactor.site_id == site_id, CarbonFactor.year == year))
        if other is not None and other != obj.id:
            raise Conflict(f"the site already has a carbon factor for {year}",
                           error="carbon_factor_exists", errors={"year": ["already used"]})


tariffs, carbon_factors = Tariffs(), CarbonFactors()


# --- pricing ---------------------------------------------------------------------------
class Versions:
    """A site's tariff versions, oldest first, each with its quarter map."""

    def __init__(self, site_id: int):
        rows = db.session.scalars(select(Tariff).where(Tariff.site_id == site_id)
                                  .order_by(Tariff.valid_from)).all()
        self.starts = [t.valid_from for t in rows]
        self.ids = [t.id for t in rows]
        self.maps = [quarter_map(t.periods) for t in rows]
        self.prices = [{k: float(v) for k, v in t.prices.items()} for t in rows]
        self.currency = rows[-1].currency if rows else None
        self.by_id = dict(zip(self.ids, self.prices))

    def at(self, day: date) -> int:
        """Index of the version valid on a local day, -1 before the first."""
        return bisect_right(self.starts, day) - 1


def priced(site_id: int, tz: str, ids: list[int], start: datetime, end: datetime,
           interval: str = "total", versions: Versions | None = None) -> dict:
    """{point key: {"cost", "unpriced_kwh", "kwh_by_period"}} of the devices' import in
    [start, end); keys as ``KEYS[interval]`` gives them (slot / hour datetimes, dates, 0)."""
    if not ids:
        return {}
    versions = versions or Versions(site_id)
    local_day = "timezone(:tz, slot)::date"
    p = {"ids": ids, "s": start, "e": end, "tz": tz}
    case = "-1"
    if versions.starts:
        whens = []
        for i in range(len(versions.starts) - 1, -1, -1):
            p[f"v{i}"] = versions.starts[i]
            whens.append(f"WHEN {local_day} >= :v{i} THEN {i}")
        case = f"CASE {' '.join(whens)} ELSE -1 END"
    rows = db.session.execute(text(
        f"SELECT {KEYS[interval]} AS k, {case} AS v, "
        "(extract(hour FROM timezone(:tz, slot)) * 4 "
        " + floor(extract(minute FROM timezone(:tz, slot)) / 15))::int AS q, "
        "sum(import_kwh) FROM energy_slots WHERE device_id = ANY(:ids) "
        "AND slot >= :s AND slot < :e GROUP BY 1, 2, 3"), p).all()
    grouped: dict = {}
    for k, v, q, kwh in rows:
        grouped.setdefault(k, {}).setdefault(v, {})[q] = float(kwh or 0.0)
    out = {}
    for k, by_version in grouped.items():
        cost, unpriced, periods = 0.0, 0.0, {}
        for v, by_q in by_version.items():
            if v < 0:
                unpriced += sum(by_q.values())
                continue
            c, per = slot_cost(by_q, versions.maps[v], versions.prices[v])
            cost += c
            for name, kwh in per.items():
                periods[name] = periods.get(name, 0.0) + kwh
        out[k] = {"cost": cost, "unpriced_kwh": unpriced, "kwh_by_period": periods}
    return out


class Factors:
    """A site's carbon factors by year: that year's, else the latest earlier one's."""

    def __init__(self, site_id: int):
        rows = db.session.execute(select(CarbonFactor.year, CarbonFactor.kg_per_kwh)
                                  .where(CarbonFactor.site_id == site_id)
                                  .order_by(CarbonFactor.year)).all()
        self.years = [r[0] for r in rows]
        self.values = [float(r[1]) for r in rows]

    def of(self, year: int) -> float | None:
        i = bisect_right(self.years, year) - 1
        return self.values[i] if i >= 0 else None

    def carbon(self, kwh: float, year: int) -> float | None:
        f = self.of(year)
        return None if f is None else kwh * f
