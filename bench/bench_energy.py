"""Energy rollups: build them for a fleet through the job's code, then the trend and
overview p95 from the rollups against the same questions answered from raw readings
(the baseline, same run), and the incremental rollup's cost per poll cycle; the analytics
(share, ranking, comparison with cost) against raw readings, the supply tree cached
against rebuilt, and a year of monthly reports (XLSX). Time-of-use cost: share and
ranking (cost always on, from the per-period day and month rollups) against the
slot-by-slot pricing of the same items and days (``pricing.priced``, what ``cost=true``
ran before), same run, their totals checked equal; and the tariff re-roll of the fleet.

The fleet: one site, an incomer meter, ``--feeders`` feeder breakers each feeding a board
of ``--per-board`` breakers (default 1 + 20 + 20 * 99 = 2,001 breakers). Raw data:
``--days`` days of 1-minute ``energy_import`` readings per breaker (COPY into
``readings``), rolled by ``rollup.roll_all`` (the pure core and the job's SQL). The year:
``energy_days`` / ``energy_months`` extended to 365 days by copying the rolled days
(scaled per day) so that the month and year questions read a year of rows; raw readings
exist only for the rolled days, so the raw baseline answers only the day-range questions.
Every device's slots are copied back over ``--cost-days`` (31) days so that the slot
pricing baseline reads a real month; the period rows are rolled from them by the
tariff job's code, and copied back over the rest of the year.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/bench_energy.py [--days 2]

The database and Redis given are EMPTIED (energy and facility tables, readings).
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def _app():
    from backend import create_app
    from backend.config import Settings

    settings = Settings.from_env().with_overrides(
        env="test", secret_key="bench-" + "x" * 32, jwt_secret_key="bench-" + "y" * 32,
        data_dir=Path(os.environ.get("TMPDIR", "/tmp")) / f"gw-bench-energy-{os.getpid()}")
    return create_app(settings)


def _timed(fn, reps: int) -> tuple[float, float]:
    """(p95, median) in ms after three warm-up calls."""
    for _ in range(3):
        fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return (statistics.quantiles(times, n=20)[-1] * 1000, statistics.median(times) * 1000)


CATEGORIES = ("lighting", "power", "hvac", "socket")


def _existing() -> tuple[dict, datetime]:
    """The fleet a previous run left (``--reuse``), and the time of its newest reading."""
    from sqlalchemy import text

    from backend.extensions import db

    site = db.session.execute(text("SELECT id FROM sites WHERE code = 'BENCH'")).scalar()
    if site is None:
        sys.exit("--reuse: no fleet of a previous run in this database")
    boards = db.session.execute(text(
        "SELECT id FROM boards WHERE site_id = :s AND level = 2 ORDER BY id"), {"s": site}).scalars().all()
    devices = db.session.execute(text(
        "SELECT id FROM devices WHERE site_id = :s ORDER BY id"), {"s": site}).scalars().all()
    user = db.session.execute(text("SELECT id FROM users WHERE username = 'bench_staff'")).scalar()
    newest = db.session.execute(text(
        "SELECT max(ts) FROM readings WHERE device_id = :d AND metric_id = 16"),
        {"d": devices[-1]}).scalar()
    return {"site": site, "boards": boards, "devices": devices, "user": user, "h": {}}, newest


def _fleet(feeders: int, per_board: int) -> dict:
    from backend.extensions import db
    from backend.models import Area, Board, Circuit, Device, Role, Site
    from tests.factories import auth, make_user

    site = Site(code="BENCH", name="能耗基准")
    db.session.add(site)
    db.session.flush()

    def add(obj):
        db.session.add(obj)
        db.session.flush()
        return obj.id

    aa1 = add(Board(site_id=site.id, code="AA1", name="总柜", level=1))
    inc = add(Circuit(site_id=site.id, code="IN", name="总进线", board_id=aa1,
                      category="incomer"))
    devices = [add(Device(site_id=site.id, code="M0", name="总表", kind="breaker",
                          profile="gw-breaker", circuit_id=inc))]
    boards = []
    for f in range(feeders):
        fc = add(Circuit(site_id=site.id, code=f"F{f}", name=f"馈线{f}", board_id=aa1,
                         parent_id=inc))
        devices.append(add(Device(site_id=site.id, code=f"F{f}", name=f"馈线{f}",
                                  kind="breaker", profile="gw-breaker", circuit_id=fc)))
        area = add(Area(site_id=site.id, code=f"A{f}", name=f"监区{f}"))
        b = add(Board(site_id=site.id, code=f"AL{f}", name=f"分箱{f}", level=2,
                      feeder_circuit_id=fc, area_id=area))
        boards.append(b)
        for k in range(per_board):
            c = add(Circuit(site_id=site.id, code=f"C{f}-{k}", name=f"回路{f}-{k}",
                            board_id=b, category=CATEGORIES[k % len(CATEGORIES)]))
            devices.append(add(Device(site_id=site.id, code=f"Q{f}-{k}", name=f"断路器{f}-{k}",
                                      kind="breaker", profile="gw-breaker", circuit_id=c)))
    db.session.commit()
    user = make_user("bench_staff", Role.staff, [site])
    return {"site": site.id, "boards": boards, "devices": devices, "user": user.id,
            "h": auth(user)}


def _raw_readings(engine, devices, start: datetime, minutes: int) -> int:
    """1-minute counters: each leaf a steady load with a daily shape; feeders and the
    incomer are not summed from them (a benchmark of reads, not of physics)."""
    from backend.telemetry.partitions import ensure_partitions

    ensure_partitions(engine, {start + timedelta(minutes=m) for m in range(0, minutes, 1440)}
                      | {start + timedelta(minutes=minutes)})
    raw = engine.raw_connection()
    n = 0
    try:
        cur = raw.cursor()
        for i, d in enumerate(devices):
            kw = 0.2 + (i % 17) * 0.3
            value, buf = 1000.0 + i, io.StringIO()
            for m in range(minutes):
                hour = (m // 60) % 24
                value += kw * (0.6 + 0.4 * math.sin(hour / 24 * 2 * math.pi)) / 60
                buf.write(f"{(start + timedelta(minutes=m)).isoformat()}\t{value!r}\t{d}\t16\t0\n")
            buf.seek(0)
            cur.copy_expert("COPY readings (ts, value, device_id, metric_id, quality) "
                            "FROM STDIN", buf)
            n += minutes
        raw.commit()
    finally:
        raw.close()
    return n


def _extend_year(days: int, incomer: int) -> None:
    """A year of day rows per device: the rolled days copied backwards (scaled by a day
    factor), and the months summed from them by the job's own month SQL."""
    from sqlalchemy import text

    from backend.extensions import db

    db.session.execute(text(
        "INSERT INTO energy_days (device_id, day, import_kwh, export_kwh, reactive_kvarh, "
        "demand_kw, estimated) SELECT d.device_id, d.day - g * :days, "
        "d.import_kwh * (0.8 + 0.4 * random()), 0, 0, d.demand_kw, false "
        "FROM energy_days d CROSS JOIN generate_series(1, :reps) g "
        "ON CONFLICT DO NOTHING"), {"days": days, "reps": 365 // days})
    # the incomer's slots for the year too (the site's cost reads them)
    db.session.execute(text(
        "INSERT INTO energy_slots (device_id, slot, import_kwh, export_kwh, reactive_kvarh, "
        "demand_kw, estimated) SELECT s.device_id, s.slot - g * make_interval(days => :days), "
        "s.import_kwh, 0, 0, s.demand_kw, false FROM energy_slots s "
        "CROSS JOIN generate_series(1, :reps) g WHERE s.device_id = :d "
        "ON CONFLICT DO NOTHING"), {"days": days, "reps": 365 // days, "d": incomer})
    db.session.execute(text("DELETE FROM energy_months"))
    db.session.execute(text(
        "INSERT INTO energy_months (device_id, month, import_kwh, export_kwh, reactive_kvarh, "
        "demand_kw, estimated) SELECT device_id, CAST(date_trunc('month', day) AS date), "
        "sum(import_kwh), sum(export_kwh), sum(reactive_kvarh), max(demand_kw), "
        "bool_or(estimated) FROM energy_days GROUP BY 1, 2"))
    db.session.commit()


def _periods(devices: list[int], site_id: int, days: int, cost_days: int) -> dict:
    """Every device's slots copied back over ``cost_days`` days, the per-period rows rolled
    from them by the tariff re-roll's code (timed), then copied back over the rest of the
    year (scaled per row, as the days are) and the month rows summed from them."""
    from sqlalchemy import text

    from backend.energy import periods
    from backend.extensions import db

    first = db.session.execute(text("SELECT min(slot) FROM energy_slots WHERE device_id "
                                    "<> :d"), {"d": devices[0]}).scalar()
    db.session.execute(text(
        "INSERT INTO energy_slots (device_id, slot, import_kwh, export_kwh, reactive_kvarh, "
        "demand_kw, estimated) SELECT s.device_id, s.slot - g * make_interval(days => :days), "
        "s.import_kwh, 0, 0, s.demand_kw, false FROM energy_slots s "
        "CROSS JOIN generate_series(1, :reps) g WHERE s.device_id <> :d "
        "ON CONFLICT DO NOTHING"), {"days": days, "reps": -(-cost_days // days) - 1,
                                    "d": devices[0]})
    db.session.commit()
    from zoneinfo import ZoneInfo
    zone = ZoneInfo("Asia/Shanghai")
    lo = (first - timedelta(days=cost_days - days)).astimezone(zone).date()
    year_lo = db.session.execute(text("SELECT min(day) FROM energy_days")).scalar()
    t = time.perf_counter()
    for i in range(0, len(devices), periods.BATCH):
        chunk = devices[i:i + periods.BATCH]
        periods.roll([(d, site_id, "Asia/Shanghai") for d in chunk],
                     [year_lo if d == devices[0] else lo for d in chunk])
        db.session.commit()
    roll_s = time.perf_counter() - t
    db.session.execute(text(
        "INSERT INTO energy_day_periods (device_id, day, tariff_id, period, import_kwh) "
        "SELECT p.device_id, p.day - g * :n, p.tariff_id, p.period, "
        "p.import_kwh * (0.8 + 0.4 * random()) FROM energy_day_periods p "
        "CROSS JOIN generate_series(1, :reps) g WHERE p.device_id <> :d AND p.day >= :lo "
        "AND p.day - g * :n >= :year_lo ON CONFLICT DO NOTHING"),
        {"n": cost_days, "reps": 365 // cost_days + 1, "d": devices[0], "lo": lo,
         "year_lo": year_lo})
    db.session.execute(text("DELETE FROM energy_month_periods"))
    db.session.execute(text(
        "INSERT INTO energy_month_periods (device_id, month, tariff_id, period, import_kwh) "
        "SELECT device_id, CAST(date_trunc('month', day) AS date), tariff_id, period, "
        "sum(import_kwh) FROM energy_day_periods GROUP BY 1, 2, 3, 4"))
    db.session.commit()
    return {"slot_days": cost_days, "slot_rows": db.session.execute(text(
        "SELECT count(*) FROM energy_slots")).scalar(), "period_roll_s": round(roll_s, 1),
        "day_period_rows": db.session.execute(text(
            "SELECT count(*) FROM energy_day_periods")).scalar(),
        "first_slot_day": lo.isoformat()}


def _prices(site_id: int) -> None:
    """A tariff with a half-hour boundary and two carbon factors, as a site would have."""
    from datetime import date

    from backend.extensions import db
    from backend.models.energy import CarbonFactor, Tariff

    periods = [{"period": "valley", "start": "23:00", "end": "07:00"},
               {"period": "flat", "start": "07:00", "end": "10:30"},
               {"period": "peak", "start": "10:30", "end": "18:00"},
               {"period": "sharp", "start": "18:00", "end": "20:00"},
               {"period": "flat", "start": "20:00", "end": "23:00"}]
    for valid_from, k in ((date(2000, 1, 1), 1.0), (date.today().replace(day=1), 1.1)):
        db.session.add(Tariff(site_id=site_id, valid_from=valid_from, periods=periods,
                              name="", currency="CNY",
                              prices={"valley": 0.3 * k, "flat": 0.6 * k, "peak": 1.0 * k,
                                      "sharp": 1.3 * k}))
    for year in range(date.today().year - 2, date.today().year + 1):
        db.session.add(CarbonFactor(site_id=site_id, year=year, kg_per_kwh=0.57))
    db.session.commit()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeders", type=int, default=20)
    ap.add_argument("--per-board", type=int, default=99)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--reuse", action="store_true",
                    help="measure the fleet and rollups a previous run left in the database "
                         "(no truncation, no generation): a rerun after a fix")
    ap.add_argument("--cost-days", type=int, default=31,
                    help="days of every device's slots (the slot pricing baseline's month)")
    args = ap.parse_args()
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        sys.exit("set DATABASE_URL and REDIS_URL (scratch: they are emptied)")

    from sqlalchemy import text

    from backend.energy import rollup
    from backend.extensions import db, redis
    from backend.migrate import upgrade_head
    from backend.telemetry import ingest
    from tests.conftest import TABLES

    upgrade_head(os.environ["DATABASE_URL"])
    app = _app()
    out: dict = {"machine": f"{platform.node()} {platform.processor() or platform.machine()} "
                            f"{os.cpu_count()} CPUs", "date": datetime.now(UTC).isoformat()}
    with app.app_context():
        if args.reuse:
            w, end = _existing()
            devices = w["devices"]
            start = end - timedelta(days=args.days)
            out.update(reused=True, devices=len(devices), periods={
                "first_slot_day": db.session.execute(text(
                    "SELECT CAST(timezone('Asia/Shanghai', min(slot)) AS date) FROM "
                    "energy_slots WHERE device_id = :d"), {"d": devices[-1]}).scalar()
                .isoformat()})
        else:
            db.session.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
            db.session.commit()
            redis.flushdb()
            w = _fleet(args.feeders, args.per_board)
            devices = w["devices"]
            end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
            start = end - timedelta(days=args.days)
            minutes = args.days * 1440
            t = time.perf_counter()
            rows = _raw_readings(db.engine, devices, start, minutes)
            out["raw_readings"] = rows
            out["raw_copy_s"] = round(time.perf_counter() - t, 1)
            t = time.perf_counter()
            slots = rollup.roll_all(devices)
            roll_s = time.perf_counter() - t
            out.update(devices=len(devices), slots=slots, full_roll_s=round(roll_s, 1),
                       full_roll_us_per_reading=round(roll_s / rows * 1e6, 2))
            _extend_year(args.days, devices[0])
            _prices(w['site'])
            out["periods"] = _periods(devices, w["site"], args.days, args.cost_days)
            out["day_rows"] = db.session.execute(text("SELECT count(*) FROM energy_days")).scalar()
            out["month_rows"] = db.session.execute(text(
                "SELECT count(*) FROM energy_months")).scalar()

        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE readings, energy_slots, energy_days, "
                              "energy_months, energy_day_periods, energy_month_periods"))   # as autovacuum would, before measuring
        db.session.remove()    # measure with a fresh session, as a request has
        client = app.test_client()
        board = w["boards"][0]
        leaves = devices[1 + args.feeders:]
        iso = lambda ts: ts.isoformat().replace("+00:00", "Z")   # noqa: E731
        day_start = end - timedelta(days=1)

        def fresh():
            # A new access token before each measured question: at 2,001 breakers on a
            # loaded machine the setup outlasts one token's life (401 token_expired).
            from backend.models import User
            from tests.factories import auth
            w["h"] = auth(db.session.get(User, w["user"]))
            db.session.remove()

        def get(url):
            r = client.get(url, headers=w["h"])
            assert r.status_code == 200, r.json
            return r.json

        def raw_trend(ids, lo, hi, bucket):
            # The naive raw answer: per device and bucket max - min of the counter, summed.
            return db.session.execute(text(
                "SELECT b, sum(d) FROM (SELECT device_id, date_bin(:bucket, ts, "
                "TIMESTAMPTZ '2000-01-01') b, max(value) - min(value) d FROM readings "
                "WHERE device_id = ANY(:ids) AND metric_id = 16 AND quality = 0 "
                "AND ts >= :lo AND ts < :hi GROUP BY 1, 2) s GROUP BY 1 ORDER BY 1"),
                {"ids": ids, "lo": lo, "hi": hi, "bucket": bucket}).all()

        cases = {
            "trend board 15min 1 day": (
                lambda: get(f"/api/v1/energy/trend?node=board&node_id={board}&interval=15min"
                            f"&start={iso(day_start)}&end={iso(end)}"),
                lambda: raw_trend(devices[2:2 + args.per_board], day_start, end, "15 minutes")),
            "trend site hour 1 day": (
                lambda: get("/api/v1/energy/trend?node=site&node_id=%d&interval=hour"
                            "&start=%s&end=%s" % (w["site"], iso(day_start), iso(end))),
                lambda: raw_trend(devices[:1], day_start, end, "1 hour")),
            "overview (today, month, year, top 5)": (
                lambda: get(f"/api/v1/energy/overview?site_id={w['site']}"),
                # raw: the leaves' energy since the start of the readings (only --days of
                # them exist, so this understates the raw cost of "this month" and "year")
                lambda: db.session.execute(text(
                    "SELECT device_id, max(value) - min(value) d FROM readings "
                    "WHERE device_id = ANY(:ids) AND metric_id = 16 AND quality = 0 AND "
                    "ts >= :lo GROUP BY 1 ORDER BY d DESC LIMIT 5"),
                    {"ids": leaves, "lo": start}).all()),
            "trend site month 1 year": (
                lambda: get(f"/api/v1/energy/trend?node=site&node_id={w['site']}"
                            f"&interval=month&start={iso(end - timedelta(days=365))}"
                            f"&end={iso(end)}"), None),
        }
        from zoneinfo import ZoneInfo
        day = (end.astimezone(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1))
        d_lo = datetime.combine(day, datetime.min.time(), ZoneInfo("Asia/Shanghai"))
        d_hi = d_lo + timedelta(days=1)

        def raw_per_device(ids):
            # raw: per device max - min of the counter over the local day, the ranking /
            # share then summed per group in Python (as the rollup answer is)
            return db.session.execute(text(
                "SELECT device_id, max(value) - min(value) d FROM readings "
                "WHERE device_id = ANY(:ids) AND metric_id = 16 AND quality = 0 "
                "AND ts >= :lo AND ts < :hi GROUP BY 1 ORDER BY d DESC"),
                {"ids": ids, "lo": d_lo, "hi": d_hi}).all()

        month_lo = (end - timedelta(days=365)).date().replace(day=1)
        cases.update({
            "share by area 1 day": (
                lambda: get(f"/api/v1/energy/share?site_id={w['site']}&by=area"
                            f"&start={day}&end={day}"),
                lambda: raw_per_device(leaves)),
            "share by category 1 day": (
                lambda: get(f"/api/v1/energy/share?site_id={w['site']}&by=category"
                            f"&start={day}&end={day}"),
                lambda: raw_per_device(leaves)),
            "ranking circuits 1 day (top 10 of 1,980)": (
                lambda: get(f"/api/v1/energy/ranking?site_id={w['site']}&by=circuit"
                            f"&start={day}&end={day}"),
                lambda: raw_per_device(leaves)),
            "ranking areas 1 year": (
                lambda: get(f"/api/v1/energy/ranking?site_id={w['site']}&by=area"
                            f"&start={month_lo}&end={day}"), None),
            "compare site month yoy 6 months (with cost)": (
                lambda: get(f"/api/v1/energy/compare?node=site&node_id={w['site']}"
                            f"&interval=month&compare=yoy"
                            f"&start={iso(end - timedelta(days=180))}&end={iso(end)}"), None),
        })
        out["p95_ms"] = {}
        for name, (rolled, raw) in cases.items():
            fresh()
            p95, med = _timed(rolled, args.reps)
            r = {"rollups": round(p95, 2), "rollups_median": round(med, 2)}
            if raw is not None:
                p95, med = _timed(raw, max(5, args.reps // 3))
                r.update(raw_baseline=round(p95, 2), raw_median=round(med, 2),
                         ratio_raw_over_rollups=round(p95 / r["rollups"], 2))
            db.session.remove()
            out["p95_ms"][name] = r
            print(json.dumps({name: r}, ensure_ascii=False), file=sys.stderr, flush=True)

        # Time-of-use cost of share and ranking: the API (cost always, the period rollups)
        # against the slot-by-slot pricing of the same devices and days (cost=true before:
        # the query alone, the kWh answer's time not added), their totals checked equal.
        from backend.energy import pricing
        sh = ZoneInfo("Asia/Shanghai")
        month_end = day
        from datetime import date
        month_start = max(date.fromisoformat(out["periods"]["first_slot_day"]),
                          day - timedelta(days=29))
        versions = pricing.Versions(w["site"])

        from backend.energy.nodes import Tree
        tree = Tree.of(w["site"])
        by = {"area": sorted({d for a in db.session.execute(text(
            "SELECT id FROM areas WHERE site_id = :s AND parent_id IS NULL"),
            {"s": w["site"]}).scalars() for d in tree.area_devices(a)}),
            "circuit": sorted(tree.meter[c] for c in tree.consumers())}

        def slot_cost(lo, hi, ids):
            return pricing.priced(w["site"], "Asia/Shanghai", ids,
                                  datetime.combine(lo, datetime.min.time(), sh),
                                  datetime.combine(hi + timedelta(days=1), datetime.min.time(),
                                                   sh), "device", versions)
        out["cost_p95_ms"] = {}
        for name, url, lo, hi, kind in (
                ("share by area 1 day", f"/api/v1/energy/share?site_id={w['site']}&by=area"
                 f"&start={day}&end={day}", day, day, "area"),
                ("ranking circuits 1 day", f"/api/v1/energy/ranking?site_id={w['site']}"
                 f"&by=circuit&start={day}&end={day}", day, day, "circuit"),
                ("share by area 30 days", f"/api/v1/energy/share?site_id={w['site']}&by=area"
                 f"&start={month_start}&end={month_end}", month_start, month_end, "area"),
                ("ranking circuits 30 days", f"/api/v1/energy/ranking?site_id={w['site']}"
                 f"&by=circuit&start={month_start}&end={month_end}", month_start, month_end,
                 "circuit")):
            if lo < day and args.cost_days < 30:
                continue    # fewer days of slots than the span: no slot-pricing reference
            fresh()
            api_total = get(url)["total_cost"]
            ref_total = sum(v["cost"] for v in slot_cost(lo, hi, by[kind]).values())
            assert abs(api_total - ref_total) <= 1e-6 * max(1.0, abs(ref_total)), \
                (name, api_total, ref_total)
            p95, med = _timed(lambda u=url: get(u), args.reps)
            s95, smed = _timed(lambda a=lo, b=hi, k=kind: slot_cost(a, b, by[k]),
                               max(3, args.reps // 10))
            db.session.remove()
            out["cost_p95_ms"][name] = {
                "api_with_cost": round(p95, 2), "api_median": round(med, 2),
                "slot_pricing": round(s95, 2), "slot_median": round(smed, 2),
                "ratio": round(s95 / p95, 1), "total_cost": round(api_total, 2)}

        # The supply tree cached per site (invalidated by the facility stamp) against
        # rebuilt on every request (slice A), same run.
        from backend.energy import nodes
        out["tree_cache_p95_ms"] = {}
        for name in ("trend site hour 1 day", "ranking circuits 1 day (top 10 of 1,980)"):
            fresh()
            rolled = cases[name][0]
            nodes.CACHE_ENABLED = False
            off = _timed(rolled, args.reps)[0]
            nodes.CACHE_ENABLED = True
            on = _timed(rolled, args.reps)[0]
            db.session.remove()
            out["tree_cache_p95_ms"][name] = {"rebuilt": round(off, 2), "cached": round(on, 2),
                                              "ratio": round(off / on, 2)}

        # Monthly reports: each of the year's 12 months, XLSX, for the site (the job's
        # code), against the trend API call that gives its totals (same run).
        from backend.accounts.security import Actor
        from backend.energy import reports
        this = datetime.now(ZoneInfo("Asia/Shanghai")).date().replace(day=1)
        months, m = [], this
        for _ in range(12):
            m = (m - timedelta(days=1)).replace(day=1)
            months.append(m)
        times = []
        for m in months:
            t = time.perf_counter()
            reports.generate(Actor.system(), {"site_id": w["site"], "kind": "monthly",
                                              "month": m, "format": "xlsx"})
            db.session.commit()
            times.append(time.perf_counter() - t)
        db.session.remove()
        out["monthly_report_s"] = {"year_of_12": round(sum(times), 2),
                                   "max": round(max(times), 3),
                                   "median": round(statistics.median(times), 3)}

        # One poll cycle: a new minute for every breaker through ingest (which marks them),
        # then the rollup job's run for it; against the cycle's ingest.
        cycles = []
        values = {d: db.session.execute(text(
            "SELECT value FROM readings WHERE device_id = :d AND metric_id = 16 "
            "ORDER BY ts DESC LIMIT 1"), {"d": d}).scalar() for d in devices}
        for k in range(1, 4):
            ts = end + timedelta(minutes=k)
            batch = []
            for d in devices:
                values[d] += 0.02
                batch.append((d, ts, {"energy_import": values[d]}))
            t = time.perf_counter()
            ingest.ingest(batch)
            ingest_s = time.perf_counter() - t
            db.session.remove()
            t = time.perf_counter()
            result = rollup.run()
            run_s = time.perf_counter() - t
            cycles.append({"ingest_s": round(ingest_s, 3), "rollup_s": round(run_s, 3),
                           "devices": result["devices"]})
        out["poll_cycle"] = cycles
        out["rollup_over_ingest"] = round(statistics.median(
            c["rollup_s"] / c["ingest_s"] for c in cycles), 1)
        out["rollup_ms_per_device_cycle"] = round(statistics.median(
            c["rollup_s"] for c in cycles) / len(devices) * 1000, 2)
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
