"""Power quality's 10-minute rollup (``quality_intervals``) and the report's SQL over it.

The rollup: one row per monitoring point and 10-minute interval, the same values
``store.aggregates`` computes from ``readings`` (voltages and currents as the RMS of
their RMS samples, other metrics as their mean, good readings only), plus the interval's
lowest and highest voltage sample (``v_lo``/``v_hi``: which intervals can hold a sag,
swell or interruption). What to roll comes from ``gw:quality:dirty`` (telemetry ingest
adds each device with the oldest quality reading of every stored batch, late and re-sent
ones included): a device's intervals from its mark's interval on are deleted and
computed again from ``readings``, so running twice, or after a re-sent batch, writes
the same rows.

Reads never wait for the job and never write: for a device still marked (in the dirty
or the work set), the intervals from its mark on are computed from ``readings`` in the
same query, as are the partial intervals at a period's ends. The rollup is a cache of
``readings``; the answer is the same with or without it.

The indices' per-interval values, compliance counts and 95 % values are computed in SQL
(``point_stats``); ``report.point_indices_from_stats`` shapes them as
``report.point_indices`` does from Python rows. GB/T's 95 % value ("drop the largest
5 %, rounded down, take the largest left", ``indices.p95``) is ``percentile_disc(0.95)``:
position ceil(0.95 n) of n ascending = n - floor(0.05 n); the lower-side value
(``indices.p95_low``) is the same of the negated values.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from backend.extensions import db, redis
from backend.models.telemetry import METRICS
from backend.quality import standards as std
from backend.quality.report import PointSpec, harmonic_limit
from backend.telemetry.ingest import QUALITY_DIRTY_KEY, QUALITY_METRICS

log = logging.getLogger(__name__)

WORK_KEY = QUALITY_DIRTY_KEY + ":work"
LOCK_KEY = "gw:quality:lock"
STEP = timedelta(seconds=std.INTERVAL_S)
ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)      # store.ORIGIN: the same bins
BATCH = 200
# a column per quality metric (the migration's); one not in the registry (the phase
# angles today) stays NULL
COLUMNS = (*QUALITY_METRICS, "v_lo", "v_hi")
_IDS = {n: METRICS[n].id for n in QUALITY_METRICS if n in METRICS}
_VOLT = tuple(_IDS[n] for n in ("voltage_a", "voltage_b", "voltage_c"))
_RMS = tuple(i for n, i in _IDS.items() if n.startswith(("voltage_", "current_"))
             and METRICS[n].kind == "analog" and "angle" not in n)   # angles: the mean
_TAKE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('ZUNIONSTORE', KEYS[2], 2, KEYS[2], KEYS[1], 'AGGREGATE', 'MIN')
  redis.call('DEL', KEYS[1])
end
return redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
"""


def _in(ids) -> str:
    return "(" + ", ".join(str(int(i)) for i in ids) + ")"


def _pivot(where: str) -> str:
    """The intervals of ``readings`` rows matching ``where`` (alias r, joined to ``m``),
    one row per device and interval with a column per metric."""
    cols = ", ".join(f"max(v) FILTER (WHERE metric_id = {_IDS[n]}) AS {n}" if n in _IDS
                     else f"NULL::float8 AS {n}" for n in QUALITY_METRICS)
    return (
        f"SELECT device_id, b AS ts, max(cnt)::int AS n, {cols}, "
        f"min(lo) FILTER (WHERE metric_id IN {_in(_VOLT)}) AS v_lo, "
        f"max(hi) FILTER (WHERE metric_id IN {_in(_VOLT)}) AS v_hi FROM ("
        " SELECT r.device_id, date_bin(:step, r.ts, :origin) AS b, r.metric_id,"
        f" CASE WHEN r.metric_id IN {_in(_RMS)} THEN sqrt(avg(r.value * r.value))"
        " ELSE avg(r.value) END AS v, count(*) AS cnt, min(r.value) AS lo, max(r.value) AS hi"
        f" FROM m JOIN readings r ON r.device_id = m.d WHERE {where}"
        f" AND r.metric_id IN {_in(_IDS.values())} AND r.quality = 0 GROUP BY 1, 2, 3) a"
        " GROUP BY 1, 2")


# --- the rollup --------------------------------------------------------------------------
def roll(marks: dict[int, datetime | None]) -> int:
    """Re-roll each device from its mark's interval (None: its whole history); returns
    the intervals written. The caller commits."""
    if not marks:
        return 0
    ids = list(marks)
    since = [m if m is not None else ORIGIN for m in marks.values()]
    p = {"ids": ids, "since": since, "step": STEP, "origin": ORIGIN}
    m = "WITH m AS (SELECT d, date_bin(:step, s, :origin) AS s FROM unnest(" \
        "CAST(:ids AS integer[]), CAST(:since AS timestamptz[])) AS u(d, s)) "
    db.session.execute(text(m + "DELETE FROM quality_intervals q USING m "
                                "WHERE q.device_id = m.d AND q.ts >= m.s"), p)
    cols = ", ".join(COLUMNS)
    res = db.session.execute(text(
        m + f"INSERT INTO quality_intervals (device_id, ts, n, {cols}) "
        + _pivot("r.ts >= m.s")), p)
    return res.rowcount or 0


def mark(device_id: int, since: datetime) -> None:
    redis.current().zadd(QUALITY_DIRTY_KEY, {str(device_id): since.timestamp()}, lt=True)


def run() -> dict:
    """The periodic job: every marked device re-rolled from its mark, ``BATCH`` devices a
    commit; marks taken atomically into a work set and removed once committed (a failed
    batch stays there for the next run)."""
    client = redis.current()
    if not client.set(LOCK_KEY, "1", nx=True, ex=600):
        return {"skipped": "another rollup is running"}
    done = intervals = 0
    try:
        raw = client.eval(_TAKE, 2, QUALITY_DIRTY_KEY, WORK_KEY)
        pairs = list(zip(raw[0::2], raw[1::2]))
        for i in range(0, len(pairs), BATCH):
            chunk = {int(d): datetime.fromtimestamp(float(s), UTC) for d, s in pairs[i:i + BATCH]}
            existing = set(db.session.scalars(text(
                "SELECT id FROM devices WHERE id = ANY(:ids)"), {"ids": list(chunk)}))
            intervals += roll({d: s for d, s in chunk.items() if d in existing})
            db.session.commit()
            client.zrem(WORK_KEY, *map(str, chunk))
            done += len(chunk)
    finally:
        client.delete(LOCK_KEY)
    return {"devices": done, "intervals": intervals}


def roll_all(device_ids: list[int]) -> int:
    total = 0
    for i in range(0, len(device_ids), BATCH):
        total += roll({d: None for d in device_ids[i:i + BATCH]})
        db.session.commit()
    return total


def pending(device_ids: list[int]) -> dict[int, datetime]:
    """Device -> its oldest mark not yet rolled and committed (dirty or work set)."""
    if not device_ids:
        return {}
    pipe = redis.current().pipeline(transaction=False)
    keys = [str(d) for d in device_ids]
    pipe.zmscore(QUALITY_DIRTY_KEY, keys)
    pipe.zmscore(WORK_KEY, keys)
    dirty, work = pipe.execute()
    out = {}
    for d, a, b in zip(device_ids, dirty, work):
        scores = [s for s in (a, b) if s is not None]
        if scores:
            out[d] = datetime.fromtimestamp(min(scores), UTC)
    return out


# --- reads -------------------------------------------------------------------------------
def _floor(t: datetime) -> datetime:
    return ORIGIN + STEP * ((t - ORIGIN) // STEP)


def _ceil(t: datetime) -> datetime:
    f = _floor(t)
    return f if f == t else f + STEP


def _intervals_cte(device_ids: list[int], start: datetime, end: datetime,
                   extra: dict[str, list]) -> tuple[str, dict]:
    """``WITH m AS (device, rolled from lo to hi, extra columns), iv AS (the intervals)``:
    rolled intervals in [lo, hi), ``readings`` in [start, lo) and [hi, end)."""
    lo = min(_ceil(start), end)
    full = max(_floor(end), lo)
    marks = pending(device_ids)
    his = [min(max(_floor(marks[d]), lo), full) if d in marks else full for d in device_ids]
    names = ", ".join(["d", "hi", *extra])
    casts = ", ".join([f"CAST(:{k} AS {t}[])" for k, t in
                       (("ids", "integer"), ("his", "timestamptz"))]
                      + [f"CAST(:{k} AS {t}[])" for k, (t, _v) in extra.items()])
    tail = [h for h in his if h < end]
    params = {"ids": device_ids, "his": his, "start": start, "end": end, "lo": lo,
              "hmin": min(tail, default=end), "step": STEP, "origin": ORIGIN,
              **{k: v for k, (_t, v) in extra.items()}}
    cols = ", ".join(("device_id", "ts", "n", *COLUMNS))
    parts = [f"SELECT {cols} FROM m JOIN quality_intervals q ON q.device_id = m.d "
             "AND q.ts >= :lo AND q.ts < m.hi"]
    # readings only where the rollup cannot answer; the constant bounds let PostgreSQL
    # prune partitions and use the index instead of scanning the month
    if start < lo:
        parts.append(_pivot("r.ts >= :start AND r.ts < :lo"))
    if tail:
        parts.append(_pivot("r.ts >= :hmin AND r.ts >= m.hi AND r.ts < :end"))
    sql = (f"WITH m AS (SELECT * FROM unnest({casts}) AS u({names})), iv AS ("
           + " UNION ALL ".join(parts) + ") ")
    return sql, params


def _no_jit() -> None:
    """PostgreSQL's JIT compiles these wide expressions for 10-30 s on this VM (EXPLAIN
    ANALYZE of a 200-point month: 30 s of a 45 s query) to save less than it costs; off
    for the rest of the transaction."""
    db.session.execute(text("SET LOCAL jit = off"))


_P95 = "percentile_disc(0.95) WITHIN GROUP (ORDER BY {x})"
_P95_LOW = "-percentile_disc(0.95) WITHIN GROUP (ORDER BY -({x}))"


def _stats(name: str, x: str, ok: str, low: bool = False) -> str:
    p = (_P95_LOW if low else _P95).format(x=x)
    return (f"count({x}) AS {name}_n, count(*) FILTER (WHERE {ok}) AS {name}_ok, "
            f"{p} AS {name}_p95, max({x}) AS {name}_max, min({x}) AS {name}_min")


_V3 = "(voltage_a IS NOT NULL AND voltage_b IS NOT NULL AND voltage_c IS NOT NULL)"
_I3 = "(current_a IS NOT NULL AND current_b IS NOT NULL AND current_c IS NOT NULL)"
_L3 = "(voltage_ab IS NOT NULL AND voltage_bc IS NOT NULL AND voltage_ca IS NOT NULL)"
_A2 = "(voltage_angle_b IS NOT NULL AND voltage_angle_c IS NOT NULL)"
_T3 = "(thd_voltage_a IS NOT NULL AND thd_voltage_b IS NOT NULL AND thd_voltage_c IS NOT NULL)"


def _phasor_u2() -> str:
    """|U2| / |U1|, %, from Va = a /0, Vb = b /θb, Vc = c /θc (degrees), in reals."""
    a, b, c = "voltage_a", "voltage_b", "voltage_c"
    tb, tc = "radians(voltage_angle_b)", "radians(voltage_angle_c)"

    def mag(kb: int, kc: int) -> str:   # |a + b e^{j(θb + kb·120°)} + c e^{j(θc + kc·120°)}|
        re = f"({a} + {b} * cos({tb} + {kb} * pi() / 3) + {c} * cos({tc} + {kc} * pi() / 3))"
        im = f"({b} * sin({tb} + {kb} * pi() / 3) + {c} * sin({tc} + {kc} * pi() / 3))"
        return f"sqrt({re} * {re} + {im} * {im})"
    u1, u2 = mag(2, 4), mag(4, 2)
    return f"CASE WHEN {u1} > 0 THEN 100.0 * {u2} / {u1} END"


def _line_u2() -> str:
    s2 = "(voltage_ab ^ 2 + voltage_bc ^ 2 + voltage_ca ^ 2)"
    beta = f"((voltage_ab ^ 4 + voltage_bc ^ 4 + voltage_ca ^ 4) / ({s2} * {s2}))"
    root = f"sqrt(greatest(0.0, 3.0 - 6.0 * {beta}))"
    return f"CASE WHEN {s2} > 0 THEN 100.0 * sqrt((1.0 - {root}) / (1.0 + {root})) END"


def _mag_u2() -> str:
    a, b, c = "voltage_a", "voltage_b", "voltage_c"
    return (f"CASE WHEN {a} + {b} + {c} > 0 THEN 100.0 * sqrt(greatest(0.0, {a} * {a} + "
            f"{b} * {b} + {c} * {c} - {a} * {b} - {b} * {c} - {c} * {a})) / ({a} + {b} + {c}) END")


def _point_sql() -> str:
    vlo = (f"CASE WHEN m.phases = 3 THEN CASE WHEN {_V3} THEN "
           "least(voltage_a, voltage_b, voltage_c) END ELSE voltage_a END")
    vhi = (f"CASE WHEN m.phases = 3 THEN CASE WHEN {_V3} THEN "
           "greatest(voltage_a, voltage_b, voltage_c) END ELSE voltage_a END")
    vmean = (f"CASE WHEN m.phases = 3 THEN CASE WHEN {_V3} THEN "
             "(voltage_a + voltage_b + voltage_c) / 3 END ELSE voltage_a END")
    csum = (f"CASE WHEN m.phases = 3 THEN CASE WHEN {_I3} THEN "
            "current_a + current_b + current_c END ELSE current_a END")
    thd = (f"CASE WHEN m.phases = 3 THEN CASE WHEN {_T3} THEN "
           "greatest(thd_voltage_a, thd_voltage_b, thd_voltage_c) END ELSE thd_voltage_a END")
    imax, imin = "greatest(current_a, current_b, current_c)", "least(current_a, current_b, current_c)"
    rows = (
        "r AS (SELECT iv.*, m.*, "
        f"{vlo} AS vlo, {vhi} AS vhi, {vmean} AS vmean, {csum} AS csum, {thd} AS thd "
        "FROM iv JOIN m ON m.d = iv.device_id OFFSET 0), "
        "g AS (SELECT r.*, (vlo IS NOT NULL AND vlo < "
        f"{std.INTERRUPTION_PCT / 100} * nom) AS flagged FROM r OFFSET 0), "
        "x AS (SELECT device_id, flagged, lower_pct, upper_pct, pft, thdmax, "
        "CASE WHEN NOT flagged THEN 100.0 * (vhi - nom) / nom END AS dev_hi, "
        "CASE WHEN NOT flagged THEN 100.0 * (vlo - nom) / nom END AS dev_lo, "
        "CASE WHEN flagged OR phases <> 3 THEN NULL "
        f"WHEN {_L3} THEN {_line_u2()} "
        f"WHEN {_V3} AND {_A2} THEN {_phasor_u2()} "
        f"WHEN {_V3} THEN {_mag_u2()} END AS u2, "
        "CASE WHEN flagged OR phases <> 3 THEN NULL "
        f"WHEN {_L3} THEN 'l' WHEN {_V3} AND {_A2} THEN 'p' WHEN {_V3} THEN 'm' END AS um, "
        f"CASE WHEN NOT flagged AND phases = 3 AND {_I3} AND {imax} >= cfloor AND {imax} > 0 "
        f"THEN 100.0 * ({imax} - {imin}) / {imax} END AS cu, "
        f"CASE WHEN NOT flagged THEN abs(frequency - {std.NOMINAL_HZ}) END AS fd, "
        "CASE WHEN flagged THEN NULL "
        f"WHEN active_power IS NOT NULL AND abs(active_power) < {std.PF_MIN_KW} THEN NULL "
        "WHEN active_power IS NOT NULL AND reactive_power IS NOT NULL THEN "
        "CASE WHEN sqrt(active_power ^ 2 + reactive_power ^ 2) > 0 THEN abs(active_power) / "
        "sqrt(active_power ^ 2 + reactive_power ^ 2) END "
        "ELSE abs(power_factor) END AS pf, "
        "CASE WHEN NOT flagged THEN thd END AS thd, "
        "CASE WHEN NOT flagged AND vmean IS NOT NULL AND csum IS NOT NULL THEN vmean END AS cx, "
        "CASE WHEN NOT flagged AND vmean IS NOT NULL AND csum IS NOT NULL THEN csum END AS cy, "
        # OFFSET 0: computed once a row, not once per aggregate that reads the value
        # the intervals that can hold an event (a sample outside the sag/swell band),
        # listed in the same pass for the events' sample query
        f"ts, (v_lo < {std.SAG_PCT / 100} * nom OR v_hi > {std.SWELL_PCT / 100} * nom) AS dist "
        "FROM g OFFSET 0) ")
    sel = ", ".join((
        "device_id", "count(*) AS n_all", "count(*) FILTER (WHERE flagged) AS n_flagged",
        "count(dev_hi) AS vd_n",
        "count(*) FILTER (WHERE dev_lo >= lower_pct AND dev_hi <= upper_pct) AS vd_ok",
        f"{_P95.format(x='dev_hi')} AS vd_p95", f"{_P95_LOW.format(x='dev_lo')} AS vd_p95_low",
        "max(dev_hi) AS vd_max", "min(dev_lo) AS vd_min",
        _stats("vu", "u2", f"u2 <= {std.UNBALANCE_NORMAL_PCT}"),
        "bool_or(um = 'm') AS vu_m", "bool_or(um = 'l') AS vu_l", "bool_or(um = 'p') AS vu_p",
        _stats("cu", "cu", f"cu <= {std.CURRENT_UNBALANCE_PCT}"),
        _stats("fr", "fd", f"fd <= {std.FREQUENCY_LIMIT_HZ}"),
        _stats("pf", "pf", "pf >= pft - 1e-9", low=True),
        _stats("th", "thd", "thd <= thdmax"),
        "count(cx) AS r_n", "corr(cx, cy) AS r",
        "array_agg(ts ORDER BY ts) FILTER (WHERE dist) AS disturbed"))
    return rows + f"SELECT {sel} FROM x GROUP BY device_id"


_POINT_SQL = _point_sql()


def point_stats(specs: dict[int, PointSpec], start: datetime, end: datetime
                ) -> dict[int, dict]:
    """Device id -> its indices' statistics over [start, end) (``report.STAT_KEYS``) and
    ``disturbed``: the starts of its intervals that can hold an event (for
    ``samples_around``), found in the same pass; devices without intervals are left out."""
    ids = list(specs)
    if not ids:
        return {}
    from backend.quality.standards import deviation_limit
    lims = [deviation_limit(s.phases) for s in specs.values()]
    extra = {
        "phases": ("integer", [s.phases for s in specs.values()]),
        "nom": ("float8", [s.nominal_v for s in specs.values()]),
        "lower_pct": ("float8", [lim.lower_pct for lim in lims]),
        "upper_pct": ("float8", [lim.upper_pct for lim in lims]),
        "cfloor": ("float8", [std.CURRENT_MIN_LOAD * s.rated_current if s.rated_current
                              else std.CURRENT_MIN_A for s in specs.values()]),
        "pft": ("float8", [s.pf_target for s in specs.values()]),
        "thdmax": ("float8", [harmonic_limit(s.level_kv)[0] for s in specs.values()]),
    }
    cte, params = _intervals_cte(ids, start, end, extra)
    _no_jit()
    res = db.session.execute(text(cte.rstrip() + ", " + _POINT_SQL), params)
    return {row["device_id"]: dict(row) for row in res.mappings()}


def samples_around(disturbed: dict[int, list[datetime]], start: datetime, end: datetime
                   ) -> dict[int, list[tuple[datetime, float, float]]]:
    """``store.voltage_samples`` of the ``disturbed`` intervals (``point_stats``'s: a
    sample outside the sag/swell band) and the interval either side of each: the samples
    events.py needs to find, bound and class them, without reading the others."""
    pairs = [(d, t) for d, ts in disturbed.items() for t in ts or ()]
    if not pairs:
        return {}
    rows = db.session.execute(text(
        "WITH bad AS (SELECT * FROM unnest(CAST(:ds AS integer[]), "
        "CAST(:ts AS timestamptz[])) AS u(device_id, ts)), "
        "f AS (SELECT DISTINCT device_id, ts + k * :step AS t FROM bad, "
        "(VALUES (-1), (0), (1)) AS k(k)) "
        "SELECT r.device_id, r.ts, min(r.value), max(r.value) FROM f JOIN readings r "
        "ON r.device_id = f.device_id AND r.ts >= f.t AND r.ts < f.t + :step "
        f"WHERE r.ts >= :start AND r.ts < :end AND r.metric_id IN {_in(_VOLT)} "
        "AND r.quality = 0 "
        "GROUP BY 1, 2 ORDER BY 1, 2"),
        {"ds": [d for d, _t in pairs], "ts": [t for _d, t in pairs], "step": STEP,
         "start": start, "end": end}).all()
    out: dict[int, list] = {}
    for device_id, ts, lo, hi in rows:
        out.setdefault(device_id, []).append((ts, lo, hi))
    return out
