"""Energy per tariff period: each device's import kWh per local day and month, per tariff
version and period (docs/energy.md, "Cost").

``energy_day_periods (device_id, day, tariff_id, period, import_kwh)``: the day's slots
grouped by the period their local quarter of the day lies in under the site's tariff
version of that day (tariff 0, period ``none``: before the first version). The rows of a
day sum to its ``energy_days.import_kwh``. ``energy_month_periods``: the same summed per
local month (a month may hold two versions: one row per version and period).

Written by the energy rollup (``rollup.roll_batch``) from the same slots, in the same
transaction, from the same first rewritten day as the day rollups; and re-rolled over
the days a tariff version covers when one is created, changed or deleted (the job
``energy.tariff_reroll``, enqueued after the tariff's commit). Cost is then a read of
these rows: kWh per period x that version's price, exact (a slot's cost is linear in
its kWh), and the slot-by-slot ``pricing.priced`` stays as the reference.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from backend import jobs
from backend.energy.tariffs import quarter_map
from backend.extensions import db, redis
from backend.models import Device, Site
from backend.models.energy import Tariff

log = logging.getLogger(__name__)

NONE = "none"                 # the period of energy before the site's first version
FOREVER = date(9999, 12, 31)  # the last version's end (exclusive)
QUARTER = ("(extract(hour FROM timezone(p.tz, x.slot)) * 4 "
           "+ floor(extract(minute FROM timezone(p.tz, x.slot)) / 15))::int")


def versions_of(site_ids) -> dict[str, list]:
    """The sites' tariff versions as parallel arrays for the SQL: site, id, valid from,
    valid until (the next version's day, exclusive) and the 96 quarters' periods joined
    by commas (``split_part`` picks a quarter's)."""
    out: dict[str, list] = {"vs": [], "vid": [], "vfrom": [], "vuntil": [], "vmap": []}
    rows = db.session.execute(select(Tariff.site_id, Tariff.id, Tariff.valid_from,
                                     Tariff.periods)
                              .where(Tariff.site_id.in_(sorted(set(site_ids))))
                              .order_by(Tariff.site_id, Tariff.valid_from)).all()
    for i, (site_id, tid, valid_from, periods) in enumerate(rows):
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        out["vs"].append(site_id)
        out["vid"].append(tid)
        out["vfrom"].append(valid_from)
        out["vuntil"].append(nxt.valid_from if nxt and nxt.site_id == site_id else FOREVER)
        out["vmap"].append(",".join(quarter_map(periods)))
    return out


_P = ("unnest(CAST(:ds AS int[]), CAST(:site AS int[]), CAST(:tz AS text[]), "
      "CAST(:day0 AS date[]), CAST(:day1 AS date[])) AS p(d, site, tz, day0, day1)")
_V = ("unnest(CAST(:vs AS int[]), CAST(:vid AS int[]), CAST(:vfrom AS date[]), "
      "CAST(:vuntil AS date[]), CAST(:vmap AS text[])) AS v(site, id, vfrom, vuntil, qmap)")
_M = ("unnest(CAST(:ds AS int[]), CAST(:month0 AS date[]), CAST(:month1 AS date[])) "
      "AS p(d, month0, month1)")
# Each device's days in [day0, day1) again from its slots, then its months that hold
# those days again from its day rows.
_ROLL = (
    f"DELETE FROM energy_day_periods x USING {_P} WHERE x.device_id = p.d "
    "AND x.day >= p.day0 AND x.day < p.day1; "
    "INSERT INTO energy_day_periods (device_id, day, tariff_id, period, import_kwh) "
    "SELECT s.d, s.day, coalesce(v.id, 0), "
    f"coalesce(split_part(v.qmap, ',', s.q + 1), '{NONE}'), sum(s.kwh) FROM ("
    f"SELECT p.d, p.site, CAST(timezone(p.tz, x.slot) AS date) AS day, {QUARTER} AS q, "
    f"x.import_kwh AS kwh FROM {_P} JOIN energy_slots x ON x.device_id = p.d "
    "AND x.slot >= timezone(p.tz, CAST(p.day0 AS timestamp)) "
    "AND x.slot < timezone(p.tz, CAST(p.day1 AS timestamp))) s "
    f"LEFT JOIN {_V} ON v.site = s.site AND s.day >= v.vfrom AND s.day < v.vuntil "
    "GROUP BY 1, 2, 3, 4; "
    f"DELETE FROM energy_month_periods x USING {_M} WHERE x.device_id = p.d "
    "AND x.month >= p.month0 AND x.month < p.month1; "
    "INSERT INTO energy_month_periods (device_id, month, tariff_id, period, import_kwh) "
    "SELECT x.device_id, CAST(date_trunc('month', x.day) AS date), x.tariff_id, x.period, "
    f"sum(x.import_kwh) FROM {_M} JOIN energy_day_periods x ON x.device_id = p.d "
    "AND x.day >= p.month0 AND x.day < p.month1 GROUP BY 1, 2, 3, 4")


def _month_after(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def roll(devices: list[tuple[int, int, str]], day0: list[date],
         day1: list[date | None] | None = None) -> None:
    """Re-roll each device's (id, site id, zone) period rows over its local days
    [day0, day1) (None: on), in one statement batch whatever their count. Flushes
    nothing; the caller commits."""
    if not devices:
        return
    day1 = day1 or [None] * len(devices)
    ends = [d or FOREVER for d in day1]
    db.session.execute(text(_ROLL), {
        "ds": [d for d, _, _ in devices], "site": [s for _, s, _ in devices],
        "tz": [z for _, _, z in devices], "day0": day0, "day1": ends,
        "month0": [d.replace(day=1) for d in day0],
        "month1": [FOREVER if e == FOREVER else _month_after(e - timedelta(days=1))
                   for e in ends],
        **versions_of({s for _, s, _ in devices})})


# --- a tariff change: the days it covers, re-rolled by a job after the commit ------------
PENDING = "energy_tariff_rerolls"   # session.info key: (site, lo, hi) to enqueue on commit
BATCH = 200


def covered(site_id: int, lo: date, top: date) -> tuple[date, date | None]:
    """The days whose version may have changed when versions from ``lo`` to ``top`` were
    written: [lo, the first later version's day) (None: on)."""
    nxt = db.session.scalar(select(Tariff.valid_from).where(
        Tariff.site_id == site_id, Tariff.valid_from > top).order_by(Tariff.valid_from)
        .limit(1))
    return lo, nxt


def changed(site_id: int, lo: date, top: date) -> None:
    """Re-roll the days a tariff change covers once the transaction commits."""
    lo, hi = covered(site_id, lo, top)
    db.session.info.setdefault(PENDING, []).append((site_id, lo, hi))


def _enqueue_one(site_id: int, lo: date, hi: date | None) -> None:
    jobs.enqueue("energy.tariff_reroll", site_id, lo.isoformat(),
                 hi.isoformat() if hi else None,
                 description=f"energy periods of site {site_id} from {lo}")


@event.listens_for(Session, "after_commit")
def _enqueue(session):
    for site_id, lo, hi in session.info.pop(PENDING, []):
        _enqueue_one(site_id, lo, hi)


@event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop(PENDING, None)


def reroll_site(site_id: int, lo: date, hi: date | None, wait: float = 600.0) -> dict:
    """The job: every device of the site re-rolled over [lo, hi), ``BATCH`` devices a
    commit, under the energy rollup's lock (waiting for a running rollup or another
    re-roll, up to ``wait`` seconds, then enqueued again rather than dropped), so two
    writers never write the same rows at once."""
    from backend.energy.rollup import LOCK_KEY, take_lock
    client = redis.current()
    if not take_lock("tariff", wait):
        log.warning("energy periods of site %s: the rollup's lock is held; enqueued again",
                    site_id)
        _enqueue_one(site_id, lo, hi)
        return {"site_id": site_id, "requeued": True}
    try:
        rows = db.session.execute(select(Device.id, Site.id, Site.timezone)
                                  .join(Site, Site.id == Device.site_id)
                                  .where(Site.id == site_id).order_by(Device.id)).all()
        for i in range(0, len(rows), BATCH):
            chunk = [tuple(r) for r in rows[i:i + BATCH]]
            roll(chunk, [lo] * len(chunk), [hi] * len(chunk))
            db.session.commit()
            client.expire(LOCK_KEY, 600)
    finally:
        client.delete(LOCK_KEY)
    log.info("energy periods of site %s re-rolled from %s to %s", site_id, lo, hi)
    return {"site_id": site_id, "devices": len(rows), "from": lo.isoformat(),
            "until": hi.isoformat() if hi else None}


# --- the read: cost over local days --------------------------------------------------------
def _parts(start: date, end: date) -> list[tuple[str, str, date, date]]:
    """Whole months from the month rows, the days before and after from the day rows."""
    m0 = start if start.day == 1 else _month_after(start)
    m1 = _month_after(end) if _month_after(end) - timedelta(days=1) == end else \
        end.replace(day=1)
    if m0 >= m1:
        return [("energy_day_periods", "day", start, end)]
    parts = [("energy_month_periods", "month", m0, m1 - timedelta(days=1))]
    if start < m0:
        parts.append(("energy_day_periods", "day", start, m0 - timedelta(days=1)))
    if m1 <= end:
        parts.append(("energy_day_periods", "day", m1, end))
    return parts


def _priced(rows, prices: dict[int, dict[str, float]]) -> dict:
    """{key: {"cost", "unpriced_kwh", "kwh_by_period"}} of (key, tariff, period, kWh)."""
    out: dict = {}
    for key, tid, period, kwh in rows:
        row = out.setdefault(key, {"cost": 0.0, "unpriced_kwh": 0.0, "kwh_by_period": {}})
        price = prices.get(tid, {}).get(period)
        if price is None:
            row["unpriced_kwh"] += kwh
            continue
        row["cost"] += kwh * price
        row["kwh_by_period"][period] = row["kwh_by_period"].get(period, 0.0) + kwh
    return out


def point_costs(ids, first: date, last: date, interval: str,
                prices: dict[int, dict[str, float]]) -> dict[date, dict]:
    """The devices' cost per local day (``interval`` day) or month (month: ``first`` its
    first day) over [first, last], keyed by the day or the month's first day."""
    if not ids:
        return {}
    table, key = (("energy_day_periods", "day") if interval == "day"
                  else ("energy_month_periods", "month"))
    return _priced(db.session.execute(text(
        f"SELECT {key}, tariff_id, period, sum(import_kwh) FROM {table} "
        f"WHERE device_id = ANY(:ids) AND {key} BETWEEN :a AND :b GROUP BY 1, 2, 3"),
        {"ids": list(ids), "a": first, "b": last}).all(), prices)


def device_costs(ids, start: date, end: date, prices: dict[int, dict[str, float]]
                 ) -> dict[int, dict]:
    """Per device over local days [start, end]: {"cost", "unpriced_kwh",
    "kwh_by_period"}; ``prices`` per tariff id (a version deleted since, not yet
    re-rolled, is unpriced until it is)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    parts = _parts(start, end)
    sql = " UNION ALL ".join(
        f"SELECT device_id, tariff_id, period, import_kwh FROM {t} "
        f"WHERE device_id = ANY(:ids) AND {k} BETWEEN :a{i} AND :b{i}"
        for i, (t, k, _, _) in enumerate(parts))
    p: dict = {"ids": ids}
    for i, (_, _, a, b) in enumerate(parts):
        p[f"a{i}"], p[f"b{i}"] = a, b
    return _priced(db.session.execute(text(
        f"SELECT device_id, tariff_id, period, sum(import_kwh) FROM ({sql}) x "
        "GROUP BY 1, 2, 3"), p).all(), prices)


def item_costs(members: dict, start: date, end: date,
               prices: dict[int, dict[str, float]]) -> dict:
    """Each item's (an area's, a category's, a circuit's: ``members`` maps it to its
    devices) time-of-use cost over local days [start, end], priced and summed per item
    in SQL: one row per item comes back, not one per device, version and period (a
    year of 2,000 devices was 20 k rows priced in Python). Equal to summing
    ``device_costs`` over the item's devices."""
    keys = list(members)
    dev, item = [], []
    for i, key in enumerate(keys):
        for d in sorted(set(members[key])):
            dev.append(d)
            item.append(i)
    out = {key: 0.0 for key in keys}
    priced = [(tid, period, price) for tid, by in prices.items()
              for period, price in by.items() if price is not None]
    if not dev or not priced:
        return out
    parts = _parts(start, end)
    sql = " UNION ALL ".join(
        f"SELECT device_id, tariff_id, period, import_kwh FROM {t} "
        f"WHERE device_id = ANY(:ids) AND {k} BETWEEN :a{i} AND :b{i}"
        for i, (t, k, _, _) in enumerate(parts))
    p: dict = {"ids": sorted(set(dev)), "dev": dev, "item": item,
               "pt": [t for t, _, _ in priced], "pp": [q for _, q, _ in priced],
               "pv": [float(v) for _, _, v in priced]}
    for i, (_, _, a, b) in enumerate(parts):
        p[f"a{i}"], p[f"b{i}"] = a, b
    for i, cost in db.session.execute(text(
            f"SELECT m.i, sum(x.import_kwh * pr.v) FROM ({sql}) x "
            "JOIN unnest(CAST(:dev AS int[]), CAST(:item AS int[])) AS m(d, i) "
            "ON m.d = x.device_id "
            "JOIN unnest(CAST(:pt AS int[]), CAST(:pp AS text[]), CAST(:pv AS float8[])) "
            "AS pr(t, q, v) ON pr.t = x.tariff_id AND pr.q = x.period GROUP BY 1"), p).all():
        out[keys[i]] = float(cost)
    return out
