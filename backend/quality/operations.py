"""Power quality's reads (per monitoring point, per site, daily results, diagnosis) and
the daily job. Scoped to the caller's sites; bad input is a 422 naming the field."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from backend.accounts.security import Actor
from backend.clock import iso, to_utc, utcnow
from backend.errors import NotFound, invalid_field
from backend.extensions import db
from backend.facility.operations import devices
from backend.facility.sites import get_site
from backend.models import Board, Circuit, Device, QualityDaily, Site
from backend.quality import diagnosis, events, report, rollup, store
from backend.settings import setting
from backend.vocabulary import nominal_phase_voltage

POINT_KINDS = ("breaker", "meter")
MAX_SPAN = timedelta(days=31)
MAX_DAILY_DAYS = 400
EVENT_CAP = 500                 # events per answer (``events_truncated`` says when hit)


# --- inputs -------------------------------------------------------------------------------
def period(args: dict) -> tuple[datetime, datetime]:
    end = to_utc(args["end"]) if args.get("end") else utcnow()
    start = to_utc(args["start"]) if args.get("start") else end - timedelta(days=1)
    if start >= end:
        invalid_field("end", "must be after start")
    if end - start > MAX_SPAN:
        invalid_field("start", f"the period may span at most {MAX_SPAN.days} days; "
                               "use the daily results for longer trends")
    return start, end


def _defaults() -> tuple[float, float]:
    """(nominal phase voltage, power-factor target) from the settings, read once per
    analysis rather than per point."""
    return (float(setting("quality_nominal_voltage")),
            float(setting("quality_power_factor_target")))


def spec_for(device: Device, defaults: tuple[float, float] | None = None) -> report.PointSpec:
    """A point's spec: single-phase for 1P / 1P+N breakers; the nominal phase voltage
    from the device's ``attributes.nominal_voltage`` or ``nominal_kv``
    (``vocabulary.nominal_phase_voltage``) else setting quality_nominal_voltage (220 V,
    GB/T 156); the voltage level (harmonic limits) from ``nominal_kv``, else 0.38 kV; the
    power-factor target from quality_power_factor_target."""
    default_v, pf_target = defaults or _defaults()
    nominal = nominal_phase_voltage(device.attributes) or default_v
    kv = (device.attributes or {}).get("nominal_kv")
    level = {"level_kv": float(kv)} if isinstance(kv, (int, float)) and not isinstance(
        kv, bool) and kv > 0 else {}             # the harmonic limits' voltage level
    return report.PointSpec(phases=1 if device.poles in ("1P", "1P+N") else 3,
                            nominal_v=float(nominal), rated_current=device.rated_current,
                            pf_target=pf_target, **level)


def site_points(site_id: int) -> list[Device]:
    return list(db.session.scalars(select(Device).where(
        Device.site_id == site_id, Device.kind.in_(POINT_KINDS)).order_by(Device.code)))


# --- the analysis -------------------------------------------------------------------------
def _finish(d: Device, spec: report.PointSpec, rep: dict, samples, changes) -> dict:
    evs = events.voltage_events(samples.get(d.id, []), spec.nominal_v)
    evs += events.state_events(changes.get(d.id, []))
    rep["events"] = sorted(evs, key=lambda e: e["start"])
    rep["spec"] = {"phases": spec.phases, "nominal_v": spec.nominal_v,
                   "rated_current": spec.rated_current, "pf_target": spec.pf_target}
    return rep


def analyse(points: list[Device], start: datetime, end: datetime) -> dict[int, dict]:
    """device id -> its report: indices, events (readings and breaker states), from the
    10-minute rollup with the indices' statistics computed in SQL (rollup.py); the same
    answer as ``analyse_raw``."""
    defaults = _defaults()
    specs = {d.id: spec_for(d, defaults) for d in points}
    stats = rollup.point_stats(specs, start, end)
    samples = rollup.samples_around({d: st.pop("disturbed") for d, st in stats.items()},
                                    start, end)
    changes = store.state_changes(list(specs), start, end)
    return {d.id: _finish(d, specs[d.id],
                          report.point_indices_from_stats(stats.get(d.id), specs[d.id]),
                          samples, changes) for d in points}


def analyse_raw(points: list[Device], start: datetime, end: datetime) -> dict[int, dict]:
    """The reference computation: every interval from ``readings``, the indices in
    Python (report.point_indices), every voltage sample through events.py."""
    ids = [d.id for d in points]
    aggs = store.aggregates(ids, start, end)
    samples = store.voltage_samples(ids, start, end)
    changes = store.state_changes(ids, start, end)
    out = {}
    for d in points:
        spec = spec_for(d)
        out[d.id] = _finish(d, spec, report.point_indices(aggs.get(d.id, []), spec),
                            samples, changes)
    return out


_PLAIN = (str, int, float, bool, type(None))


def jsonable(value):
    """Datetimes as ISO 8601 UTC strings, recursively (the answers and the stored rows).
    Plain leaves are kept without a call (most of a report's ~100,000 values)."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {k: v if type(v) in _PLAIN else jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [v if type(v) in _PLAIN else jsonable(v) for v in value]
    return value


def _point_doc(d: Device, rep: dict) -> dict:
    return {"device_id": d.id, "site_id": d.site_id, "code": d.code, "name": d.name,
            "kind": d.kind, "circuit_id": d.circuit_id, "spec": rep["spec"],
            "intervals": rep["intervals"], "flagged_intervals": rep["flagged_intervals"],
            "indices": rep["indices"], "events": rep["events"][:EVENT_CAP],
            "events_truncated": len(rep["events"]) > EVENT_CAP,
            "diagnosis": diagnosis.point_cards(d.id, rep)}


def point_quality(actor: Actor, device_id: int, args: dict) -> dict:
    device = devices.get(actor, device_id)
    if device.kind not in POINT_KINDS:
        invalid_field("device_id", f"a {device.kind} is not a monitoring point "
                                   f"(one of {', '.join(POINT_KINDS)})",
                      error="not_a_monitoring_point")
    start, end = period(args)
    rep = analyse([device], start, end)[device.id]
    return jsonable({"start": start, "end": end, **_point_doc(device, rep)})


def supply_tree(site_id: int) -> dict:
    """``diagnosis.tree_from_topology(site_topology(...))`` from three column queries:
    the same boards, circuits and points in the same order (by code, as the topology
    reads them), without loading the facility's ORM objects and every device's accepted
    actions (a third of the month report's Python time at 2,000 points). The caller has
    checked the site's scope."""
    boards = db.session.execute(select(Board.id, Board.code, Board.name, Board.level,
                                       Board.feeder_circuit_id).where(
        Board.site_id == site_id).order_by(Board.code)).all()
    circuits = db.session.execute(select(Circuit.id, Circuit.code, Circuit.name,
                                         Circuit.board_id, Circuit.parent_id).where(
        Circuit.site_id == site_id).order_by(Circuit.code)).all()
    on_circuit: dict[int, list[dict]] = {}
    for device_id, circuit_id in db.session.execute(select(Device.id, Device.circuit_id).where(
            Device.site_id == site_id).order_by(Device.code)):
        on_circuit.setdefault(circuit_id, []).append({"id": device_id})
    children: dict[int, list] = {}
    roots_of_board: dict[int, list] = {}
    for c in circuits:
        (children.setdefault(c.parent_id, []) if c.parent_id
         else roots_of_board.setdefault(c.board_id, [])).append(c)
    fed_by: dict[int | None, list] = {}
    for b in boards:
        fed_by.setdefault(b.feeder_circuit_id, []).append(b)

    def circuit_node(c) -> dict:
        return {"id": c.id, "code": c.code, "name": c.name,
                "devices": on_circuit.get(c.id, []),
                "circuits": [circuit_node(x) for x in children.get(c.id, [])],
                "boards": [board_node(b) for b in fed_by.get(c.id, [])]}

    def board_node(b) -> dict:
        return {"id": b.id, "code": b.code, "name": b.name, "level": b.level,
                "circuits": [circuit_node(c) for c in roots_of_board.get(b.id, [])]}
    return diagnosis.tree_from_topology({"boards": [board_node(b) for b in fed_by.get(None, [])]})


def _site_analysis(actor: Actor, site: Site, start: datetime, end: datetime):
    points = site_points(site.id)
    reports = analyse(points, start, end)
    names = {d.id: d.code for d in points}
    tree = supply_tree(site.id)
    cards = [c for d in points for c in diagnosis.point_cards(d.id, reports[d.id])]
    return points, reports, diagnosis.system_cards(tree, reports, names), cards


def site_quality(actor: Actor, site_id: int, args: dict) -> dict:
    site = get_site(actor, site_id)
    start, end = period(args)
    points, reports, system, cards = _site_analysis(actor, site, start, end)
    evs = [{**e, "device_id": d.id, "code": d.code} for d in points
           for e in reports[d.id]["events"]]
    evs.sort(key=lambda e: e["start"])
    return jsonable({
        "site_id": site.id, "start": start, "end": end,
        "indices": report.pooled([reports[d.id] for d in points]),
        "points": [{"device_id": d.id, "code": d.code, "name": d.name,
                    "intervals": reports[d.id]["intervals"],
                    "events": len(reports[d.id]["events"]),
                    "compliant": {k: r["compliant"]
                                  for k, r in reports[d.id]["indices"].items()}}
                   for d in points],
        "events": evs[:EVENT_CAP], "events_truncated": len(evs) > EVENT_CAP,
        "diagnosis": system + cards})


def site_diagnosis(actor: Actor, site_id: int, args: dict) -> dict:
    site = get_site(actor, site_id)
    start, end = period(args)
    _points, _reports, system, cards = _site_analysis(actor, site, start, end)
    return jsonable({"site_id": site.id, "start": start, "end": end,
                     "system": system, "points": cards})


def rule_table() -> list[dict]:
    return [{"key": k, **v} for k, v in diagnosis.rule_table().items()]


# --- daily results --------------------------------------------------------------------------
def day_bounds(site: Site, day: date) -> tuple[datetime, datetime]:
    try:
        tz = ZoneInfo(site.timezone or "UTC")
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    start = datetime.combine(day, time(0), tzinfo=tz)
    return to_utc(start), to_utc(datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz))


def compute_day(site_id: int, day: date) -> int:
    """The site's results of ``day`` (its local day): one row per monitoring point and
    one for the site, replacing what was stored; returns the rows written."""
    site = db.session.get(Site, site_id)
    if site is None:
        raise NotFound(f"site {site_id} not found", error="site_not_found")
    start, end = day_bounds(site, day)
    points, reports, system, cards = _site_analysis(Actor.system("quality"), site, start, end)
    rows = [{"device_id": d.id, "intervals": reports[d.id]["intervals"],
             "indices": jsonable(reports[d.id]["indices"]),
             "events": jsonable(reports[d.id]["events"][:EVENT_CAP]),
             "diagnosis": jsonable(diagnosis.point_cards(d.id, reports[d.id]))}
            for d in points]
    rows.append({"device_id": None, "intervals": sum(r["intervals"] for r in reports.values()),
                 "indices": report.pooled(list(reports.values())),
                 "events": [], "diagnosis": jsonable(system)})
    return store.replace_day(site.id, day, rows)


def local_yesterday(site: Site, now: datetime | None = None) -> date:
    try:
        tz = ZoneInfo(site.timezone or "UTC")
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    return (now or utcnow()).astimezone(tz).date() - timedelta(days=1)


def compute_yesterday(now: datetime | None = None) -> dict[int, int]:
    """Every site's yesterday (in its time zone); committed per site. Idempotent."""
    done = {}
    for site in db.session.scalars(select(Site).order_by(Site.id)).all():
        done[site.id] = compute_day(site.id, local_yesterday(site, now))
        db.session.commit()
    return done


def daily(actor: Actor, site_id: int, args: dict) -> list[dict]:
    get_site(actor, site_id)
    last = args.get("to") or date.today()
    first = args.get("from_") or last - timedelta(days=30)
    if first > last:
        invalid_field("to", "must not be before from")
    if (last - first).days > MAX_DAILY_DAYS:
        invalid_field("from", f"at most {MAX_DAILY_DAYS} days")
    stmt = select(QualityDaily).where(QualityDaily.site_id == site_id,
                                      QualityDaily.day >= first, QualityDaily.day <= last)
    if args.get("device_id"):
        device = devices.get(actor, args["device_id"])
        if device.site_id != site_id:
            invalid_field("device_id", "not a device of this site", error="device_not_found")
        stmt = stmt.where(QualityDaily.device_id == device.id)
    elif not args.get("all_points"):
        stmt = stmt.where(QualityDaily.device_id.is_(None))
    rows = db.session.scalars(stmt.order_by(QualityDaily.day, QualityDaily.device_id)).all()
    return [{"day": r.day.isoformat(), "site_id": r.site_id, "device_id": r.device_id,
             "intervals": r.intervals, "indices": r.indices, "events": r.events,
             "diagnosis": r.diagnosis, "computed_at": iso(r.computed_at)} for r in rows]
