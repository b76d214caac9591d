"""The incremental rollup: counter readings -> ``energy_slots`` -> days -> months.

What to roll comes from ``gw:energy:dirty`` (telemetry ingest adds each device with the
oldest counter reading of every stored batch, late ones included; a meter replacement
adds its time): the low watermark, per device. ``energy_state.rolled_until`` is the high
watermark, the newest reading rolled. A device is re-rolled from a little before its
mark (``_window``): the slots from there on are computed again through the pure core
(``counters.slot_energies``) and replaced, then the device's local days and months from
that day on are summed again from the slots (and its days and months per tariff
period, ``periods.roll``). Running it twice, or after a re-sent batch, writes the same
rows.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session

from backend import jobs
from backend.energy import periods
from backend.energy.counters import (
    Point,
    Replacement,
    Rules,
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


def take_lock(owner: str, wait: float) -> bool:
    """The rollup's lock for a re-roll job (``owner`` names it), waiting up to ``wait``
    seconds for a running rollup or another re-roll; False when it stayed held."""
    client = redis.current()
    deadline = time.monotonic() + wait
    while not client.set(LOCK_KEY, owner, nx=True, ex=600):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


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
    site_id: int
    timezone: str
    rules: dict
    replacements: dict


def targets(device_ids) -> dict[int, Target]:
    """The devices (that still exist) with their rules and replacements, in two queries."""
    ids = sorted(set(device_ids))
    rows = db.session.execute(select(Device.id, Device.profile, Site.id.label("site_id"),
                                     Site.timezone)
                              .join(Site, Site.id == Device.site_id)
                              .where(Device.id.in_(ids))).all() if ids else []
    reps = replacements_of([r.id for r in rows])
    return {r.id: Target(r.id, r.profile, r.site_id, r.timezone, rules_for(r.profile),
                         reps[r.id])
            for r in rows}


_COUNTER_IDS = [METRICS[name].id for name in COUNTERS]
_BY_ID = {METRICS[name].id: name for name in COUNTERS}
ALL = datetime(1, 1, 2, tzinfo=UTC)       # "from the beginning" in the batch queries


def _before(pairs: dict[int, datetime], n: int) -> dict[int, dict[str, list[datetime]]]:
    """Per device and counter, the times of its last ``n`` good readings before the
    device's time (newest first): one query for the whole batch."""
    out: dict[int, dict[str, list[datetime]]] = {d: {} for d in pairs}
    if not pairs:
        return out
    ids = list(pairs)
    rows = db.session.execute(text(
        "SELECT p.d, m, ARRAY(SELECT ts FROM readings WHERE device_id = p.d "
        "AND metric_id = m AND ts < p.t AND quality & :bad = 0 ORDER BY ts DESC LIMIT :n) "
        "FROM unnest(CAST(:ds AS int[]), CAST(:ts AS timestamptz[])) AS p(d, t) "
        "CROSS JOIN unnest(CAST(:ms AS smallint[])) AS m"),
        {"ds": ids, "ts": [pairs[d] for d in ids], "bad": BAD, "n": n,
         "ms": _COUNTER_IDS}).all()
    for d, m, times in rows:
        out[d][_BY_ID[m]] = list(times)
    return out


def _windows(since: dict[int, datetime | None]):
    """Per device (write_from, context per counter). Slots from ``write_from`` are
    rewritten; each counter's readings are read from its ``context`` on. write_from is
    the slot of the second-last good reading before the mark (the intervals ending at
    the last one may change: a glitch or a reset is judged by the reading after it); the
    context holds three more readings, so the core judges the first rewritten interval
    as the whole history would. ``ALL``: from the beginning."""
    everything = (ALL, {name: ALL for name in COUNTERS})
    out = {d: everything for d, t in since.items() if t is None}
    write_from = {}
    for d, per_counter in _before({d: t for d, t in since.items() if t is not None},
                                  2).items():
        starts = []
        for times in per_counter.values():
            if len(times) == 1:        # too little history: all of it (a few readings)
                out[d] = everything
                break
            if times:
                starts.append(times[1])
        else:
            write_from[d] = slot_of(min(starts + [since[d]]))
    for d, per_counter in _before(write_from, 3).items():
        # The oldest of those (with fewer, the counter's first reading; with none, the
        # counter starts after write_from).
        out[d] = (write_from[d], {name: (per_counter[name][-1] if per_counter.get(name)
                                         else write_from[d]) for name in COUNTERS})
    return out


def _points(windows) -> dict[int, dict[str, list[Point]]]:
    """Each device's counters' good readings from their context on, one query."""
    out = {d: {name: [] for name in COUNTERS} for d in windows}
    if not windows:
        return out
    ids = list(windows)
    rows = db.session.execute(text(
        "SELECT r.device_id, r.metric_id, r.ts, r.value FROM unnest(CAST(:ds AS int[]), "
        "CAST(:lo AS timestamptz[])) AS p(d, lo) JOIN readings r ON r.device_id = p.d "
        "AND r.ts >= p.lo WHERE r.metric_id = ANY(CAST(:ms AS smallint[])) "
        "AND r.quality & :bad = 0 ORDER BY 1, 2, 3"),
        {"ds": ids, "lo": [min(windows[d][1].values()) for d in ids], "ms": _COUNTER_IDS,
         "bad": BAD}).all()
    for d, m, ts, value in rows:
        name = _BY_ID[m]
        if ts >= windows[d][1][name]:
            out[d][name].append(Point(ts, value))
    return out


def compute_slots(device: Target, write_from: datetime, points: dict[str, list[Point]],
                  ) -> tuple[dict[datetime, dict], datetime | None]:
    """{slot: row} from ``write_from`` on, and the newest reading seen."""
    rows: dict[datetime, dict] = {}
    newest = None
    for name, column in COUNTERS.items():
        pts = points[name]
        if pts:
            newest = max(newest or pts[-1].ts, pts[-1].ts)
        for t, s in slot_energies(pts, device.rules[name], device.replacements[name]).items():
            if t < write_from:
                continue
            row = rows.setdefault(t, {"import_kwh": 0.0, "export_kwh": 0.0,
                                      "reactive_kvarh": 0.0, "estimated": False})
            row[column] = s.energy
            row["estimated"] |= s.estimated
    for row in rows.values():
        row["demand_kw"] = demand_kw(row["import_kwh"])
    return rows, newest


def roll_device(device_id: int, since: datetime | None = None) -> int:
    """Re-roll one device from ``since`` (None: its whole history). Returns slots
    written. Flushes; the caller commits."""
    return roll_batch(targets([device_id]), {device_id: since})


def roll_batch(found: dict[int, Target], since: dict[int, datetime | None]) -> int:
    """Re-roll these devices, each from its time (None: its whole history), in a fixed
    number of statements whatever their count. Returns slots written."""
    since = {d: t for d, t in since.items() if d in found}
    if not since:
        return 0
    windows = _windows(since)
    points = _points(windows)
    ids, wf = sorted(windows), [windows[d][0] for d in sorted(windows)]
    cols: dict[str, list] = {k: [] for k in ("d", "slot", "imp", "exp", "rea", "dem", "est")}
    newest: dict[int, datetime | None] = {}
    for d in ids:
        rows, newest[d] = compute_slots(found[d], windows[d][0], points[d])
        for t in sorted(rows):
            r = rows[t]
            for key, value in (("d", d), ("slot", t), ("imp", r["import_kwh"]),
                               ("exp", r["export_kwh"]), ("rea", r["reactive_kvarh"]),
                               ("dem", r["demand_kw"]), ("est", r["estimated"])):
                cols[key].append(value)
    db.session.execute(text(
        "DELETE FROM energy_slots s USING unnest(CAST(:ds AS int[]), "
        "CAST(:wf AS timestamptz[])) AS p(d, t) WHERE s.device_id = p.d AND s.slot >= p.t"),
        {"ds": ids, "wf": wf})
    for k in range(0, len(cols["d"]), INSERT_ROWS):   # bounded statements (see INSERT_ROWS)
        db.session.execute(text(
            "INSERT INTO energy_slots (device_id, slot, import_kwh, export_kwh, "
            "reactive_kvarh, demand_kw, estimated) SELECT * FROM unnest("
            "CAST(:d AS int[]), CAST(:slot AS timestamptz[]), CAST(:imp AS float8[]), "
            "CAST(:exp AS float8[]), CAST(:rea AS float8[]), CAST(:dem AS float8[]), "
            "CAST(:est AS boolean[]))"), {key: v[k:k + INSERT_ROWS] for key, v in cols.items()})
    zones = [found[d].timezone for d in ids]
    day0 = [t.astimezone(ZoneInfo(z)).date() if t > ALL else ALL.date()
            for t, z in zip(wf, zones)]
    db.session.execute(text(_DAYS_MONTHS), {
        "ds": ids, "tz": zones, "day0": day0, "month0": [d.replace(day=1) for d in day0]})
    periods.roll([(d, found[d].site_id, found[d].timezone) for d in ids], day0)
    db.session.execute(text(
        "INSERT INTO energy_state (device_id, rolled_until, updated_at) SELECT d, n, now() "
        "FROM unnest(CAST(:ds AS int[]), CAST(:n AS timestamptz[])) AS p(d, n) "
        "ON CONFLICT (device_id) DO UPDATE SET rolled_until = GREATEST("
        "energy_state.rolled_until, EXCLUDED.rolled_until), updated_at = now()"),
        {"ds": ids, "n": [newest[d] for d in ids]})
    return len(cols["d"])


_SUMS = ("sum(x.import_kwh), sum(x.export_kwh), sum(x.reactive_kvarh), max(x.demand_kw), "
         "bool_or(x.estimated)")
# The devices' local days from their first rewritten day, then their months from that
# month, from the stored slots and days (those before are unchanged and still there).
_P = ("unnest(CAST(:ds AS int[]), CAST(:tz AS text[]), CAST(:day0 AS date[]), "
      "CAST(:month0 AS date[])) AS p(d, tz, day0, month0)")
_DAYS_MONTHS = (
    f"DELETE FROM energy_days x USING {_P} WHERE x.device_id = p.d AND x.day >= p.day0; "
    "INSERT INTO energy_days (device_id, day, import_kwh, export_kwh, reactive_kvarh, "
    f"demand_kw, estimated) SELECT x.device_id, CAST(timezone(p.tz, x.slot) AS date), "
    f"{_SUMS} FROM {_P} JOIN energy_slots x ON x.device_id = p.d "
    "AND x.slot >= timezone(p.tz, CAST(p.day0 AS timestamp)) GROUP BY 1, 2; "
    f"DELETE FROM energy_months x USING {_P} WHERE x.device_id = p.d "
    "AND x.month >= p.month0; "
    "INSERT INTO energy_months (device_id, month, import_kwh, export_kwh, reactive_kvarh, "
    "demand_kw, estimated) SELECT x.device_id, CAST(date_trunc('month', x.day) AS date), "
    f"{_SUMS} FROM {_P} JOIN energy_days x ON x.device_id = p.d AND x.day >= p.month0 "
    "GROUP BY 1, 2")


BATCH = 200   # devices per batch and commit
READINGS_PER_BATCH = 400_000   # roll_all: counter readings read per batch (~100 MB here)
INSERT_ROWS = 50_000           # slots per INSERT statement (its arrays are parameters)


def run() -> dict:
    """The periodic job: every marked device re-rolled from its mark, ``BATCH`` devices
    per batch and commit. A batch that fails is rolled again device by device, each in a
    savepoint: a device that fails is rolled back alone, stays marked (logged), and the
    others go on."""
    client = redis.current()
    if not client.set(LOCK_KEY, "1", nx=True, ex=600):
        return {"skipped": "another rollup is running"}
    done = failed = slots = 0
    try:
        marks = client.eval(_TAKE, 2, ENERGY_DIRTY_KEY, WORK_KEY)
        pairs = list(zip(marks[0::2], marks[1::2]))
        for i in range(0, len(pairs), BATCH):
            chunk = {int(m): datetime.fromtimestamp(float(score), UTC)
                     for m, score in pairs[i:i + BATCH]}
            found = targets(chunk)
            ok: list[int] = []
            try:
                with db.session.begin_nested():
                    slots += roll_batch(found, chunk)
                ok = list(chunk)
            except Exception:   # noqa: BLE001 - find the device, roll the others alone
                log.warning("energy rollup batch failed; rolling its devices one by one")
                for d, since in chunk.items():
                    try:
                        with db.session.begin_nested():
                            slots += roll_batch(found, {d: since})
                        ok.append(d)
                    except Exception:   # noqa: BLE001 - one device must not stop the others
                        failed += 1
                        log.exception("energy rollup of device %s failed", d)
            db.session.commit()
            if ok:
                client.zrem(WORK_KEY, *map(str, ok))
            done += len(ok)
    finally:
        client.delete(LOCK_KEY)
    return {"devices": done, "failed": failed, "slots": slots}


def _history_batches(ids: list[int]):
    """``ids`` in batches of at most ``BATCH`` devices and about ``READINGS_PER_BATCH``
    counter readings (counted first: a device with a year of minutes reads as much as
    hundreds with a day each)."""
    counts = dict(db.session.execute(text(
        "SELECT device_id, count(*) FROM readings WHERE device_id = ANY(:ids) "
        "AND metric_id = ANY(CAST(:ms AS smallint[])) GROUP BY 1"),
        {"ids": ids, "ms": _COUNTER_IDS}).all()) if ids else {}
    batch, n = [], 0
    for d in ids:
        c = counts.get(d, 0)
        if batch and (len(batch) >= BATCH or n + c > READINGS_PER_BATCH):
            yield batch
            batch, n = [], 0
        batch.append(d)
        n += c
    if batch:
        yield batch


def roll_all(device_ids=None) -> int:
    """Every device (or these) from its whole history: the repair and the benchmark.
    Batches are bounded by the readings they read (``_history_batches``) and slots are
    written in statements of ``INSERT_ROWS``: 200 devices x a year in one batch made a
    PostgreSQL backend grow to 16 GB and the OOM killer end it."""
    ids = list(device_ids) if device_ids is not None else db.session.scalars(
        text("SELECT id FROM devices ORDER BY id")).all()
    total = 0
    for chunk in _history_batches(ids):
        total += roll_batch(targets(chunk), {d: None for d in chunk})
        db.session.commit()
    return total


# --- the facility changed under the rows: a device's site, a site's zone ----------------
# Days, months and their tariff periods are keyed by the local day of the device's site:
# a device moved to another site (its zone and tariffs) or a site's time zone changed
# leaves the rows already rolled cut at the old zone's midnight and priced by the old
# site's versions. Slots are UTC quarters and stay; the days, months and period rows of
# the devices concerned are summed again from them by the job ``energy.facility_reroll``,
# enqueued once the facility write commits (as a tariff change's, periods.py).
REZONE = "energy_facility_rerolls"   # session.info key: ({site ids}, {device ids})
HISTORY_BATCH = 50                   # devices a commit: a year of slots is 35 k rows each


def _changed(state, name: str) -> bool:
    h = state.attrs[name].history
    return bool(h.added) and list(h.added) != list(h.deleted or [None])


@event.listens_for(Session, "before_flush")
def _facility_watch(session, _context, _instances):
    for obj in session.dirty:
        if isinstance(obj, Site) and _changed(inspect(obj), "timezone"):
            session.info.setdefault(REZONE, (set(), set()))[0].add(obj.id)
        elif isinstance(obj, Device) and _changed(inspect(obj), "site_id"):
            session.info.setdefault(REZONE, (set(), set()))[1].add(obj.id)


def _enqueue_facility(site_ids, device_ids) -> None:
    jobs.enqueue("energy.facility_reroll", sorted(site_ids), sorted(device_ids),
                 description=f"energy days of sites {sorted(site_ids)}, "
                             f"devices {sorted(device_ids)}")


@event.listens_for(Session, "after_commit")
def _facility_enqueue(session):
    pending = session.info.pop(REZONE, None)
    if pending and (pending[0] or pending[1]):
        _enqueue_facility(*pending)


@event.listens_for(Session, "after_rollback")
def _facility_forget(session):
    session.info.pop(REZONE, None)


def reroll_facility(site_ids, device_ids, wait: float = 600.0) -> dict:
    """The job: every device of these sites and these devices, their local days, months
    and period rows summed again over their whole history from their slots in their
    site's present zone and versions, ``HISTORY_BATCH`` devices a commit, under the
    rollup's lock (waiting up to ``wait`` seconds, then enqueued again, never dropped)."""
    client = redis.current()
    if not take_lock("facility", wait):
        log.warning("energy re-roll of sites %s, devices %s: the rollup's lock is held; "
                    "enqueued again", site_ids, device_ids)
        _enqueue_facility(site_ids, device_ids)
        return {"requeued": True}
    try:
        rows = db.session.execute(
            select(Device.id, Site.id, Site.timezone).join(Site, Site.id == Device.site_id)
            .where(Site.id.in_(list(site_ids)) | Device.id.in_(list(device_ids)))
            .order_by(Device.id)).all()
        for i in range(0, len(rows), HISTORY_BATCH):
            chunk = [tuple(r) for r in rows[i:i + HISTORY_BATCH]]
            first = [ALL.date()] * len(chunk)
            db.session.execute(text(_DAYS_MONTHS), {
                "ds": [d for d, _, _ in chunk], "tz": [z for _, _, z in chunk],
                "day0": first, "month0": [d.replace(day=1) for d in first]})
            periods.roll(chunk, first)
            db.session.commit()
            client.expire(LOCK_KEY, 600)
    finally:
        client.delete(LOCK_KEY)
    log.info("energy days re-rolled for sites %s, devices %s: %d devices", site_ids,
             device_ids, len(rows))
    return {"site_ids": sorted(site_ids), "device_ids": sorted(device_ids),
            "devices": len(rows)}
