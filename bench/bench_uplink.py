"""The site box's outbox cost on the ingest path (docs/sitelink.md), against standalone in
the same run.

    python bench/bench_uplink.py [--devices 2000] [--rounds 5]

One poll cycle of the fleet per batch (devices x 25 metrics, bench_ingest.py's fleet):
``ingest()`` with ``role=standalone`` (nothing queued) and with ``role=site`` (the batch's
outbox row, device codes and raw values as JSON, written on the COPY's connection), rounds
interleaved. Also the outbox row's size per cycle and the shipper's side: numbering the
rows and reading a batch. Uses DATABASE_URL / REDIS_URL when set (one ``BENCH-xxxx`` site,
removed at the end, with its outbox rows); otherwise embedded servers.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import METRICS, cleanup_fleet, cycle, fleet  # noqa: E402
from benchlib import servers  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--devices", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    os.environ.setdefault("GW_LOG_LEVEL", "WARNING")
    db_url, redis_url, stop = servers("gw-bench-")
    try:
        from sqlalchemy import text

        from backend import create_app
        from backend.config import Settings
        from backend.extensions import db
        from backend.migrate import upgrade_head
        from backend.sitelink import outbox
        from backend.telemetry.ingest import ingest

        upgrade_head(db_url)
        base = Settings.from_env().with_overrides(database_url=db_url, redis_url=redis_url)
        app = create_app(base)
        with app.app_context():
            site, ids, _header, user = fleet(args.devices)
        t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)
        times = {"standalone": [], "site": []}
        try:
            with app.app_context():
                ingest(cycle(ids, t0 - timedelta(minutes=1)))      # warm: partitions, docs
                first = db.session.scalar(text("SELECT coalesce(max(id), 0) FROM uplink_outbox"))
                db.session.commit()
            for r in range(args.rounds):
                for j, role in enumerate(("standalone", "site")):
                    app.config["GW_ROLE"] = role
                    batch = cycle(ids, t0 + timedelta(seconds=10 * (2 * r + j)))
                    with app.app_context():
                        start = time.perf_counter()
                        ingest(batch)
                        times[role].append(time.perf_counter() - start)
            with app.app_context():
                size = db.session.scalar(text(
                    "SELECT avg(octet_length(payload::text)) FROM uplink_outbox WHERE id > :f"),
                    {"f": first})
                start = time.perf_counter()
                outbox.number()
                numbered = time.perf_counter() - start
                last = db.session.scalar(text("SELECT last_seq FROM uplink_state"))
                db.session.commit()
                start = time.perf_counter()
                batch = outbox.next_batch_json(last - args.rounds)
                read = time.perf_counter() - start
        finally:
            app.config.pop("GW_ROLE", None)
            with app.app_context():
                db.session.execute(text("DELETE FROM uplink_outbox WHERE id > :f"), {"f": first})
                db.session.commit()
                cleanup_fleet(app, site, ids, user)
        rows = args.devices * len(METRICS)
        a, b = statistics.median(times["standalone"]), statistics.median(times["site"])
        print(f"| {args.devices} devices x {len(METRICS)} metrics = {rows} values a cycle, "
              f"{args.rounds} rounds | median |")
        print("|---|---|")
        print(f"| ingest, standalone | {a * 1000:.0f} ms (1.00) |")
        print(f"| ingest, site (outbox row in the same commit) | {b * 1000:.0f} ms "
              f"({b / a:.2f}) |")
        print(f"| outbox row per cycle | {float(size) / 1e6:.2f} MB |")
        print(f"| number {args.rounds} rows / read a batch of {batch[1] - batch[0] + 1} | "
              f"{numbered * 1000:.0f} ms / {read * 1000:.0f} ms |")
    finally:
        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
