"""The incremental rollup: counter readings -> ``energy_slots`` -> days -> months.

What to roll comes from ``gw:energy:dirty`` (telemetry ingest adds each device with the
oldest counter reading of every stored batch, late ones included; a meter replacement
adds its time): the low watermark, per device. ``energy_state.rolled_until`` is the high
watermark, the newest reading rolled. A device is re-rolled from a little before its
mark (``_window``): the slots from there on are computed again through the pure core
(``counters.slot_energies``) and replaced, then the device's local days and months from
that day on are summed again from the slots. Running it twice, or after a re-sent batch,
writes the same rows.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

from backend.energy.counters import (
    Point,
    Replacement,
    Rules,
    Slot,
    counter_modulus,
    demand_kw,
    slot_energies,
    slot_of,
)
from backend.extensions import db, redis
from backend.field.catalog import profile_for
from backend.models import Device, Site
from backend.models.energy import COUNTERS, MeterReplacement
from backend.models.telemetry import METRICS, Q_INVALID, Q_OUT_OF_RANGE
from backend.settings import setting
from backend.telemetry.ingest import ENERGY_DIRTY_KEY

log = logging.getLogger(__name__)

BAD = Q_OUT_OF_RANGE | Q_INVALID   # left out; a counter_decrease flag is the core's to judge
WORK_KEY = ENERGY_DIRTY_KEY + ":work"
LOCK_KEY = "gw:energy:lock"
# Take the marks atomically: whatever a stopped run left in the work set stays there
# (merged, oldest mark wins); marks added from now on go to a fresh dirty set.
_TAKE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('ZUNIONSTORE', KEYS[2], 2, KEYS[2], KEYS[1], 'AGGREGATE', 'MIN')
  redis.call('DEL', KEYS[1])
end
return redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
"""


def mark(device_id: int, since: datetime) -> None:
    """Re-roll ``device_id`` from ``since`` on the next run (a replacement, a backfill)."""
    redis.current().zadd(ENERGY_DIRTY_KEY, {str(device_id): since.timestamp()}, lt=True)


def rules_for(profile: str | None) -> dict[str, Rules]:
    """Per counter: the register's rollover (from the device's profile) and the gap."""
    gap = float(setting("energy_gap_seconds"))
    try:
        metrics = profile_for(profile).metrics if profile else {}
    except (KeyError, ValueError):
        metrics = {}
    out = {}
    for name in COUNTERS:
        f = metrics.get(name)
        out[name] = Rules(modulus=counter_modulus(f.type, f.scale) if f else None,
                          gap_seconds=gap)
    return out


def replacements_of(device_ids) -> dict[int, dict[str, list[Replacement]]]:
    """Per device, per counter, its meter replacements (one query for all of them)."""
    out: dict[int, dict[str, list[Replacement]]] = {
        d: {name: [] for name in COUNTERS} for d in device_ids}
    rows = db.session.execute(select(MeterReplacement.device_id, MeterReplacement.at,
                                     MeterReplacement.readings)
                              .where(MeterReplacement.device_id.in_(list(out)))).all()
    for device_id, when, readings in rows:
        for name, pair in (readings or {}).items():
            if name in COUNTERS:
                out[device_id][name].append(Replacement(
                    when, float(pair["old_final"]), float(pair["new_initial"])))
    return out


@dataclass(frozen=True)
class Target:
    """What the rollup needs of a device: its id, profile and site's zone."""
    id: int
    profile: str | None
    timezone: str
    rules: dict
    replacements: dict


def targets(device_ids) -> dict[int, Target]:
    """The devices (that still exist) with their rules and replacements, in two queries."""
    ids = sorted(set(device_ids))
    rows = db.session.execute(select(Device.id, Device.profile, Site.timezone)
                              .join(Site, Site.id == Device.site_id)
                              .where(Device.id.in_(ids))).all() if ids else []
    reps = replacements_of([r.id for r in rows])
    return {r.id: Target(r.id, r.profile, r.timezone, rules_for(r.profile), reps[r.id])
            for r in rows}


_COUNTER_IDS = [METRICS[name].id for name in COUNTERS]
_BY_ID = {METRICS[name].id: name for name in COUNTERS}


def _before(device_id: int, before: datetime, n: int) -> dict[str, list[datetime]]:
    """Per counter, the times of its last ``n`` good readings before ``before`` (newest
    first): one round trip for the three counters."""
    rows = db.session.execute(text(
        "SELECT m, ARRAY(SELECT ts FROM readings WHERE device_id = :d AND metric_id = m "
        "AND ts < :t AND quality & :bad = 0 ORDER BY ts DESC LIMIT :n) "
        "FROM unnest(CAST(:ms AS smallint[])) AS m"),
        {"d": device_id, "t": before, "bad": BAD, "n": n, "ms": _COUNTER_IDS}).all()
    return {_BY_ID[m]: list(ts) for m, ts in rows}


def _window(device_id: int, since: datetime | None):
    """(write_from, context per counter). Slots from ``write_from`` are rewritten; each
    counter's readings are read from its ``context`` on. write_from is the slot of the
    second-last good reading before ``since`` (the intervals ending at the last one may
    change: a glitch or a reset is judged by the reading after it); the context holds
    three more readings, so the core judges the first rewritten interval as before."""
    everything = None, {name: None for name in COUNTERS}
    if since is None:
        return everything
    starts = []
    for times in _before(device_id, since, 2).values():
        if len(times) == 1:
            return everything          # too little history: all of it (a few readings)
        if times:
            starts.append(times[1])
    write_from = slot_of(min(starts + [since]))
    context = _before(device_id, write_from, 3)
    # The oldest of those (with fewer, it is the counter's first reading; with none, the
    # counter starts after write_from).
    return write_from, {name: (context[name][-1] if context[name] else write_from)
                        for name in COUNTERS}


def _points(device_id: int, context: dict) -> dict[str, list[Point]]:
    """Each counter's good readings from its context on (None: all), one query."""
    starts = [context[name] for name in COUNTERS]
    lo = None if any(t is None for t in starts) else min(starts)
    rows = db.session.execute(text(
        "SELECT metric_id, ts, value FROM readings WHERE device_id = :d "
        "AND metric_id = ANY(CAST(:ms AS smallint[])) AND quality & :bad = 0 "
        "AND (CAST(:t AS timestamptz) IS NULL OR ts >= :t) ORDER BY metric_id, ts"),
        {"d": device_id, "ms": _COUNTER_IDS, "t": lo, "bad": BAD}).all()
    out: dict[str, list[Point]] = {name: [] for name in COUNTERS}
    for m, ts, value in rows:
        name = _BY_ID[m]
        if context[name] is None or ts >= context[name]:
            out[name].append(Point(ts, value))
    return out


def compute_slots(device: Target, write_from: datetime | None, context: dict,
                  ) -> tuple[dict[datetime, dict], datetime | None]:
    """{slot: row} from ``write_from`` on, and the newest reading seen."""
    rules, reps = device.rules, device.replacements
    rows: dict[datetime, dict] = {}
    newest = None
    points = _points(device.id, context)
    for name, column in COUNTERS.items():
        pts = points[name]
        if pts:
            newest = max(newest or pts[-1].ts, pts[-1].ts)
        slots: dict[datetime, Slot] = slot_energies(pts, rules[name], reps[name])
        for t, s in slots.items():
            if write_from is not None and t < write_from:
                continue
            row = rows.setdefault(t, {"import_kwh": 0.0, "export_kwh": 0.0,
                                      "reactive_kvarh": 0.0, "estimated": False})
            row[column] = s.energy
            row["estimated"] |= s.estimated
    for row in rows.values():
        row["demand_kw"] = demand_kw(row["import_kwh"])
    return rows, newest


def roll_device(device_id: int, since: datetime | None = None,
                target: Target | None = None) -> int:
    """Re-roll one device from ``since`` (None: its whole history). Returns slots written.
    Flushes; the caller commits."""
    device = target or targets([device_id]).get(device_id)
    if device is None:
        return 0
    tz = device.timezone
    write_from, context = _window(device_id, since)
    rows, newest = compute_slots(device, write_from, context)
    params = {"d": device_id, "t": write_from}
    db.session.execute(text(
        "DELETE FROM energy_slots WHERE device_id = :d "
        "AND (CAST(:t AS timestamptz) IS NULL OR slot >= :t)"), params)
    if rows:
        ordered = sorted(rows)
        db.session.execute(text(
            "INSERT INTO energy_slots (device_id, slot, import_kwh, export_kwh, "
            "reactive_kvarh, demand_kw, estimated) SELECT :d, * FROM unnest("
            "CAST(:slot AS timestamptz[]), CAST(:imp AS float8[]), CAST(:exp AS float8[]), "
            "CAST(:rea AS float8[]), CAST(:dem AS float8[]), CAST(:est AS boolean[]))"),
            {"d": device_id, "slot": ordered,
             "imp": [rows[t]["import_kwh"] for t in ordered],
             "exp": [rows[t]["export_kwh"] for t in ordered],
             "rea": [rows[t]["reactive_kvarh"] for t in ordered],
             "dem": [rows[t]["demand_kw"] for t in ordered],
             "est": [rows[t]["estimated"] for t in ordered]})
    _roll_days_months(device_id, tz, write_from)
    db.session.execute(text(
        "INSERT INTO energy_state (device_id, rolled_until, updated_at) VALUES (:d, :n, now()) "
        "ON CONFLICT (device_id) DO UPDATE SET rolled_until = GREATEST("
        "energy_state.rolled_until, EXCLUDED.rolled_until), updated_at = now()"),
        {"d": device_id, "n": newest})
    return len(rows)


_SUMS = ("sum(import_kwh), sum(export_kwh), sum(reactive_kvarh), max(demand_kw), "
         "bool_or(estimated)")


def _roll_days_months(device_id: int, tz: str, write_from: datetime | None) -> None:
    """The device's local days from write_from's day on, then its months, from the
    stored slots and days (the slots before write_from are unchanged and still there)."""
    day0 = month0 = None
    if write_from is not None:
        day0 = write_from.astimezone(ZoneInfo(tz)).date()
        month0 = day0.replace(day=1)
    p = {"d": device_id, "tz": tz, "day0": day0, "month0": month0}
    db.session.execute(text(_DAYS_MONTHS), p)


_DAYS_MONTHS = (
    "DELETE FROM energy_days WHERE device_id = :d "
    "AND (CAST(:day0 AS date) IS NULL OR day >= :day0); "
    "INSERT INTO energy_days (device_id, day, import_kwh, export_kwh, reactive_kvarh, "
    f"demand_kw, estimated) SELECT device_id, CAST(timezone(:tz, slot) AS date), {_SUMS} "
    "FROM energy_slots WHERE device_id = :d AND (CAST(:day0 AS date) IS NULL OR "
    "slot >= timezone(:tz, CAST(:day0 AS timestamp))) GROUP BY 1, 2; "
    "DELETE FROM energy_months WHERE device_id = :d "
    "AND (CAST(:month0 AS date) IS NULL OR month >= :month0); "
    "INSERT INTO energy_months (device_id, month, import_kwh, export_kwh, reactive_kvarh, "
    "demand_kw, estimated) SELECT device_id, CAST(date_trunc('month', day) AS date), "
    f"{_SUMS} FROM energy_days WHERE device_id = :d AND (CAST(:month0 AS date) IS NULL "
    "OR day >= :month0) GROUP BY 1, 2")


BATCH = 200   # devices per commit (each in its own savepoint)


def run() -> dict:
    """The periodic job: every marked device re-rolled from its mark, in batches of
    ``BATCH`` per commit, each device in a savepoint: a device that fails is rolled back
    alone, stays marked (logged), and the others go on."""
    client = redis.current()
    if not client.set(LOCK_KEY, "1", nx=True, ex=600):
        return {"skipped": "another rollup is running"}
    done = failed = slots = 0
    try:
        marks = client.eval(_TAKE, 2, ENERGY_DIRTY_KEY, WORK_KEY)
        pairs = list(zip(marks[0::2], marks[1::2]))
        for i in range(0, len(pairs), BATCH):
            ok = []
            chunk = pairs[i:i + BATCH]
            found = targets(int(member) for member, _score in chunk)
            for member, score in chunk:
                since = datetime.fromtimestamp(float(score), UTC)
                target = found.get(int(member))
                try:
                    with db.session.begin_nested():
                        if target is not None:
                            slots += roll_device(target.id, since, target)
                    ok.append(member)
                except Exception:   # noqa: BLE001 - one device must not stop the others
                    failed += 1
                    log.exception("energy rollup of device %s failed", member)
            db.session.commit()
            if ok:
                client.zrem(WORK_KEY, *ok)
            done += len(ok)
    finally:
        client.delete(LOCK_KEY)
    return {"devices": done, "failed": failed, "slots": slots}


def roll_all(device_ids=None) -> int:
    """Every device (or these) from its whole history: the repair and the benchmark."""
    ids = device_ids if device_ids is not None else db.session.scalars(
        text("SELECT id FROM devices ORDER BY id")).all()
    total = 0
    for i in range(0, len(ids), BATCH):
        found = targets(ids[i:i + BATCH])
        for device_id in ids[i:i + BATCH]:
            if device_id in found:
                total += roll_device(device_id, None, found[device_id])
        db.session.commit()
    return total


