"""The energy API's services: trend of any node, overview, feeder balance, meter
replacements. Every read is scoped to the caller's sites (404 otherwise)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

from backend import uplink
from backend.accounts import audit
from backend.accounts.security import Actor
from backend.clock import utcnow
from backend.energy import periods, pricing, rollup
from backend.energy.nodes import Tree
from backend.errors import Conflict, ValidationFailed, invalid_field
from backend.extensions import db
from backend.facility.operations import areas, boards, circuits, devices
from backend.facility.sites import get_site, select_sites
from backend.models import Role, Site
from backend.models.energy import COUNTERS, KpiDenominator, MeterReplacement
from backend.models.telemetry import METRICS
from backend.settings import setting

NODES = ("site", "area", "board", "circuit", "device")
INTERVALS = ("15min", "hour", "day", "month")
# The longest range each interval answers (points: 2,976 / 2,232 / 1,100 / 120).
MAX_RANGE = {"15min": timedelta(days=31), "hour": timedelta(days=93),
             "day": timedelta(days=1100), "month": timedelta(days=3700)}
_AMOUNTS = ("import_kwh", "export_kwh", "reactive_kvarh")


def resolve(actor: Actor, node: str, node_id: int) -> tuple[Site, list[int], dict]:
    """(site, the devices whose sum is the node's energy, a label of the node)."""
    if node == "site":
        site = get_site(actor, node_id)
        return site, Tree.of(site.id).site_devices(), {"code": site.code, "name": site.name}
    if node == "device":
        d = devices.get(actor, node_id)
        return db.session.get(Site, d.site_id), [d.id], {"code": d.code, "name": d.name}
    getter = {"area": areas, "board": boards, "circuit": circuits}[node]
    obj = getter.get(actor, node_id)
    tree = Tree.of(obj.site_id)
    ids = {"area": tree.area_devices, "board": tree.board_devices,
           "circuit": tree.counted}[node](obj.id)
    return db.session.get(Site, obj.site_id), ids, {"code": obj.code, "name": obj.name}


def _check_range(interval: str, start: datetime, end: datetime) -> None:
    if end <= start:
        invalid_field("end", "must be after start")
    if end - start > MAX_RANGE[interval]:
        invalid_field("end", f"at most {MAX_RANGE[interval].days} days of {interval} points",
                      error="range_too_long")


def _row(start, imp, exp, rea, demand, est) -> dict:
    return {"start": start, "import_kwh": imp or 0.0, "export_kwh": exp or 0.0,
            "reactive_kvarh": rea or 0.0, "demand_kw": demand, "estimated": bool(est)}


def trend(actor: Actor, args: dict) -> dict:
    node, interval = args["node"], args.get("interval", "hour")
    site, ids, label = resolve(actor, node, args["node_id"])
    end = args.get("end") or utcnow()
    start = args.get("start") or end - {"15min": timedelta(days=1), "hour": timedelta(days=2),
                                        "day": timedelta(days=31),
                                        "month": timedelta(days=366)}[interval]
    _check_range(interval, start, end)
    tz = site.timezone
    p = {"ids": ids, "start": start, "end": end, "tz": tz}
    if interval in ("15min", "hour"):
        period = "slot" if interval == "15min" else \
            "timezone(:tz, date_trunc('hour', timezone(:tz, slot)))"
        rows = db.session.execute(text(
            f"SELECT {period} AS t, sum(i), sum(e), sum(r), max(i) * 4, bool_or(est) FROM ("
            "SELECT slot, sum(import_kwh) i, sum(export_kwh) e, sum(reactive_kvarh) r, "
            "bool_or(estimated) est FROM energy_slots WHERE device_id = ANY(:ids) "
            "AND slot >= :start AND slot < :end GROUP BY slot) s GROUP BY 1 ORDER BY 1"),
            p).all()
        points = [_row(*r) for r in rows]
    else:
        zone = ZoneInfo(tz)
        first = start.astimezone(zone).date()
        last = (end - timedelta(microseconds=1)).astimezone(zone).date()
        table, key = ("energy_days", "day") if interval == "day" else ("energy_months", "month")
        if interval == "month":
            first = first.replace(day=1)
        rows = db.session.execute(text(
            f"SELECT {key}, sum(import_kwh), sum(export_kwh), sum(reactive_kvarh), "
            f"max(demand_kw), bool_or(estimated), count(*) FROM {table} "
            f"WHERE device_id = ANY(:ids) AND {key} BETWEEN :first AND :last "
            "GROUP BY 1 ORDER BY 1"), {**p, "first": first, "last": last}).all()
        single = len(ids) == 1   # a group's peak is coincident: from the 15min/hour trend
        points = [_row(datetime.combine(r[0], datetime.min.time(), zone), *r[1:4],
                       r[4] if single else None, r[5]) for r in rows]
        keys = [r[0] for r in rows]
    if interval in ("15min", "hour"):
        keys, w_start, w_end = [r[0] for r in rows], start, end
    else:   # the points are whole local days / months: price the same span
        w_start = datetime.combine(first, datetime.min.time(), zone)
        w_end = datetime.combine(_next(last, interval), datetime.min.time(), zone)
    versions = pricing.Versions(site.id)
    _price_points(site, ids, points, keys, interval, w_start, w_end, versions)
    total = {k: sum(pt[k] for pt in points) for k in _AMOUNTS}
    total.update(_price_total(points))
    total["currency"] = versions.currency
    demands = [pt["demand_kw"] for pt in points if pt["demand_kw"] is not None]
    total["demand_kw"] = max(demands) if demands else None
    total["estimated"] = any(pt["estimated"] for pt in points)
    return {"node": node, "node_id": args["node_id"], **label, "site_id": site.id,
            "timezone": tz, "interval": interval, "start": start, "end": end,
            "devices": ids, "points": points, "total": total}


def _next(day: date, interval: str) -> date:
    """The day after ``day``, or the first day of the month after ``day``'s."""
    if interval == "day":
        return day + timedelta(days=1)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _price_points(site: Site, ids: list[int], points: list[dict], keys: list,
                  interval: str, start: datetime, end: datetime,
                  versions: pricing.Versions) -> None:
    """Each point's cost (time-of-use), unpriced kWh and carbon. 15-minute and hour
    points are priced slot by slot; day and month points are read from the per-period
    rollups (the same sums: tests/test_energy_periods.py)."""
    if interval in ("day", "month"):
        last = end.astimezone(ZoneInfo(site.timezone)).date() - timedelta(days=1)
        prices = periods.point_costs(ids, start.astimezone(ZoneInfo(site.timezone)).date(),
                                     last, interval, versions.by_id)
    else:
        prices = pricing.priced(site.id, site.timezone, ids, start, end, interval, versions)
    factors = pricing.Factors(site.id)
    zone = ZoneInfo(site.timezone)
    for pt, key in zip(points, keys):
        got = prices.get(key) or {"cost": 0.0, "unpriced_kwh": 0.0}
        pt["cost"], pt["unpriced_kwh"] = got["cost"], got["unpriced_kwh"]
        year = key.year if isinstance(key, date) and not isinstance(key, datetime) \
            else key.astimezone(zone).year
        pt["carbon_kg"] = factors.carbon(pt["import_kwh"], year)


def _price_total(points: list[dict]) -> dict:
    carbons = [pt["carbon_kg"] for pt in points if pt["carbon_kg"] is not None]
    return {"cost": sum(pt["cost"] for pt in points),
            "unpriced_kwh": sum(pt["unpriced_kwh"] for pt in points),
            "carbon_kg": sum(carbons) if carbons else None}


def _sums(table: str, key: str, ids: list[int], lo: date, hi: date) -> float:
    if not ids:
        return 0.0
    return float(db.session.scalar(text(
        f"SELECT coalesce(sum(import_kwh), 0) FROM {table} WHERE device_id = ANY(:ids) "
        f"AND {key} BETWEEN :lo AND :hi"), {"ids": ids, "lo": lo, "hi": hi}))


def _per(kwh: float, site_id: int, kind: str, month: date) -> float | None:
    """kWh per the site's latest denominator of a kind entered on or before the month
    (the intensity; floor area and head count rarely change monthly)."""
    m = KpiDenominator
    v = db.session.scalar(select(m.value).where(
        m.site_id == site_id, m.area_id.is_(None), m.kind == kind, m.month <= month)
        .order_by(m.month.desc()).limit(1))
    return kwh / v if v else None


def _site_overview(site: Site, top: int) -> dict:
    tree = Tree.of(site.id)
    ids = tree.site_devices()
    today = utcnow().astimezone(ZoneInfo(site.timezone)).date()
    month, year = today.replace(day=1), today.replace(month=1, day=1)
    consumers = tree.consumers()
    by_device = {tree.meter[c]: c for c in consumers}
    ranked = db.session.execute(text(
        "SELECT device_id, import_kwh FROM energy_months WHERE device_id = ANY(:ids) "
        "AND month = :m ORDER BY import_kwh DESC, device_id LIMIT :n"),
        {"ids": list(by_device), "m": month, "n": top}).all() if by_device else []
    versions, factors = pricing.Versions(site.id), pricing.Factors(site.id)
    month_end = _next(month, "month") - timedelta(days=1)

    def cost(first: date, last: date) -> float:   # the per-period rollups (periods.py)
        return sum(v["cost"] for v in periods.device_costs(
            ids, first, last, versions.by_id).values())
    kwh = {"today_kwh": _sums("energy_days", "day", ids, today, today),
           "month_kwh": _sums("energy_months", "month", ids, month, month),
           "year_kwh": _sums("energy_months", "month", ids, year, month)}
    return {"site_id": site.id, "code": site.code, "name": site.name,
            "timezone": site.timezone, "today": today, **kwh,
            "currency": versions.currency,
            "today_cost": cost(today, today), "month_cost": cost(month, month_end),
            "year_cost": cost(year, month_end),
            "month_kwh_per_m2": _per(kwh["month_kwh"], site.id, "floor_m2", month),
            "month_kwh_per_person": _per(kwh["month_kwh"], site.id, "persons", month),
            "today_carbon_kg": factors.carbon(kwh["today_kwh"], today.year),
            "month_carbon_kg": factors.carbon(kwh["month_kwh"], today.year),
            "year_carbon_kg": factors.carbon(kwh["year_kwh"], today.year),
            "top_consumers": [{"circuit_id": by_device[d],
                               "code": tree.circuits[by_device[d]].code,
                               "name": tree.circuits[by_device[d]].name,
                               "month_kwh": kwh} for d, kwh in ranked]}


def overview(actor: Actor, args: dict) -> dict:
    top = args.get("top", 5)
    if args.get("site_id"):
        sites = [get_site(actor, args["site_id"])]
    else:
        sites = db.session.scalars(select_sites(actor, {})).all()
    per_site = [_site_overview(s, top) for s in sites]
    total = {k: sum(s[k] for s in per_site)
             for k in ("today_kwh", "month_kwh", "year_kwh", "today_cost", "month_cost",
                       "year_cost")}
    for k in ("today_carbon_kg", "month_carbon_kg", "year_carbon_kg"):
        known = [s[k] for s in per_site if s[k] is not None]
        total[k] = sum(known) if known else None
    return {"sites": per_site, "total": total}


def _energy(ids: list[int], start: datetime, end: datetime) -> tuple[float, bool]:
    if not ids:
        return 0.0, False
    kwh, est = db.session.execute(text(
        "SELECT coalesce(sum(import_kwh), 0), coalesce(bool_or(estimated), false) "
        "FROM energy_slots WHERE device_id = ANY(:ids) AND slot >= :s AND slot < :e"),
        {"ids": ids, "s": start, "e": end}).one()
    return float(kwh), bool(est)


def balance(actor: Actor, args: dict) -> dict:
    """A feeder (a circuit, or a board's incomer / feeder circuit) against the sum of its
    children: loss or unmetered use in kWh and % of the feeder, flagged above the share."""
    if bool(args.get("circuit_id")) == bool(args.get("board_id")):
        invalid_field("circuit_id", "give circuit_id or board_id (one of them)")
    if args.get("board_id"):
        board = boards.get(actor, args["board_id"])
        tree = Tree.of(board.site_id)
        incomers = [c for c in tree.board_tops(board.id) if c in tree.meter
                    and tree.circuits[c].category == "incomer"]
        feeder_id = incomers[0] if len(incomers) == 1 else board.feeder_circuit_id
        if feeder_id is None or feeder_id not in tree.meter:
            raise ValidationFailed(f"board {board.id} has no metered incomer or feeder",
                                   errors={"board_id": ["no metered incomer or feeder"]},
                                   error="feeder_not_metered")
    else:
        feeder = circuits.get(actor, args["circuit_id"])
        tree, feeder_id = Tree.of(feeder.site_id), feeder.id
        if feeder_id not in tree.meter:
            raise ValidationFailed(f"circuit {feeder_id} has no energy meter",
                                   errors={"circuit_id": ["no energy meter"]},
                                   error="feeder_not_metered")
    site = db.session.get(Site, tree.site_id)
    end = args.get("end") or utcnow()
    start = args.get("start") or end - timedelta(days=1)
    _check_range("hour", start, end)
    feeder_kwh, estimated = _energy([tree.meter[feeder_id]], start, end)
    children = []
    for cid in tree.children.get(feeder_id, ()):
        ids = tree.counted(cid)
        kwh, est = _energy(ids, start, end)
        estimated |= est
        c = tree.circuits[cid]
        children.append({"circuit_id": cid, "code": c.code, "name": c.name,
                         "metered": bool(ids), "import_kwh": kwh if ids else None})
    children_kwh = sum(ch["import_kwh"] or 0.0 for ch in children)
    loss = feeder_kwh - children_kwh
    pct = loss / feeder_kwh * 100 if feeder_kwh > 0 else None
    flag_pct = args.get("flag_pct")
    if flag_pct is None:
        flag_pct = float(setting("energy_balance_flag_pct"))
    c = tree.circuits[feeder_id]
    return {"site_id": site.id, "circuit_id": feeder_id, "code": c.code, "name": c.name,
            "start": start, "end": end, "feeder_kwh": feeder_kwh,
            "children_kwh": children_kwh, "loss_kwh": loss, "loss_pct": pct,
            "flag_pct": flag_pct, "flagged": pct is not None and abs(pct) > flag_pct,
            "unmetered_children": sum(1 for ch in children if not ch["metered"]),
            "estimated": estimated, "children": children}


# --- meter replacements ----------------------------------------------------------------
def select_replacements(actor: Actor, args: dict):
    stmt = select(MeterReplacement)
    if not actor.is_superadmin:
        stmt = stmt.where(MeterReplacement.site_id.in_(actor.site_ids))
    for key in ("site_id", "device_id"):
        if args.get(key):
            stmt = stmt.where(getattr(MeterReplacement, key) == args[key])
    return stmt.order_by(MeterReplacement.at.desc(), MeterReplacement.id.desc())


def _good_next_to(device_id: int, name: str, when: datetime, after: bool):
    """The good reading of a counter just before (or from) ``when``."""
    op, order = (">=", "ASC") if after else ("<", "DESC")
    return db.session.execute(text(
        f"SELECT ts, value FROM readings WHERE device_id = :d AND metric_id = :m "
        f"AND ts {op} :t AND quality & :bad = 0 ORDER BY ts {order} LIMIT 1"),
        {"d": device_id, "m": METRICS[name].id, "t": when, "bad": rollup.BAD}).first()


def create_replacement(actor: Actor, data: dict) -> MeterReplacement:
    """Record a meter replacement (audited) and re-roll the device from its time."""
    actor.require_role(Role.manager)
    device = devices.get(actor, data["device_id"])
    actor.require_site(device.site_id)
    at = data["at"]
    if at > utcnow() + timedelta(seconds=60):
        invalid_field("at", "in the future")
    readings = data["readings"]
    if not readings:
        invalid_field("readings", f"give at least one of {', '.join(COUNTERS)}")
    for name, pair in readings.items():
        if name not in COUNTERS:
            invalid_field(f"readings.{name}", f"not a counter; one of {', '.join(COUNTERS)}")
        last = _good_next_to(device.id, name, at, after=False)
        if last is not None and pair["old_final"] < last.value:
            invalid_field(f"readings.{name}.old_final",
                          f"below the old meter's last reading before the replacement "
                          f"({last.value:g} at {last.ts.isoformat()})",
                          error="old_final_below_last_reading")
        first = _good_next_to(device.id, name, at, after=True)
        if first is not None and pair["new_initial"] > first.value:
            invalid_field(f"readings.{name}.new_initial",
                          f"above the new meter's first reading after the replacement "
                          f"({first.value:g} at {first.ts.isoformat()})",
                          error="new_initial_above_first_reading")
    clash = db.session.scalar(select(MeterReplacement.id).where(
        MeterReplacement.device_id == device.id, MeterReplacement.at == at))
    if clash is not None:
        raise Conflict(f"device {device.id} already has a replacement at {at.isoformat()}",
                       error="replacement_exists", errors={"at": ["already recorded"]})
    row = MeterReplacement(site_id=device.site_id, device_id=device.id, at=at,
                           readings={k: {"old_final": float(v["old_final"]),
                                         "new_initial": float(v["new_initial"])}
                                     for k, v in readings.items()},
                           note=data.get("note", ""), created_by=actor.user_id,
                           created_by_name=actor.username or "")
    db.session.add(row)
    db.session.flush()
    uplink.track_replacement(row)       # a site box sends it up (docs/sitelink.md)
    audit.record(actor, "create", "meter_replacement", row.id, site_id=device.site_id,
                 after={"device_id": device.id, "at": at.isoformat(),
                        "readings": row.readings, "note": row.note})
    rollup.roll_device(device.id, at)
    return row


