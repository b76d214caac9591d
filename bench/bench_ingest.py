"""Telemetry ingest and latest-values API, each against a baseline in the same run.

    python bench/bench_ingest.py [--devices 2000] [--rounds 5] [--requests 100]

Uses DATABASE_URL / REDIS_URL when set (it creates one site ``BENCH-xxxx`` there and
deletes it, its readings and its Redis keys at the end); otherwise starts embedded
PostgreSQL and Redis in a temporary directory. Prints a markdown table.

1. Rows/s into PostgreSQL, one poll cycle of the fleet per batch (devices x 25 metrics):
   our COPY path (staging table + INSERT ... ON CONFLICT DO NOTHING), vs psycopg2
   ``executemany`` INSERT of the same rows, vs ``execute_values`` (multi-row INSERT);
   plus the whole ``ingest()`` (quality checks, COPY, Redis latest, events).
2. ``GET /api/v1/sites/<id>/latest?page_size=<devices>`` p50/p95 over HTTP (test client:
   JWT, user lookup, SQL, MGET), vs the naive per-device loop (one SQL status query and
   one HGETALL per device, then JSON), vs the hash layout read with one pipeline.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import servers  # noqa: E402  (bench/ is on sys.path when run as a script)

METRICS = ("voltage_a", "voltage_b", "voltage_c", "current_a", "current_b", "current_c",
           "current_n", "active_power", "active_power_a", "active_power_b", "active_power_c",
           "reactive_power", "apparent_power", "power_factor", "frequency", "energy_import",
           "energy_export", "reactive_energy", "temperature", "leakage_current",
           "switch_state", "mode", "trip_cause", "temperature_a", "temperature_n")


def fleet(n: int):
    from backend.extensions import db
    from backend.models import Board, Circuit, Device, Role, Site
    from tests.factories import auth, make_user

    site = Site(code=f"BENCH-{secrets.token_hex(3)}", name="bench")
    db.session.add(site)
    db.session.flush()
    board = Board(site_id=site.id, code="AA1", name="b", level=1)
    db.session.add(board)
    db.session.flush()
    circuit = Circuit(site_id=site.id, code="C1", name="c", board_id=board.id)
    db.session.add(circuit)
    db.session.flush()
    devices = [Device(site_id=site.id, code=f"QF{i:05d}", name=f"断路器{i}", kind="breaker",
                      circuit_id=circuit.id) for i in range(n)]
    db.session.add_all(devices)
    db.session.commit()
    user = make_user(f"bench-{site.code}", Role.staff, [site])
    return site, [d.id for d in devices], auth(user), user


def cycle(ids, ts):
    """One poll cycle of the fleet: plausible values for every metric."""
    out = []
    for k, d in enumerate(ids):
        v = {m: 230.0 + (k % 10) * 0.1 for m in METRICS}
        v.update(power_factor=0.95, frequency=50.0, switch_state="closed", mode="auto",
                 trip_cause="none", energy_import=1000.0 + ts.timestamp() / 3600,
                 energy_export=0.0, reactive_energy=10.0, temperature=35.0,
                 temperature_a=36.0, temperature_n=30.0, leakage_current=3.0)
        out.append((d, ts, v))
    return out


def copy_lines(batch):
    from backend.models.telemetry import METRICS as DEFS
    from backend.telemetry.ingest import normalize

    lines, rows = [], []
    for d, ts, values in batch:
        t = ts.isoformat()
        for name, raw in values.items():
            value, q = normalize(DEFS[name], raw)
            lines.append(f"{t}\t{value!r}\t{d}\t{DEFS[name].id}\t{q}\n")
            rows.append((ts, value, d, DEFS[name].id, q))
    return lines, rows


def bench_ingest(engine, ids, rounds, t0):
    from psycopg2.extras import execute_values

    from backend.telemetry.ingest import _copy, ingest
    from backend.telemetry.partitions import ensure_partitions

    sql = ("INSERT INTO readings (ts, value, device_id, metric_id, quality) VALUES "
           "(%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING")
    ensure_partitions(engine, [t0, t0 + timedelta(days=1)])
    res = {"copy": [], "executemany": [], "execute_values": [], "ingest": []}
    step = iter(range(10_000))

    def timed(kind, fn, n):
        t = time.perf_counter()
        fn()
        res[kind].append(n / (time.perf_counter() - t))

    for _ in range(rounds):
        lines, _rows = copy_lines(cycle(ids, t0 + timedelta(seconds=next(step))))
        timed("copy", lambda lines=lines: _copy(engine, lines, []), len(lines))
        batch = cycle(ids, t0 + timedelta(seconds=next(step)))
        timed("ingest", lambda batch=batch: ingest(batch), len(batch) * len(METRICS))
    values_sql = sql.replace("(%s, %s, %s, %s, %s)", "%s")
    for kind in ("executemany", "execute_values"):
        _lines, rows = copy_lines(cycle(ids, t0 + timedelta(seconds=next(step))))
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()

            def insert(kind=kind, cur=cur, rows=rows, raw=raw):
                if kind == "executemany":
                    cur.executemany(sql, rows)
                else:
                    execute_values(cur, values_sql, rows, page_size=1000)
                raw.commit()
            timed(kind, insert, len(rows))
        finally:
            raw.close()
    return {k: statistics.median(v) for k, v in res.items()}


def pct(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))] * 1000


def bench_latest(app, site, ids, header, n_requests):
    from flask import json as fjson

    from backend.extensions import db, redis
    from backend.models import DeviceStatus
    from backend.telemetry.latest import latest_key

    client = app.test_client()
    url = f"/api/v1/sites/{site.id}/latest?page_size={len(ids)}"
    r = client.get(url, headers=header)
    assert r.status_code == 200 and len(r.json) == len(ids), r.status_code
    ours = []
    for _ in range(n_requests):
        t = time.perf_counter()
        r = client.get(url, headers=header)
        r.get_data()
        ours.append(time.perf_counter() - t)
    # Baselines: the same values kept as one Redis hash per device (metric -> JSON).
    pipe = redis.pipeline(transaction=False)
    for d, doc in zip(ids, redis.mget([latest_key(d) for d in ids])):
        pipe.hset(f"gw:bench:hash:{d}", mapping={k: json.dumps(v)
                                                 for k, v in json.loads(doc).items()})
    pipe.execute()

    def naive():
        items = []
        for d in ids:
            st = db.session.get(DeviceStatus, d)
            values = {k: json.loads(v) for k, v in redis.hgetall(f"gw:bench:hash:{d}").items()}
            items.append({"device_id": d, "online": st.online if st else None,
                          "values": values})
        db.session.expunge_all()
        return fjson.dumps(items)

    def hash_pipelined():
        rows = {s.device_id: s for s in db.session.query(DeviceStatus).filter(
            DeviceStatus.device_id.in_(ids))}
        pipe = redis.pipeline(transaction=False)
        for d in ids:
            pipe.hgetall(f"gw:bench:hash:{d}")
        items = [{"device_id": d, "online": rows[d].online if d in rows else None,
                  "values": {k: json.loads(v) for k, v in h.items()}}
                 for d, h in zip(ids, pipe.execute())]
        return fjson.dumps(items)

    out = {"ours": ours}
    for name, fn, n in (("naive", naive, max(n_requests // 5, 5)),
                        ("hash_pipelined", hash_pipelined, max(n_requests // 2, 10))):
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t)
        out[name] = samples
    redis.delete(*[f"gw:bench:hash:{d}" for d in ids])
    return {k: (pct(v, 50), pct(v, 95), len(v)) for k, v in out.items()}


def cleanup_fleet(app, site, ids, user):
    from sqlalchemy import text

    from backend.extensions import db, redis
    from backend.live.keys import site_stream
    from backend.telemetry.latest import latest_key

    db.session.rollback()
    db.session.execute(text("DELETE FROM readings WHERE device_id = ANY(:ids)"), {"ids": ids})
    for table in ("device_status", "devices", "circuits", "boards"):
        db.session.execute(text(f"DELETE FROM {table} WHERE "
                                + ("device_id IN (SELECT id FROM devices WHERE site_id = :s)"
                                   if table == "device_status" else "site_id = :s")),
                           {"s": site.id})
    db.session.execute(text("DELETE FROM user_sites WHERE site_id = :s"), {"s": site.id})
    db.session.execute(text("DELETE FROM users WHERE id = :u"), {"u": user.id})
    db.session.execute(text("DELETE FROM sites WHERE id = :s"), {"s": site.id})
    db.session.commit()
    redis.delete(*[latest_key(d) for d in ids], site_stream(site.id))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--devices", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--requests", type=int, default=100)
    args = p.parse_args(argv)
    os.environ.setdefault("GW_LOG_LEVEL", "WARNING")
    db_url, redis_url, stop = servers("gw-bench-")
    try:
        from backend import create_app
        from backend.config import Settings
        from backend.extensions import db
        from backend.migrate import upgrade_head
        from backend.telemetry.ingest import ingest

        upgrade_head(db_url)
        app = create_app(Settings.from_env().with_overrides(database_url=db_url,
                                                            redis_url=redis_url))
        with app.app_context():
            site, ids, header, user = fleet(args.devices)
            try:
                t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
                # Latest values first (one cycle ingested to fill them): measured after the
                # ingest runs, it would also measure PostgreSQL's checkpoint/autovacuum work.
                ingest(cycle(ids, t0 - timedelta(minutes=1)))
                lat = bench_latest(app, site, ids, header, args.requests)
                ing = bench_ingest(db.engine, ids, args.rounds, t0)
            finally:
                cleanup_fleet(app, site, ids, user)
        report(args, ing, lat)
    finally:
        stop()
    return 0


def report(args, ing, lat) -> None:
    rows = args.devices * len(METRICS)
    print(f"\n### Telemetry ingest and latest values ({args.devices} devices x "
          f"{len(METRICS)} metrics = {rows:,} rows per batch; {os.cpu_count()} CPUs)\n")
    print("| measurement | result | baseline | speed-up | target |")
    print("|---|---|---|---|---|")
    print(f"| rows/s into PostgreSQL: COPY path vs executemany INSERT | {ing['copy']:,.0f} "
          f"| {ing['executemany']:,.0f} | {ing['copy'] / ing['executemany']:.1f}x "
          "| >= 50,000 |")
    print(f"| rows/s into PostgreSQL: COPY path vs execute_values INSERT | {ing['copy']:,.0f} "
          f"| {ing['execute_values']:,.0f} | {ing['copy'] / ing['execute_values']:.1f}x | |")
    print(f"| rows/s through the whole `ingest()` (checks, COPY, Redis, events) "
          f"| {ing['ingest']:,.0f} | | | |")
    for name, label in (("naive", "per-device SQL + HGETALL loop"),
                        ("hash_pipelined", "hash per device, one pipeline")):
        o, b = lat["ours"], lat[name]
        print(f"| `GET /sites/<id>/latest` ({args.devices} devices) p50 / p95 ms vs {label} "
              f"| {o[0]:.1f} / {o[1]:.1f} | {b[0]:.1f} / {b[1]:.1f} | {b[1] / o[1]:.1f}x (p95) "
              "| p95 < 50 ms |")
    print(f"\nmedian of {args.rounds} batches for COPY and ingest(), one batch per INSERT "
          f"baseline; {lat['ours'][2]} API requests (over HTTP via the Flask test client, "
          "JWT and user lookup included); baselines timed as functions (no HTTP).")


if __name__ == "__main__":
    raise SystemExit(main())
