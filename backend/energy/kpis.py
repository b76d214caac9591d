"""KPIs: energy per person, per m² of floor and per detainee-day, from denominators
entered per month for a site (area none) or an area (CRUD, managers write), and the
energy intensity (docs/energy.md, "KPIs").

Per month: the node's import kWh / that month's denominator. Over several months: a
stock (persons, floor m²) divides the kWh of the months that have it by its mean over
them; a flow (detainee-days) divides them by its sum.
"""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

from backend.accounts.security import Actor
from backend.clock import utcnow
from backend.energy import operations
from backend.errors import Conflict, invalid_field
from backend.extensions import db
from backend.facility.crud import SiteResource, ref
from backend.models import Area, Role
from backend.models.energy import KPI_KINDS, KpiDenominator

STOCKS = ("persons", "floor_m2")
PER = {"persons": "kwh_per_person", "floor_m2": "kwh_per_m2",
       "detainee_days": "kwh_per_detainee_day"}


class Denominators(SiteResource):
    model, entity_type, label = KpiDenominator, "kpi_denominator", "denominator"
    WRITE_ROLE = Role.manager

    def select(self, actor, args):
        m = KpiDenominator
        stmt = select(m)
        if not actor.is_superadmin:
            stmt = stmt.where(m.site_id.in_(actor.site_ids))
        for key in ("site_id", "area_id", "kind", "month"):
            if args.get(key) is not None:
                stmt = stmt.where(getattr(m, key) == args[key])
        return stmt.order_by(m.site_id, m.month.desc(), m.area_id, m.kind)

    def validate(self, actor, obj, data, site_id):
        area_id = data.get("area_id", obj.area_id)
        ref(Area, area_id, site_id, "area_id", "area")
        month = data.get("month", obj.month)
        if month is not None and month.day != 1:
            invalid_field("month", "the month's first day (YYYY-MM-01)")
        kind = data.get("kind", obj.kind)
        m = KpiDenominator
        other = db.session.scalar(select(m.id).where(
            m.site_id == site_id, m.area_id.is_(None) if area_id is None
            else m.area_id == area_id, m.month == month, m.kind == kind))
        if other is not None and other != obj.id:
            raise Conflict(f"{kind} of {month:%Y-%m} is already entered",
                           error="denominator_exists", errors={"month": ["already entered"]})


denominators = Denominators()


def _months(first: date, last: date) -> list[date]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = date(m.year + m.month // 12, m.month % 12 + 1, 1)
    return out


def values(site_id: int, area_id: int | None, first: date, last: date) -> dict:
    """{month: {kind: value}} entered for the site (area None) or the area."""
    m = KpiDenominator
    rows = db.session.execute(select(m.month, m.kind, m.value).where(
        m.site_id == site_id, m.area_id.is_(None) if area_id is None else m.area_id == area_id,
        m.month.between(first, last))).all()
    out: dict = {}
    for month, kind, value in rows:
        out.setdefault(month, {})[kind] = float(value)
    return out


def kpis(actor: Actor, args: dict) -> dict:
    node, node_id = args["node"], args["node_id"]
    site, ids, label = operations.resolve(actor, node, node_id)
    today = utcnow().astimezone(ZoneInfo(site.timezone)).date()
    last = (args.get("end") or today).replace(day=1)
    first = (args.get("start") or last.replace(month=1)).replace(day=1)
    if last < first:
        invalid_field("end", "on or after start")
    months = _months(first, last)
    if len(months) > 120:
        invalid_field("end", "at most 120 months", error="range_too_long")
    kwh = dict(db.session.execute(text(
        "SELECT month, sum(import_kwh) FROM energy_months WHERE device_id = ANY(:ids) "
        "AND month BETWEEN :a AND :b GROUP BY 1"), {"ids": ids, "a": first, "b": last}).all()
    ) if ids else {}
    dens = values(site.id, node_id if node == "area" else None, first, last)
    points, acc = [], {k: [] for k in KPI_KINDS}
    for m in months:
        e = float(kwh.get(m, 0.0))
        d = dens.get(m, {})
        pt = {"month": m, "import_kwh": e, "denominators": d}
        for kind in KPI_KINDS:
            v = d.get(kind)
            pt[PER[kind]] = e / v if v else None
            if v:
                acc[kind].append((e, v))
        points.append(pt)
    total = {"import_kwh": sum(p["import_kwh"] for p in points)}
    for kind in KPI_KINDS:
        pairs = acc[kind]
        if not pairs:
            total[PER[kind]] = None
            continue
        e = sum(p[0] for p in pairs)
        denom = (sum(p[1] for p in pairs) / len(pairs)) if kind in STOCKS \
            else sum(p[1] for p in pairs)
        total[PER[kind]] = e / denom
    return {"node": node, "node_id": node_id, **label, "site_id": site.id,
            "start": first, "end": last, "points": points, "total": total,
            "intensity_kwh_per_m2": total["kwh_per_m2"]}
