"""Power quality (issue 13): a site's quality report over a month, against the naive
computation from raw readings, one monitoring point at a time (same run).

The fleet: one site with ``--points`` three-phase breakers (monitoring points). Raw data:
``--days`` days of readings per point at ``--step-min`` resolution (default 10 minutes,
the indices' interval, so each interval holds one sample) of voltage_a/b/c and frequency
(COPY into ``readings``); every point gets one sag of one sample, so the events path
runs. Currents and powers are left out to keep generation within minutes: the report
reads them too when present, so a real month costs more than this (docs/benchmarks.md).

The raw readings are rolled into ``quality_intervals`` and ``quality_days`` by the job's
own code (``rollup.roll_all``, timed). Timed, with a fresh session each call:
- the site report: ``operations.site_quality`` (what GET /sites/{id}/quality calls) over
  the period: the rollup with the indices' statistics in SQL, events, pooled, diagnosis;
- the naive baseline: the same analysis from raw readings point by point
  (``analyse_raw`` of one point: its own queries, the indices in Python), on
  ``--naive-points`` of the points (default 50) and extrapolated to all (it is linear in
  points: ~0.24 s a point), pooled the same way. Its pooled indices are checked equal to
  the rolled report's for the same points.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/bench_quality.py [--points 2000]

The database and Redis given are EMPTIED. ``--reuse`` times the report again on what an
earlier run left (the same points, days and period; nothing generated or rolled): how
two commits are compared on the same data, one run after the other.
"""
from __future__ import annotations

import argparse
import io
import json
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
        data_dir=Path(os.environ.get("TMPDIR", "/tmp")) / f"gw-bench-quality-{os.getpid()}")
    return create_app(settings)


def _fleet(points: int) -> tuple[int, list[int]]:
    from backend.extensions import db
    from backend.models import Board, Circuit, Device, Site

    site = Site(code="QBENCH", name="电能质量基准")
    db.session.add(site)
    db.session.flush()
    board = Board(site_id=site.id, code="AA1", name="总柜", level=1)
    db.session.add(board)
    db.session.flush()
    ids = []
    for k in range(points):
        c = Circuit(site_id=site.id, code=f"C{k}", name=f"回路{k}", board_id=board.id)
        db.session.add(c)
        db.session.flush()
        d = Device(site_id=site.id, code=f"Q{k:04d}", name=f"断路器{k}", kind="breaker",
                   profile="gw-breaker", circuit_id=c.id, poles="3P", rated_current=63.0)
        db.session.add(d)
        db.session.flush()
        ids.append(d.id)
    db.session.commit()
    return site.id, ids


def _readings(engine, devices: list[int], start: datetime, days: int, step_min: int) -> int:
    from backend.models.telemetry import METRICS
    from backend.telemetry.partitions import ensure_partitions

    mids = {n: METRICS[n].id for n in ("voltage_a", "voltage_b", "voltage_c", "frequency")}
    steps = days * 1440 // step_min
    ensure_partitions(engine, {start + timedelta(days=d) for d in range(days + 1)})
    stamps = [(start + timedelta(minutes=m * step_min)).isoformat() for m in range(steps)]
    raw = engine.raw_connection()
    n = 0
    try:
        cur = raw.cursor()
        for i, d in enumerate(devices):
            buf = io.StringIO()
            sag = (i * 37) % steps
            for m, ts in enumerate(stamps):
                base = 221.0 + (i % 7) * 0.5 + ((m % 144) - 72) * 0.03
                if m == sag:
                    base = 150.0
                buf.write(f"{ts}\t{base:.2f}\t{d}\t{mids['voltage_a']}\t0\n"
                          f"{ts}\t{base + 0.8:.2f}\t{d}\t{mids['voltage_b']}\t0\n"
                          f"{ts}\t{base - 0.6:.2f}\t{d}\t{mids['voltage_c']}\t0\n"
                          f"{ts}\t{50.0 + (m % 5 - 2) * 0.01:.3f}\t{d}\t{mids['frequency']}\t0\n")
            buf.seek(0)
            cur.copy_expert("COPY readings (ts, value, device_id, metric_id, quality) "
                            "FROM STDIN", buf)
            n += 4 * steps
            if i % 100 == 99:
                raw.commit()
        raw.commit()
    finally:
        raw.close()
    return n


def _existing(days: int) -> tuple[int, list[int], datetime, datetime]:
    """An earlier run's site, points and period (its first interval starts the period)."""
    from sqlalchemy import text

    from backend.extensions import db

    site_id = db.session.execute(text("SELECT id FROM sites WHERE code = 'QBENCH'")).scalar()
    if site_id is None:
        sys.exit("--reuse: no earlier run's data in this database")
    devices = list(db.session.scalars(text(
        "SELECT id FROM devices WHERE site_id = :s ORDER BY code"), {"s": site_id}))
    start = db.session.execute(text("SELECT min(ts) FROM quality_intervals "
                                    "WHERE device_id = :d"), {"d": devices[0]}).scalar()
    return site_id, devices, start, start + timedelta(days=days)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=2000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--step-min", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--naive-points", type=int, default=50)
    ap.add_argument("--naive-reps", type=int, default=1)
    ap.add_argument("--reuse", action="store_true",
                    help="time the report on an earlier run's data (nothing generated)")
    args = ap.parse_args()
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        sys.exit("set DATABASE_URL and REDIS_URL (scratch: they are emptied)")

    from sqlalchemy import text

    from backend.accounts.security import Actor
    from backend.extensions import db, redis
    from backend.migrate import upgrade_head
    from backend.quality import operations, report, rollup
    from tests.conftest import TABLES

    upgrade_head(os.environ["DATABASE_URL"])
    app = _app()
    out: dict = {"machine": f"{platform.node()} {platform.processor() or platform.machine()} "
                            f"{os.cpu_count()} CPUs", "date": datetime.now(UTC).isoformat(),
                 "points": args.points, "days": args.days, "step_min": args.step_min,
                 "metrics": ["voltage_a", "voltage_b", "voltage_c", "frequency"]}
    with app.app_context():
        if args.reuse:
            site_id, devices, start, end = _existing(args.days)
            out["points"] = len(devices)
        else:
            db.session.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
            db.session.commit()
            redis.flushdb()
            site_id, devices = _fleet(args.points)
            end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
            start = end - timedelta(days=args.days)
            t = time.perf_counter()
            out["raw_readings"] = _readings(db.engine, devices, start, args.days, args.step_min)
            out["raw_copy_s"] = round(time.perf_counter() - t, 1)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE readings"))
            t = time.perf_counter()
            out["rolled_intervals"] = rollup.roll_all(devices)
            out["full_roll_s"] = round(time.perf_counter() - t, 1)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE quality_intervals"))
        db.session.remove()
        actor = Actor.system("bench")
        q = {"start": start, "end": end}

        cpu = {"python": [], "postgres": []}

        def backend_cpu(pid) -> float | None:
            """The PostgreSQL backend's CPU seconds (utime + stime), when it runs on this
            machine (readable /proc): on a shared, loaded machine a figure the load
            inflates less than the wall time."""
            try:
                f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

        def site_report():
            pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
            c0, p0 = backend_cpu(pid), time.process_time()
            r = operations.site_quality(actor, site_id, q)
            c1, p1 = backend_cpu(pid), time.process_time()
            cpu["python"].append(p1 - p0)
            if c0 is not None and c1 is not None:
                cpu["postgres"].append(c1 - c0)
            db.session.remove()
            return r

        def naive():
            # the same analysis from raw readings, one point (its own queries) at a time
            points = operations.site_points(site_id)[:args.naive_points]
            reps = [operations.analyse_raw([d], start, end)[d.id] for d in points]
            pooled = report.pooled(reps)
            db.session.remove()
            return pooled, sum(len(r["events"]) for r in reps)

        def timed(fn, reps):
            times = []
            for _ in range(reps):
                t = time.perf_counter()
                res = fn()
                times.append(time.perf_counter() - t)
            return res, times

        rep, site_t = timed(site_report, args.reps)
        (pooled, n_events), naive_t = timed(naive, args.naive_reps)
        subset = operations.site_points(site_id)[:args.naive_points]
        same = report.pooled(list(operations.analyse(subset, start, end).values()))
        assert operations.jsonable(same) == operations.jsonable(pooled), "rolled != raw"
        db.session.remove()
        per_point = statistics.median(naive_t) / len(subset)
        out["report"] = {"intervals": rep["indices"]["voltage_deviation"]["intervals"],
                         "events": len(rep["events"]), "points": len(rep["points"])}
        out["site_report_s"] = {"median": round(statistics.median(site_t), 3),
                                "max": round(max(site_t), 3),
                                "all": [round(x, 3) for x in site_t]}
        out["site_report_cpu_s"] = {k: round(statistics.median(v), 3) if v else None
                                    for k, v in cpu.items()}
        out["naive"] = {"points": len(subset), "events": n_events,
                        "s": round(statistics.median(naive_t), 2),
                        "per_point_s": round(per_point, 4),
                        "extrapolated_all_points_s": round(per_point * args.points, 1)}
        out["ratio_naive_over_report"] = round(per_point * args.points
                                               / statistics.median(site_t), 1)
        out["rolled_equals_raw_on_subset"] = True
        # how many points the report took from their day partials (rollup.point_stats;
        # the others from their intervals: no days, or a day holding too many top values)
        if hasattr(rollup, "roll_days"):
            specs = {d.id: operations.spec_for(d) for d in operations.site_points(site_id)}
            st = rollup.point_stats(specs, start, end)
            out["points_from_days"] = sum(1 for r in st.values() if r.get("days_used"))
            db.session.remove()
        out["target_2s_met"] = statistics.median(site_t) < 2.0
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
