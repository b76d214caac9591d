"""Energy analytics over the rollups: year-on-year and month-on-month comparison of any
node's trend, the share of areas (departments) and of circuit categories, rankings of
areas and circuits (docs/energy.md, "Comparison", "Share and ranking"). Scoped like the
trend: another site's node is a 404."""
from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from backend.accounts.security import Actor
from backend.clock import utcnow
from backend.energy import operations, periods, pricing
from backend.energy.nodes import Tree
from backend.errors import invalid_field
from backend.extensions import db
from backend.facility.operations import areas
from backend.facility.sites import get_site
from backend.models import Site

COMPARE = ("yoy", "mom")
MAX_DAYS = 1100


def shift(ts: datetime, months: int, zone: ZoneInfo) -> datetime:
    """The same local time ``months`` earlier (the 31st -> the month's last day)."""
    loc = ts.astimezone(zone)
    y, m = divmod(loc.month - 1 - months, 12)
    year, month = loc.year + y, m + 1
    day = min(loc.day, calendar.monthrange(year, month)[1])
    return datetime(year, month, day, loc.hour, loc.minute, tzinfo=zone)


def _starts(start: datetime, end: datetime, interval: str, zone: ZoneInfo) -> list[datetime]:
    """Every period start of the interval in [start, end), in the site's zone."""
    loc = start.astimezone(zone)
    if interval == "hour":
        t = loc.replace(minute=0, second=0, microsecond=0)
    elif interval == "day":
        t = datetime.combine(loc.date(), datetime.min.time(), zone)
    else:
        t = datetime.combine(loc.date().replace(day=1), datetime.min.time(), zone)
    out = []
    while t < end:
        out.append(t)
        if interval == "hour":
            t = (t.astimezone(ZoneInfo("UTC")) + timedelta(hours=1)).astimezone(zone)
        elif interval == "day":
            t = datetime.combine(t.date() + timedelta(days=1), datetime.min.time(), zone)
        else:
            t = shift(t, -1, zone)
    return out


def _pct(now: float, before: float) -> float | None:
    return (now - before) / before * 100 if before else None


def compare(actor: Actor, args: dict) -> dict:
    """The node's trend beside the same span a year (yoy) or a month (mom) before,
    period by period: kWh, cost and the change."""
    months = 12 if args["compare"] == "yoy" else 1
    current = operations.trend(actor, args)
    zone = ZoneInfo(current["timezone"])
    start, end = current["start"], current["end"]
    p_start, p_end = shift(start, months, zone), shift(end, months, zone)
    previous = operations.trend(actor, {**args, "start": p_start, "end": p_end})
    interval = current["interval"]
    now = {pt["start"]: pt for pt in current["points"]}
    before = {pt["start"]: pt for pt in previous["points"]}
    zero = {"import_kwh": 0.0, "cost": 0.0}
    points = []
    for t in _starts(start, end, interval, zone):
        pt = now.get(t, zero)
        pt_prev_start = shift(t, months, zone)
        prev = before.get(pt_prev_start, zero)
        points.append({"start": t, "previous_start": pt_prev_start,
                       "import_kwh": pt["import_kwh"], "previous_kwh": prev["import_kwh"],
                       "change_kwh": pt["import_kwh"] - prev["import_kwh"],
                       "change_pct": _pct(pt["import_kwh"], prev["import_kwh"]),
                       "cost": pt["cost"], "previous_cost": prev["cost"]})
    a, b = current["total"]["import_kwh"], previous["total"]["import_kwh"]
    return {key: current[key] for key in ("node", "node_id", "code", "name", "site_id",
                                          "timezone", "interval", "start", "end")} | {
        "compare": args["compare"], "previous_start": p_start, "previous_end": p_end,
        "points": points,
        "total": {"import_kwh": a, "previous_kwh": b, "change_kwh": a - b,
                  "change_pct": _pct(a, b), "cost": current["total"]["cost"],
                  "previous_cost": previous["total"]["cost"]}}


# --- share and ranking -------------------------------------------------------------------
def _days(site: Site, args: dict) -> tuple[date, date]:
    today = utcnow().astimezone(ZoneInfo(site.timezone)).date()
    end = args.get("end") or today
    start = args.get("start") or end.replace(day=1)
    if end < start:
        invalid_field("end", "on or after start")
    if (end - start).days > MAX_DAYS:
        invalid_field("end", f"at most {MAX_DAYS} days", error="range_too_long")
    return start, end


def device_kwh(ids, start: date, end: date) -> dict[int, float]:
    """Import kWh per device over local days [start, end] (the day rollups)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    # whole months from the month rows, the days before and after from the day rows
    m0 = start if start.day == 1 else _month_after(start)
    m1 = _month_after(end) if _month_after(end) - timedelta(days=1) == end else \
        end.replace(day=1)
    if m0 >= m1:
        parts = [("energy_days", "day", start, end)]
    else:
        parts = [("energy_months", "month", m0, m1 - timedelta(days=1))]
        if start < m0:
            parts.append(("energy_days", "day", start, m0 - timedelta(days=1)))
        if m1 <= end:
            parts.append(("energy_days", "day", m1, end))
    sql = " UNION ALL ".join(
        f"SELECT device_id, import_kwh FROM {t} WHERE device_id = ANY(:ids) "
        f"AND {k} BETWEEN :a{i} AND :b{i}" for i, (t, k, _, _) in enumerate(parts))
    p = {"ids": ids}
    for i, (_, _, a, b) in enumerate(parts):
        p[f"a{i}"], p[f"b{i}"] = a, b
    return {d: float(k) for d, k in db.session.execute(text(
        f"SELECT device_id, sum(import_kwh) FROM ({sql}) x GROUP BY 1"), p).all()}


def _month_after(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _area_rows(actor: Actor, site: Site, tree: Tree, args: dict, start, end) -> list[dict]:
    parent = args.get("parent_area_id")
    if parent is not None:
        area = areas.get(actor, parent)
        if area.site_id != site.id:
            invalid_field("parent_area_id", f"no area {parent} in site {site.id}")
    rows = db.session.execute(text(
        "SELECT id, code, name FROM areas WHERE site_id = :s AND parent_id IS NOT DISTINCT "
        "FROM :p ORDER BY code, id"), {"s": site.id, "p": parent}).all()
    members = {a.id: tree.area_devices(a.id) for a in rows}
    kwh = device_kwh([d for ids in members.values() for d in ids], start, end)
    return [{"area_id": a.id, "code": a.code, "name": a.name, "devices": members[a.id],
             "import_kwh": sum(kwh.get(d, 0.0) for d in members[a.id])} for a in rows]


def _circuit_rows(tree: Tree, start, end) -> list[dict]:
    consumers = tree.consumers()
    kwh = device_kwh([tree.meter[c] for c in consumers], start, end)
    return [{"circuit_id": c, "code": tree.circuits[c].code, "name": tree.circuits[c].name,
             "category": tree.circuits[c].category, "area_id": tree.area_of(c),
             "devices": [tree.meter[c]], "import_kwh": kwh.get(tree.meter[c], 0.0)} for c in consumers]


def _with_shares(rows: list[dict]) -> tuple[list[dict], float]:
    total = sum(r["import_kwh"] for r in rows)
    for r in rows:
        r["share_pct"] = r["import_kwh"] / total * 100 if total else None
    return rows, total


def _with_costs(site: Site, rows: list[dict], start: date, end: date) -> dict:
    """Each row's time-of-use cost over the local days, from the per-period day and
    month rollups (``periods.item_costs``: priced and summed per row in SQL);
    the head's fields."""
    versions = pricing.Versions(site.id)
    costs = periods.item_costs({i: r["devices"] for i, r in enumerate(rows)}, start, end,
                               versions.by_id)
    for i, r in enumerate(rows):
        del r["devices"]
        r["cost"] = costs[i]
    return {"currency": versions.currency, "total_cost": sum(r["cost"] for r in rows)}


def share(actor: Actor, args: dict) -> dict:
    """Import per area (the site's top areas, or a parent's sub-areas) or per circuit
    category (of the end consumers, so nothing counts twice), with each one's share."""
    site = get_site(actor, args["site_id"])
    start, end = _days(site, args)
    tree = Tree.of(site.id)
    if args["by"] == "area":
        rows = _area_rows(actor, site, tree, args, start, end)
    else:
        by_cat: dict[str, dict] = {}
        for r in _circuit_rows(tree, start, end):
            cat = by_cat.setdefault(r["category"], {"category": r["category"],
                                                    "devices": [], "import_kwh": 0.0})
            cat["devices"] += r["devices"]
            cat["import_kwh"] += r["import_kwh"]
        rows = [by_cat[c] for c in sorted(by_cat)]
    rows, total = _with_shares(rows)
    head = _with_costs(site, rows, start, end)
    site_kwh = sum(device_kwh(tree.site_devices(), start, end).values())
    return {"site_id": site.id, "by": args["by"], "start": start, "end": end,
            "parent_area_id": args.get("parent_area_id"), "site_kwh": site_kwh,
            "total_kwh": total, **head, "items": rows}


def ranking(actor: Actor, args: dict) -> dict:
    """Areas (departments) or end-consumer circuits ranked by import over the days."""
    site = get_site(actor, args["site_id"])
    start, end = _days(site, args)
    tree = Tree.of(site.id)
    rows = (_area_rows(actor, site, tree, args, start, end) if args["by"] == "area"
            else _circuit_rows(tree, start, end))
    rows, total = _with_shares(rows)
    key = "area_id" if args["by"] == "area" else "circuit_id"
    rows.sort(key=lambda r: (-r["import_kwh"], r[key]))
    top = rows[:args.get("top", 10)]
    head = _with_costs(site, rows, start, end)
    for i, r in enumerate(top, 1):
        r["rank"] = i
    return {"site_id": site.id, "by": args["by"], "start": start, "end": end,
            "total_kwh": total, **head, "count": len(rows), "items": top}
