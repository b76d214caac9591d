"""Large facility imports, each against a baseline in the same run.

    python bench/bench_import.py [--csv-rows 50000] [--yaml-devices 20000] [--root PATH]

Uses DATABASE_URL / REDIS_URL when set (it creates sites ``BI-xxxx`` there and deletes
them, their records and their audit rows at the end); otherwise starts embedded PostgreSQL
and Redis in a temporary directory. Each case runs in a fresh process with the code under
``--root`` (default: this checkout; another checkout gives the "before" figures), timing
the service call plus its commit, and reporting the process's peak RSS. Prints a markdown
table.

Cases (bench/import_data.py makes the files):
1. ``devices.csv`` of N rows into a site that has its circuits and gateways: new devices,
   the same file again (unchanged), every name changed (updated).
2. A site description (YAML) of M devices with its areas ... circuits: dry run, real.

Baseline: the same rows put into the same tables by a plain SQLAlchemy Core executemany
INSERT (one statement per 1,000 rows, no validation, no audit) on the same database, in
the same process; the ratio is import time / baseline time.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from benchlib import servers  # noqa: E402  (bench/ is on sys.path when run as a script)

FACILITY_TABLES = ("devices", "circuits", "boards", "gateways", "distribution_rooms", "areas")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _app():
    from backend import create_app
    from backend.config import Settings

    settings = Settings.from_env().with_overrides(
        env="test", secret_key="bench-" + "x" * 32, jwt_secret_key="bench-" + "y" * 32,
        data_dir=Path(os.environ.get("TMPDIR", "/tmp")) / f"gw-bench-import-{os.getpid()}")
    return create_app(settings)


def _baseline(text_yaml: str, csv_text: str | None, code: str) -> float:
    """Seconds to executemany-INSERT the file's rows into their tables (no checks); with
    ``csv_text``, only its devices are timed (the rest is the site they go into)."""
    import csv
    import io

    import yaml
    from sqlalchemy import insert

    from backend.extensions import db
    from backend.models import Area, Board, Circuit, Device, DistributionRoom, Gateway, Site

    doc = yaml.load(text_yaml, Loader=yaml.CSafeLoader)
    site = Site(code=code, name="baseline")
    db.session.add(site)
    db.session.commit()
    models = {"areas": Area, "rooms": DistributionRoom, "gateways": Gateway, "boards": Board,
              "circuits": Circuit, "devices": Device}
    refs = {"area": "area_id", "room": "room_id", "board": "board_id", "circuit": "circuit_id",
            "gateway": "gateway_id"}
    if csv_text is not None:
        doc["devices"] = [{k: v for k, v in row.items() if v != ""}
                          for row in csv.DictReader(io.StringIO(csv_text))]
    # ids of the references: the rows go in section by section, parents first
    ids: dict[str, dict[str, int]] = {}
    target = {"area": "areas", "room": "rooms", "board": "boards", "circuit": "circuits",
              "gateway": "gateways"}
    seconds = 0.0
    for name, model in models.items():
        rows = []
        for rec in doc.get(name) or []:
            row = {"site_id": site.id}
            for k, v in rec.items():
                if k == "parent":              # a tree's parents: not part of the baseline
                    continue
                row[refs[k] if k in refs else k] = ids[target[k]].get(v) if k in refs else v
            rows.append(row)
        t = time.perf_counter()
        if rows:
            db.session.execute(insert(model), rows)
        db.session.commit()
        if csv_text is None or name == "devices":
            seconds += time.perf_counter() - t
        ids[name] = dict(db.session.execute(
            model.__table__.select().with_only_columns(model.code, model.id)
            .where(model.site_id == site.id)).all())
    return seconds


def child(case: str, n: int, code: str) -> dict:
    """One case in this process (the code on sys.path); prints its figures as JSON."""
    sys.path.insert(0, str(HERE))
    import import_data

    from backend.accounts.security import Actor
    from backend.extensions import db
    from backend.facility import transfer

    app = _app()
    out: dict = {"case": case, "n": n}
    with app.app_context():
        actor = Actor.system("bench")
        if case.startswith("csv"):
            skeleton = import_data.facility_yaml(n, code, with_devices=False)
            site_id = transfer.import_yaml(actor, skeleton)["site_id"]
            db.session.commit()
            body = import_data.devices_csv(n)
            if case != "csv-create":
                transfer.import_devices_csv(actor, site_id, body)
                db.session.commit()
            if case == "csv-update":
                body = import_data.devices_csv(n, rename=True)
            run = lambda: transfer.import_devices_csv(actor, site_id, body)  # noqa: E731
            dry = False
        else:
            body = import_data.facility_yaml(n, code)
            dry = case == "yaml-dry"
            run = lambda: transfer.import_yaml(actor, body, dry_run=dry)  # noqa: E731
        db.session.remove()
        out["rss_before_mb"] = _rss_mb()
        t = time.perf_counter()
        result = run()
        (db.session.rollback if dry else db.session.commit)()
        out["seconds"] = time.perf_counter() - t
        out["rss_peak_mb"] = _rss_mb()
        out["counts"] = {k: sum(v.values()) for k, v in result.items() if isinstance(v, dict)}
        db.session.remove()
        base_code = code + "-B"
        if case.startswith("csv"):
            out["baseline"] = _baseline(import_data.facility_yaml(n, base_code, with_devices=False),
                                        import_data.devices_csv(n), base_code)
        else:
            out["baseline"] = _baseline(body, None, base_code)
    print(json.dumps(out))
    return out


def cleanup(db_url: str, codes: list[str]) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM sites WHERE code = ANY(:c)"),
                                          {"c": codes})]
        if ids:
            conn.execute(text("UPDATE boards SET feeder_circuit_id = NULL "
                              "WHERE site_id = ANY(:s)"), {"s": ids})
            conn.execute(text("UPDATE circuits SET parent_id = NULL WHERE site_id = ANY(:s)"),
                         {"s": ids})
            conn.execute(text("UPDATE areas SET parent_id = NULL WHERE site_id = ANY(:s)"),
                         {"s": ids})
            for table in (*FACILITY_TABLES, "audit_log"):
                conn.execute(text(f"DELETE FROM {table} WHERE site_id = ANY(:s)"), {"s": ids})
            conn.execute(text("DELETE FROM sites WHERE id = ANY(:s)"), {"s": ids})
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--csv-rows", type=int, default=50_000)
    ap.add_argument("--yaml-devices", type=int, default=20_000)
    ap.add_argument("--root", type=Path, default=HERE.parent,
                    help="the checkout whose code is measured (another one: 'before')")
    ap.add_argument("--cases", default="csv-create,csv-unchanged,csv-update,yaml-dry,yaml")
    ap.add_argument("--child", nargs=3, metavar=("CASE", "N", "CODE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        sys.path.insert(0, str(args.root))
        child(args.child[0], int(args.child[1]), args.child[2])
        return
    db_url, redis_url, stop = servers()
    from backend.migrate import upgrade_head

    upgrade_head(db_url)
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url,
           "PYTHONPATH": str(args.root), "GW_IMPORT_MAX_RECORDS": str(10 ** 9),
           "GW_IMPORT_MAX_SECONDS": "3600"}
    rows, codes = [], []
    try:
        for case in args.cases.split(","):
            n = args.csv_rows if case.startswith("csv") else args.yaml_devices
            code = f"BI-{secrets.token_hex(3)}"
            codes += [code, code + "-B"]
            proc = subprocess.run([sys.executable, __file__, "--root", str(args.root),
                                   "--child", case, str(n), code], env=env, cwd=args.root,
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                sys.exit(f"{case} failed:\n{proc.stderr[-3000:]}")
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            cleanup(db_url, codes)
    finally:
        cleanup(db_url, codes)
        stop()
    print(f"\ncode: {args.root}\n")
    print("| case | records | import s | baseline INSERT s | ratio | RSS before → peak MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['case']} | {r['n']:,} | {r['seconds']:.2f} | {r['baseline']:.2f} | "
              f"{r['seconds'] / r['baseline']:.1f}× | {r['rss_before_mb']:.0f} → "
              f"{r['rss_peak_mb']:.0f} |")


if __name__ == "__main__":
    main()
