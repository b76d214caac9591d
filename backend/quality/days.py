"""Power quality's per-day partial statistics (``quality_days``): what a month's report
reads instead of 4,320 intervals a point, with the same answer.

A row is one point's UTC day (144 intervals of the rollup's bins), computed from its
rolled intervals with the point's spec (phases, nominal voltage, deviation limits, load
floor, power-factor target, THD limit) recorded per point in ``quality_day_specs``;
a read uses a point's days only while that spec is the point's current one. Exact
partials: counts, compliant counts, extremes, the correlation's centred sums (combined
as PostgreSQL combines its own ``corr`` states), the disturbed intervals; and, for each
95 % value, the day's ``DAY_TOP`` largest values (of the negated values for a lower-side
one).

The 95 % value of the whole period is the K-th largest of all values, K = floor(0.05 n)
+ 1 (GB/T's "drop the largest 5 %, take the largest left"). T, the K-th largest of the
stored values (every day's largest ``DAY_TOP`` and every value of the period's edges),
is that value whenever each day that stored fewer values than it had stored a smallest
value <= T: then every value above T is stored, so the count above T is the true one
(< K) and the count at or above T is at least K. Equivalently, with L the largest such
day's smallest stored value: at least K stored values are >= L, and T is the K-th
largest of those (the only ones sorted). ``combine`` returns ``exact`` false
otherwise (a day with more than ``DAY_TOP`` of the period's top values, e.g. a week
of high voltage): the caller computes that point from its intervals instead.
"""
from __future__ import annotations

from backend.quality import standards as std

DAY_TOP = 16

# name, value, compliant, lower-side (the 95 % value of the smallest: negated values)
INDICES = (
    ("vu", "u2", f"u2 <= {std.UNBALANCE_NORMAL_PCT}", False),
    ("cu", "cu", f"cu <= {std.CURRENT_UNBALANCE_PCT}", False),
    ("fr", "fd", f"fd <= {std.FREQUENCY_LIMIT_HZ}", False),
    ("pf", "pf", "pf >= m.pft - 1e-9", True),
    ("th", "thd", "thd <= m.thdmax", False),
)
# the arrays of top values: name -> (value, negated)
TOPS = {"vd": ("dev_hi", False), "vdl": ("dev_lo", True),
        **{k: (x, low) for k, x, _ok, low in INDICES}}
SPEC = ("phases", "nom", "lower_pct", "upper_pct", "cfloor", "pft", "thdmax")


def partial(day: bool) -> str:
    """The select list of one partial row over the values ``x`` (rollup's per-interval
    values of one point): a day's (``day``: the largest ``DAY_TOP`` values sorted) or a
    period edge's (all values)."""
    out = ["count(*) AS n_all", "count(*) FILTER (WHERE flagged) AS n_flagged",
           "count(dev_hi) AS vd_n",
           "count(*) FILTER (WHERE dev_lo >= m.lower_pct AND dev_hi <= m.upper_pct) AS vd_ok",
           "max(dev_hi) AS vd_max", "min(dev_lo) AS vd_min"]
    for k, x, ok, _low in INDICES:
        out += [f"count({x}) AS {k}_n", f"count(*) FILTER (WHERE {ok}) AS {k}_ok",
                f"max({x}) AS {k}_max", f"min({x}) AS {k}_min"]
    for k, (x, neg) in TOPS.items():
        v = f"-({x})" if neg else x
        if day:
            out.append(f"(array_agg({v} ORDER BY {v} DESC) FILTER (WHERE {x} IS NOT NULL))"
                       f"[1:{DAY_TOP}] AS {k}_top")
        else:                    # an edge keeps all its values: no order needed
            out.append(f"array_agg({v}) FILTER (WHERE {x} IS NOT NULL) AS {k}_top")
    out += ["bool_or(um = 'm') AS vu_m", "bool_or(um = 'l') AS vu_l",
            "bool_or(um = 'p') AS vu_p",
            "count(cx) AS r_n", "avg(cx) AS r_mx", "avg(cy) AS r_my",
            "regr_sxx(cy, cx) AS r_sxx", "regr_syy(cy, cx) AS r_syy",
            "regr_sxy(cy, cx) AS r_sxy",
            "array_agg(ts ORDER BY ts) FILTER (WHERE dist) AS disturbed"]
    return ", ".join(out)


# the partial columns a day row stores (``partial``'s, in order)
DAY_COLUMNS = tuple(e.rsplit(" AS ", 1)[1] for e in partial(True).split(", ")
                    if " AS " in e)


def _n(k: str) -> str:
    return "vd_n" if k in ("vd", "vdl") else f"{k}_n"


def _kth(k: str) -> str:
    """The (floor(0.05 n) + 1)-th largest of the stored ``k`` values at or above the
    largest 16th value of a day that had more (``t.{k}_lb``): NULL when fewer than that
    many are, i.e. when the stored values cannot give it (the module's proof). The
    arrays are unnested in the select list (a ProjectSet streaming the values), not in
    FROM (a function scan a row, each filling a tuplestore): a quarter of the month
    report's SQL time at 2,000 points (docs/benchmarks.md). An index without values (a
    breaker's THD, a point without currents) runs no selection at all."""
    return (f"CASE WHEN t.{_n(k)} > 0 THEN (SELECT v FROM (SELECT unnest(p.{k}_top) AS v "
            f"FROM p) x WHERE t.{k}_lb IS NULL OR v >= t.{k}_lb "
            f"ORDER BY v DESC OFFSET floor(0.05 * t.{_n(k)})::bigint LIMIT 1) END")


def combine(p: str) -> str:
    """The statistics (``rollup.point_stats``'s columns, ``days_used`` and ``exact``) of
    one point from its partial rows ``p`` (a query with the ``partial`` columns and
    ``whole``: an edge's row, holding all its values)."""
    sums = ["n_all", "n_flagged", "vd_n", "vd_ok",
            *[f"{k}_{s}" for k, *_r in INDICES for s in ("n", "ok")], "r_n"]
    tot = [f"sum({c})::bigint AS {c}" for c in sums]
    tot += ["max(vd_max) AS vd_max", "min(vd_min) AS vd_min"]
    tot += [f"max({k}_max) AS {k}_max, min({k}_min) AS {k}_min" for k, *_r in INDICES]
    tot += ["bool_or(vu_m) AS vu_m", "bool_or(vu_l) AS vu_l", "bool_or(vu_p) AS vu_p",
            "sum(r_n * r_mx) / nullif(sum(r_n), 0) AS r_mx",
            "sum(r_n * r_my) / nullif(sum(r_n), 0) AS r_my"]
    # per index, the largest value a day that stored only its top DAY_TOP left out
    tot += [f"max({k}_top[{DAY_TOP}]) FILTER (WHERE NOT whole AND {_n(k)} > {DAY_TOP}) "
            f"AS {k}_lb" for k in TOPS]
    tot.append("count(*) FILTER (WHERE NOT whole) AS days_used")
    t = f"SELECT {', '.join(tot)} FROM p"
    # the centred sums of the whole: each part's plus its mean's offset (Chan et al.)
    r = ("(SELECT sum(p.r_sxx + p.r_n * (p.r_mx - t.r_mx) ^ 2) AS sxx, "
         "sum(p.r_syy + p.r_n * (p.r_my - t.r_my) ^ 2) AS syy, "
         "sum(p.r_sxy + p.r_n * (p.r_mx - t.r_mx) * (p.r_my - t.r_my)) AS sxy "
         "FROM p WHERE p.r_n > 0)")
    inner = ["t.*", *(f"{_kth(k)} AS {k}_t" for k in TOPS),
             "CASE WHEN t.r_n > 0 THEN (SELECT CASE WHEN sxx > 0 AND syy > 0 THEN "
             f"sxy / sqrt(sxx * syy) END FROM {r} c) END AS r",
             "(SELECT array_agg(d ORDER BY d) FROM (SELECT unnest(p.disturbed) AS d FROM p) x) "
             "AS disturbed"]
    sel = ["n_all", "n_flagged", "vd_n", "vd_ok", "vd_max", "vd_min",
           "vd_t AS vd_p95", "-vdl_t AS vd_p95_low"]
    for k, _x, _ok, low in INDICES:
        sel += [f"{k}_n", f"{k}_ok", f"{k}_max", f"{k}_min",
                f"{'-' if low else ''}{k}_t AS {k}_p95"]
    sel += ["vu_m", "vu_l", "vu_p", "r_n", "r", "disturbed", "days_used",
            " AND ".join(f"({_n(k)} = 0 OR {k}_t IS NOT NULL)" for k in TOPS) + " AS exact"]
    # OFFSET 0: each 95 % value computed once
    return (f"SELECT {', '.join(sel)} FROM (SELECT {', '.join(inner)} FROM ({t}) t "
            "OFFSET 0) s")
