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

from sqlalchemy import select, text

from backend.extensions import db, redis
from backend.models.telemetry import METRICS
from backend.quality import days
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
# the per-interval values stored at roll time (migration 0026_quality_values,
# ``_values``): functions of the row's own columns only, never of a setting or of the
# point's nominal voltage, poles or rating (those are applied at read time)
VALUES = ("v3_lo", "v3_hi", "v3_mean", "i3_sum", "i3_max", "thd3", "u2", "um", "cu", "fd", "pf")
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


def _pivot(where: str, joined: bool = True) -> str:
    """The intervals of ``readings`` rows matching ``where`` (alias r, joined to ``m``;
    without ``joined``, ``m`` is the caller's outer row: one device), one row per device
    and interval with a column per metric."""
    cols = ", ".join(f"max(v) FILTER (WHERE metric_id = {_IDS[n]}) AS {n}" if n in _IDS
                     else f"NULL::float8 AS {n}" for n in QUALITY_METRICS)
    return (
        f"SELECT device_id, b AS ts, max(cnt)::int AS n, {cols}, "
        f"min(lo) FILTER (WHERE metric_id IN {_in(_VOLT)}) AS v_lo, "
        f"max(hi) FILTER (WHERE metric_id IN {_in(_VOLT)}) AS v_hi FROM ("
        " SELECT r.device_id, date_bin(:step, r.ts, :origin) AS b, r.metric_id,"
        f" CASE WHEN r.metric_id IN {_in(_RMS)} THEN sqrt(avg(r.value * r.value))"
        " ELSE avg(r.value) END AS v, count(*) AS cnt, min(r.value) AS lo, max(r.value) AS hi"
        + (" FROM m JOIN readings r ON r.device_id = m.d WHERE " if joined
           else " FROM readings r WHERE r.device_id = m.d AND ") + where +
        f" AND r.metric_id IN {_in(_IDS.values())} AND r.quality = 0 GROUP BY 1, 2, 3) a"
        " GROUP BY 1, 2")


# --- the per-interval values ---------------------------------------------------------
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


def value_exprs() -> dict[str, str]:
    """The stored per-interval values (``VALUES``): name -> its SQL over a row's columns;
    the read applies the point's phases, nominal voltage, load floor and targets
    (``_point_sql``)."""
    imax = "greatest(current_a, current_b, current_c)"
    imin = "least(current_a, current_b, current_c)"
    pairs = (e.rsplit(" AS ", 1) for e in (
        f"CASE WHEN {_V3} THEN least(voltage_a, voltage_b, voltage_c) END AS v3_lo",
        f"CASE WHEN {_V3} THEN greatest(voltage_a, voltage_b, voltage_c) END AS v3_hi",
        f"CASE WHEN {_V3} THEN (voltage_a + voltage_b + voltage_c) / 3 END AS v3_mean",
        f"CASE WHEN {_I3} THEN current_a + current_b + current_c END AS i3_sum",
        f"CASE WHEN {_I3} THEN {imax} END AS i3_max",
        f"CASE WHEN {_T3} THEN greatest(thd_voltage_a, thd_voltage_b, thd_voltage_c) END AS thd3",
        f"CASE WHEN {_L3} THEN {_line_u2()} WHEN {_V3} AND {_A2} THEN {_phasor_u2()} "
        f"WHEN {_V3} THEN {_mag_u2()} END AS u2",
        f"CASE WHEN {_L3} THEN 'l' WHEN {_V3} AND {_A2} THEN 'p' WHEN {_V3} THEN 'm' END AS um",
        f"CASE WHEN {_I3} AND {imax} > 0 THEN 100.0 * ({imax} - {imin}) / {imax} END AS cu",
        f"abs(frequency - {std.NOMINAL_HZ}) AS fd",
        f"CASE WHEN active_power IS NOT NULL AND abs(active_power) < {std.PF_MIN_KW} THEN NULL "
        "WHEN active_power IS NOT NULL AND reactive_power IS NOT NULL THEN "
        "CASE WHEN sqrt(active_power ^ 2 + reactive_power ^ 2) > 0 THEN abs(active_power) / "
        "sqrt(active_power ^ 2 + reactive_power ^ 2) END "
        "ELSE abs(power_factor) END AS pf"))
    return {name: expr for expr, name in pairs}


_VALUES_SQL = ", ".join(f"{e} AS {n}" for n, e in value_exprs().items())
assert tuple(value_exprs()) == VALUES


def _with_values(pivot: str) -> str:
    """``pivot``'s rows with their stored values (``VALUES``) added."""
    return f"SELECT p.*, {_VALUES_SQL} FROM ({pivot}) p"



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
    cols = ", ".join((*COLUMNS, *VALUES))
    res = db.session.execute(text(
        m + f"INSERT INTO quality_intervals (device_id, ts, n, {cols}) "
        + _with_values(_pivot("r.ts >= m.s"))), p)
    roll_days(marks)
    return res.rowcount or 0


def _current_specs(ids: list[int]) -> dict[int, PointSpec]:
    from backend.models import Device
    from backend.quality.operations import POINT_KINDS, _defaults, spec_for
    devices = db.session.scalars(select(Device).where(
        Device.id.in_(ids), Device.kind.in_(POINT_KINDS))).all()
    defaults = _defaults()
    return {d.id: spec_for(d, defaults) for d in devices}


def roll_days(marks: dict[int, datetime | None]) -> int:
    """Re-compute each point's ``quality_days`` from its rolled intervals, from its
    mark's UTC day on, with its current spec (recorded in ``quality_day_specs``); a
    point whose days were rolled with another spec, or never, gets all its days again.
    Returns the days written; the caller commits."""
    specs = _current_specs(list(marks))
    if not specs:
        return 0
    ids = list(specs)
    cols = _spec_columns(specs)
    stored = _stored_stamps(ids)
    stamps = _stamps(cols)
    since = [_day_floor(marks[d]) if marks[d] is not None and stored.get(d) == st else ORIGIN
             for d, st in zip(ids, stamps)]
    names = ", ".join(("d", "s", *cols))
    casts = ", ".join(["CAST(:ids AS integer[])", "CAST(:since AS timestamptz[])",
                       *(f"CAST(:{k} AS {t}[])" for k, (t, _v) in cols.items())])
    p = {"ids": ids, "since": since, **{k: v for k, (_t, v) in cols.items()}}
    m = f"WITH m AS (SELECT * FROM unnest({casts}) AS u({names})) "
    db.session.execute(text(m + "DELETE FROM quality_days q USING m WHERE q.device_id = m.d "
                                "AND q.day >= (m.s AT TIME ZONE 'UTC')::date"), p)
    iv = (f"SELECT {', '.join(READ)} FROM quality_intervals q "
          "WHERE q.device_id = m.d AND q.ts >= m.s")
    res = db.session.execute(text(
        m + f"INSERT INTO quality_days (device_id, day, {', '.join(days.DAY_COLUMNS)}) "
        "SELECT m.d, s.* FROM m CROSS JOIN LATERAL (SELECT (x.ts AT TIME ZONE 'UTC')::date "
        f"AS day, {days.partial(True)} FROM ({_values(iv)}) x GROUP BY 1) s"), p)
    spec = ", ".join(days.SPEC)
    db.session.execute(text(
        m + f"INSERT INTO quality_day_specs (device_id, {spec}) SELECT d, {spec} FROM m "
        "ON CONFLICT (device_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in days.SPEC)), p)
    return res.rowcount or 0


RESYNC = 50        # points a run whose days are rolled again in full (their whole history)


def resync_days(limit: int = RESYNC) -> int:
    """Points whose days were rolled with a spec that is no longer theirs (a nominal
    voltage, poles, rating, voltage level or target changed), or never: all their days
    again, ``limit`` points a run (until then a read computes them from their
    intervals). Returns the points re-rolled; the caller commits."""
    from backend.models import Device
    from backend.quality.operations import POINT_KINDS
    ids = list(db.session.scalars(select(Device.id).where(Device.kind.in_(POINT_KINDS))))
    if not ids:
        return 0
    specs = _current_specs(ids)
    stored = _stored_stamps(ids)
    cur = dict(zip(specs, _stamps(_spec_columns(specs))))
    stale = [d for d in specs if stored.get(d) != cur[d]][:limit]
    roll_days({d: None for d in stale})
    return len(stale)


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
        resynced = resync_days()
        db.session.commit()
    finally:
        client.delete(LOCK_KEY)
    return {"devices": done, "intervals": intervals, "days_resynced": resynced}


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
                   extra: dict[str, list]) -> tuple[str, str, dict]:
    """``WITH m AS (device, rolled from lo to hi, extra columns)`` and the intervals of
    one device (the outer row ``m``) with their values: rolled intervals in [lo, hi),
    ``readings`` in [start, lo) and [hi, end)."""
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
    cols = ", ".join(READ)
    # rolled intervals outside the point's stored days [dlo, dhi) (point_stats)
    parts = [f"SELECT {cols} FROM quality_intervals q WHERE q.device_id = m.d "
             "AND q.ts >= :lo AND q.ts < m.dlo",
             f"SELECT {cols} FROM quality_intervals q WHERE q.device_id = m.d "
             "AND q.ts >= m.dhi AND q.ts < m.hi"]
    # readings only where the rollup cannot answer; the constant bounds let PostgreSQL
    # prune partitions and use the index instead of scanning the month
    if start < lo:
        parts.append(f"SELECT {cols} FROM ("
                     + _with_values(_pivot("r.ts >= :start AND r.ts < :lo", joined=False))
                     + ") h")
    if tail:
        parts.append(f"SELECT {cols} FROM (" + _with_values(_pivot(
            "r.ts >= :hmin AND r.ts >= m.hi AND r.ts < :end", joined=False)) + ") t")
    m = f"WITH m AS (SELECT * FROM unnest({casts}) AS u({names})) "
    return m, " UNION ALL ".join(parts), params


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


# the columns ``_values`` reads of an interval
READ = ("ts", "v_lo", "v_hi", "voltage_a", "current_a", "thd_voltage_a", "v3_lo", "v3_hi",
        "v3_mean", "i3_sum", "i3_max", "thd3", "u2", "um", "cu", "fd", "pf")


def _values(iv: str) -> str:
    """The per-interval values of one point (the outer row ``m``) over its intervals
    ``iv``: the stored values (``VALUES``) judged with the point's phases, nominal
    voltage, load floor and targets."""
    def by_phases(three: str, one: str) -> str:
        return f"CASE WHEN m.phases = 3 THEN {three} ELSE {one} END"
    rows = (
        "SELECT ts, v_lo, v_hi, u2, um, cu, i3_max, fd, pf, "
        f"{by_phases('v3_lo', 'voltage_a')} AS vlo, {by_phases('v3_hi', 'voltage_a')} AS vhi, "
        f"{by_phases('v3_mean', 'voltage_a')} AS vmean, "
        f"{by_phases('i3_sum', 'current_a')} AS csum, "
        f"{by_phases('thd3', 'thd_voltage_a')} AS thd FROM ({iv}) iv OFFSET 0")
    flagged = (f"SELECT r.*, (vlo IS NOT NULL AND vlo < {std.INTERRUPTION_PCT / 100} * m.nom) "
               f"AS flagged FROM ({rows}) r OFFSET 0")
    return (
        "SELECT ts, flagged, "
        "CASE WHEN NOT flagged THEN 100.0 * (vhi - m.nom) / m.nom END AS dev_hi, "
        "CASE WHEN NOT flagged THEN 100.0 * (vlo - m.nom) / m.nom END AS dev_lo, "
        "CASE WHEN flagged OR m.phases <> 3 THEN NULL ELSE u2 END AS u2, "
        "CASE WHEN flagged OR m.phases <> 3 THEN NULL ELSE um END AS um, "
        "CASE WHEN NOT flagged AND m.phases = 3 AND i3_max >= m.cfloor THEN cu END AS cu, "
        "CASE WHEN NOT flagged THEN fd END AS fd, "
        "CASE WHEN NOT flagged THEN pf END AS pf, "
        "CASE WHEN NOT flagged THEN thd END AS thd, "
        "CASE WHEN NOT flagged AND vmean IS NOT NULL AND csum IS NOT NULL THEN vmean END AS cx, "
        "CASE WHEN NOT flagged AND vmean IS NOT NULL AND csum IS NOT NULL THEN csum END AS cy, "
        # OFFSET 0: computed once a row, not once per aggregate that reads the value
        # the intervals that can hold an event (a sample outside the sag/swell band),
        # listed in the same pass for the events' sample query
        f"(v_lo < {std.SAG_PCT / 100} * m.nom OR v_hi > {std.SWELL_PCT / 100} * m.nom) AS dist "
        f"FROM ({flagged}) g OFFSET 0")


def _point_sql(iv: str) -> str:
    """The statistics of one point (the outer row ``m``) in a LATERAL subquery per point
    (each point's rows aggregated on their own, no sort of the site's intervals by
    point): its stored days in [m.dlo_day, m.dhi_day) and its intervals ``iv`` (the rest
    of the period) combined (days.combine)."""
    day_cols = ", ".join(days.DAY_COLUMNS)
    p = (f"SELECT false AS whole, {day_cols} FROM quality_days qd WHERE qd.device_id = m.d "
         "AND qd.day >= m.dlo_day AND qd.day < m.dhi_day UNION ALL "
         f"SELECT true, {days.partial(False)} FROM ({_values(iv)}) x")
    return (f"SELECT m.d AS device_id, s.* FROM m CROSS JOIN LATERAL (WITH p AS ({p}) "
            f"{days.combine('p')}) s WHERE s.n_all > 0")


def _spec_columns(specs: dict[int, PointSpec]) -> dict[str, tuple[str, list]]:
    """The columns ``m`` carries for ``_values``: a point's spec as the SQL applies it
    (days.SPEC, in order)."""
    from backend.quality.standards import deviation_limit
    lims = [deviation_limit(s.phases) for s in specs.values()]
    return {
        "phases": ("integer", [s.phases for s in specs.values()]),
        "nom": ("float8", [s.nominal_v for s in specs.values()]),
        "lower_pct": ("float8", [lim.lower_pct for lim in lims]),
        "upper_pct": ("float8", [lim.upper_pct for lim in lims]),
        "cfloor": ("float8", [std.CURRENT_MIN_LOAD * s.rated_current if s.rated_current
                              else std.CURRENT_MIN_A for s in specs.values()]),
        "pft": ("float8", [s.pf_target for s in specs.values()]),
        "thdmax": ("float8", [harmonic_limit(s.level_kv)[0] for s in specs.values()]),
    }


def _stamps(cols: dict[str, tuple[str, list]]) -> list[tuple]:
    return [tuple(float(v) for v in row) for row in zip(*(v for _t, v in cols.values()))]


def _day_floor(t: datetime) -> datetime:
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


def point_stats(specs: dict[int, PointSpec], start: datetime, end: datetime,
                use_days: bool = True) -> dict[int, dict]:
    """Device id -> its indices' statistics over [start, end) (``report.STAT_KEYS``) and
    ``disturbed``: the starts of its intervals that can hold an event (for
    ``samples_around``), found in the same pass; devices without intervals are left out.
    A point's whole UTC days rolled with its current spec come from ``quality_days``;
    a point whose days cannot give its exact 95 % values is computed again from its
    intervals alone."""
    ids = list(specs)
    if not ids:
        return {}
    extra = _spec_columns(specs)
    stamps = dict(zip(ids, _stamps(extra)))
    stored = _stored_stamps(ids) if use_days else {}
    lo = min(_ceil(start), end)
    full = max(_floor(end), lo)
    marks = pending(ids)
    dlo, dhi = [], []
    for d in ids:
        hi = min(max(_floor(marks[d]), lo), full) if d in marks else full
        a = min(_day_floor(lo) + (timedelta(days=1) if _day_floor(lo) < lo else timedelta()), hi)
        b = max(_day_floor(hi), a)
        if stored.get(d) != stamps[d]:
            a = b = lo                      # no days (or rolled with another spec)
        dlo.append(a)
        dhi.append(b)
    extra["dlo"] = ("timestamptz", dlo)
    extra["dhi"] = ("timestamptz", dhi)
    extra["dlo_day"] = ("date", [t.date() for t in dlo])
    extra["dhi_day"] = ("date", [t.date() for t in dhi])
    m, iv, params = _intervals_cte(ids, start, end, extra)
    _no_jit()
    db.session.execute(text("SET LOCAL enable_bitmapscan = off"))
    res = db.session.execute(text(m + _point_sql(iv)), params)
    out = {row["device_id"]: dict(row) for row in res.mappings()}
    redo = [d for d, row in out.items() if not row.pop("exact")]
    if redo:
        out.update(point_stats({d: specs[d] for d in redo}, start, end, use_days=False))
    return out


def _stored_stamps(ids: list[int]) -> dict[int, tuple]:
    rows = db.session.execute(text(
        f"SELECT device_id, {', '.join(days.SPEC)} FROM quality_day_specs "
        "WHERE device_id = ANY(:ids)"), {"ids": ids}).all()
    return {r[0]: tuple(float(v) for v in r[1:]) for r in rows}


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
