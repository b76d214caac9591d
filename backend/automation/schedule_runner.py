"""The scheduler's pass (the ``automation.schedules`` job, every few seconds): every
enabled schedule's occurrences since it was last checked, each handled exactly once.

Per schedule, one transaction: the schedule row is locked (``SKIP LOCKED``: a second
scheduler passes it by), its occurrences in (``checked_until``, now] are computed, each
gets a ``schedule_runs`` row inserted with ``ON CONFLICT DO NOTHING`` on (schedule,
occurrence) *before* its commands are requested, in the same transaction, and
``checked_until`` moves to now. So two schedulers, a retried job or a restart never run
an occurrence twice: the row is there, or the commands were never committed. The
commands' own key (``schedule:<id>:<occurrence>``, unique among system commands) says
the same a second time.

An occurrence found within ``schedule_grace_seconds`` of its time runs. One found later
(the platform was stopped, the scheduler was down) is **missed**: a history row, a
``schedule_missed`` event on the site's live stream and a notification to the site's
managers (backend/automation/missed.py). With ``run_late`` the most recent missed
occurrence is then run (``ran_late``), once, unless a later one is on time anyway; older
missed occurrences are only reported (running yesterday's "lights on" now helps nobody).
Because ``checked_until`` is stored, the first pass after a start covers all the time the
platform was down.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from backend.accounts.security import Actor
from backend.automation import actions, missed, occurrences, scene_runs  # noqa: F401
from backend.automation.schedules import rule_of, zone_of
from backend.clock import utcnow
from backend.extensions import db
from backend.models import Scene, Schedule, ScheduleRun
from backend.settings import setting

log = logging.getLogger(__name__)
MAX_MISSED_ROWS = 100      # per pass and schedule: older missed occurrences are counted only


def run_due(now: datetime | None = None) -> dict:
    """One pass over every enabled schedule; what it did."""
    now = now or utcnow()
    grace = timedelta(seconds=setting("schedule_grace_seconds"))
    ids = db.session.scalars(select(Schedule.id).where(
        Schedule.enabled.is_(True), Schedule.checked_until < now).order_by(Schedule.id)).all()
    db.session.rollback()
    totals = {"schedules": 0, "ran": 0, "missed": 0, "ran_late": 0, "skipped_disabled": 0}
    for schedule_id in ids:
        try:
            done = check_schedule(schedule_id, now, grace)
        except Exception:            # one broken schedule never stops the others
            db.session.rollback()
            log.exception("schedule %s: the pass failed", schedule_id)
            continue
        if done is not None:
            totals["schedules"] += 1
            for status in done:
                totals[status] += 1
    return totals


def check_schedule(schedule_id: int, now: datetime, grace: timedelta) -> list[str] | None:
    """Handle the schedule's occurrences up to ``now`` and commit; the statuses recorded
    (None: another scheduler holds it, or nothing to do)."""
    s = db.session.execute(select(Schedule).where(Schedule.id == schedule_id)
                           .with_for_update(skip_locked=True)).scalar()
    if s is None or not s.enabled or s.checked_until >= now:
        db.session.rollback()
        return None
    tz = zone_of(s.site_id)
    due = occurrences.between(rule_of(s), tz, s.checked_until, now)
    on_time = [t for t in due if now - t <= grace]
    late = [t for t in due if now - t > grace]
    statuses, missed_rows = [], []
    for t in late[-MAX_MISSED_ROWS:]:
        run_it = s.run_late and t == late[-1] and not on_time
        row = _claim(s, t, "ran_late" if run_it else "missed", now)
        if row is None:
            continue
        if run_it:
            _execute(s, row, tz)
        missed_rows.append(row)
        statuses.append(row.status)
    for t in on_time:
        row = _claim(s, t, "ran", now)
        if row is not None:
            _execute(s, row, tz)
            statuses.append(row.status)
    db.session.execute(update(Schedule).where(Schedule.id == s.id)
                       .values(checked_until=now))
    report = missed.report(s, missed_rows, len(late), tz) if missed_rows else None
    db.session.commit()
    if report is not None:
        missed.after_commit(*report)
    if statuses:
        log.info("schedule %s (%s): %s", s.id, s.name, ", ".join(statuses))
    return statuses


def _claim(s: Schedule, occurrence: datetime, status: str, now: datetime):
    """The occurrence's row, if no one recorded it before (None otherwise)."""
    row_id = db.session.execute(insert(ScheduleRun).values(
        schedule_id=s.id, site_id=s.site_id, occurrence=occurrence, status=status,
        found_at=now).on_conflict_do_nothing(constraint="uq_schedule_runs_occurrence")
        .returning(ScheduleRun.id)).scalar()
    return db.session.get(ScheduleRun, row_id) if row_id is not None else None


def run_key(s: Schedule, occurrence: datetime) -> str:
    return f"schedule:{s.id}:{occurrence.strftime('%Y-%m-%dT%H:%M:%SZ')}"


def _execute(s: Schedule, row: ScheduleRun, tz) -> None:
    """Request the occurrence's commands (in this transaction): the scene or the actions,
    as the system, keyed by the occurrence."""
    if s.scene_id is not None:
        scene = db.session.get(Scene, s.scene_id)
        if scene is None or not scene.enabled:
            row.status, row.results = "skipped_disabled", []
            return
        acts = [{"kind": "scene", "scene_id": s.scene_id}]
    else:
        acts = s.actions or []
    local = row.occurrence.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    late = "（补执行）" if row.status == "ran_late" else ""
    run = actions.Run(Actor.system(f"schedule:{s.id}"), s.site_id, run_key(s, row.occurrence),
                      f"定时任务「{s.name}」{local}{late}", ("schedule", s.id))
    row.results = actions.run_all(run, acts)
    row.ran_at = utcnow()
