"""Schedules (backend/automation/schedules.py, schedule_runner.py, missed.py): saved when
their target can run; each occurrence run exactly once even by two schedulers at the same
moment; an occurrence found after the grace (the platform was stopped) is reported (the
history, a ``schedule_missed`` event, one outbox row per manager) and run late only when
the schedule says so."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

import requests
from rq import SimpleWorker
from sqlalchemy import select

from backend import jobs
from backend.automation import schedule_runner
from backend.automation.occurrences import zone
from backend.extensions import db, redis
from backend.live.keys import site_stream
from backend.models import Command, Notification, NotifyProfile, Schedule, ScheduleRun, Site
from tests.control_world import runner, settled, world  # noqa: F401  (fixtures)
from tests.test_poller import run_poll, sim, sim_api, site  # noqa: F401

CHINA = zone("Asia/Shanghai")


def minutes_ago(minutes: float) -> datetime:
    """A whole minute about ``minutes`` ago (UTC): the occurrence of a "HH:MM" time."""
    t = datetime.now(timezone.utc) - timedelta(minutes=minutes)
    return t.replace(second=0, microsecond=0)


def hhmm(t: datetime) -> str:
    return t.astimezone(CHINA).strftime("%H:%M")


def make(app, client, world, name, *, times, checked_until, **body):  # noqa: F811
    body = {"site_id": world["site"], "name": name, "times": [hhmm(t) for t in times],
            **body}
    r = client.post("/api/v1/schedules", json=body, headers=world["h"]["m1"])
    assert r.status_code == 201, r.json
    with app.app_context():         # as if last checked before the occurrences
        db.session.get(Schedule, r.json["id"]).checked_until = checked_until
        db.session.commit()
    return r.json


def scene(client, world, name, code):  # noqa: F811
    r = client.post("/api/v1/scenes", headers=world["h"]["m1"], json={
        "site_id": world["site"], "name": name, "actions": [cmd(world, code)]})
    assert r.status_code == 201, r.json
    return r.json


def cmd(world, code, action="open"):  # noqa: F811
    return {"kind": "command", "device_id": world["ids"][code], "action": action}


def scheduler_job(app):
    """The declared periodic job, run by a worker as the scheduler would enqueue it."""
    spec = jobs.JOBS["automation.schedules"]
    assert spec.every and spec.every <= 60
    with app.app_context():
        job = jobs.enqueue("automation.schedules")
        SimpleWorker([jobs.get_queue(spec.queue, redis.raw())],
                     connection=redis.raw()).work(burst=True)
        job.refresh()
        assert job.is_finished, job.latest_result().exc_string
        return job.return_value()


def test_saving_checks_the_target_times_and_dates(app, client, world):  # noqa: F811
    h, site_id = world["h"]["m1"], world["site"]
    off = scene(client, world, "熄灯", "QF-AL1-WL1")
    cases = [({"scene_id": off["id"], "actions": [cmd(world, "QF-AL1-WL1")]}, "scene_id",
              "schedule_target"),
             ({}, "scene_id", "schedule_target"),
             ({"scene_id": 999999}, "scene_id", "action_scene_not_found"),
             ({"scene_id": off["id"], "times": ["24:00"]}, "times", "validation_error"),
             ({"scene_id": off["id"], "start_date": "2026-12-10",
               "end_date": "2026-12-01"}, "end_date", "validation_error"),
             ({"actions": [cmd(world, "QF-AL1-WL1", "dim")]}, "actions",
              "action_not_supported")]
    for extra, field, code in cases:
        body = {"site_id": site_id, "name": "x", "times": ["21:30"], **extra}
        r = client.post("/api/v1/schedules", json=body, headers=h)
        assert r.status_code == 422 and r.json["error"] == code, (extra, r.json)
        assert field in json.dumps(r.json["errors"]), r.json
    assert client.post("/api/v1/schedules", headers=world["h"]["s1"], json={
        "site_id": site_id, "name": "x", "times": ["21:30"],
        "scene_id": off["id"]}).status_code == 403
    r = client.post("/api/v1/schedules", headers=h, json={
        "site_id": site_id, "name": "工作日熄灯", "scene_id": off["id"],
        "times": ["21:30", "06:00", "21:30"], "weekdays": [5, 1, 2, 3, 4],
        "except_dates": ["2027-01-01"], "extra_dates": ["2027-01-09"],
        "start_date": "2026-12-28"})
    assert r.status_code == 201, r.json
    s = r.json
    assert s["times"] == ["06:00", "21:30"] and s["weekdays"] == [1, 2, 3, 4, 5]
    assert s["time_zone"] == "Asia/Shanghai" and s["run_late"] is False
    # the next runs in the site's time zone: the holiday skipped, the Saturday added
    nxt = client.get(f"/api/v1/schedules/{s['id']}/next?count=20", headers=h).json
    days = [x["local"][:16] for x in nxt["runs"]]
    assert days[:2] == ["2026-12-28T06:00", "2026-12-28T21:30"]
    assert "2027-01-01T06:00" not in days and "2027-01-09T06:00" in days
    assert nxt["runs"][0]["at"].startswith("2026-12-27T22:00")      # UTC
    assert client.get(f"/api/v1/schedules/{s['id']}/next?count=0", headers=h).status_code \
        == 422
    # a site in another zone: the same wall-clock times are other instants
    with app.app_context():
        db.session.get(Site, site_id).timezone = "Europe/Berlin"
        db.session.commit()
    nxt = client.get(f"/api/v1/schedules/{s['id']}/next?count=1", headers=h).json
    assert nxt["time_zone"] == "Europe/Berlin" and nxt["runs"][0]["at"].startswith(
        "2026-12-28T05:00")
    # the console sends the unused target as an explicit null, on create and when switching
    r = client.post("/api/v1/schedules", headers=h, json={
        "site_id": site_id, "name": "熄灯(控制台)", "scene_id": off["id"], "actions": None,
        "times": ["22:00"]})
    assert r.status_code == 201, r.json
    r = client.put(f"/api/v1/schedules/{r.json['id']}", headers=h, json={
        "scene_id": None, "actions": [cmd(world, "QF-AL1-WL1")]})
    assert r.status_code == 200 and r.json["scene_id"] is None, r.json
    r = client.put(f"/api/v1/schedules/{r.json['id']}", headers=h, json={
        "scene_id": off["id"], "actions": None})
    assert r.status_code == 200 and r.json["actions"] is None, r.json
    r = client.delete(f"/api/v1/schedules/{r.json['id']}", headers=h)
    assert r.status_code == 204, r.status_code
    # the scene a schedule runs is not deleted under it
    r = client.delete(f"/api/v1/scenes/{off['id']}", headers=h)
    assert r.status_code == 409 and r.json["error"] == "has_dependents"


def test_two_schedulers_at_once_run_an_occurrence_exactly_once(app, client, world, sim):  # noqa: F811
    due = minutes_ago(0.5)                                  # within the grace
    s = make(app, client, world, "走廊灯", times=[due], checked_until=due - timedelta(hours=1),
             actions=[cmd(world, "QF-AL1-WL1"), cmd(world, "QF-JQ1-WL4")])
    start, results = threading.Barrier(2), []

    def scheduler():
        with app.app_context():
            start.wait()
            results.append(schedule_runner.run_due())
            db.session.remove()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r["ran"] for r in results) == [0, 1], results
    with app.app_context():
        runs = db.session.scalars(select(ScheduleRun)).all()
        assert [(r.status, r.occurrence) for r in runs] == [("ran", due)]
        made = db.session.scalars(select(Command).where(Command.origin_kind == "schedule")
                                  .order_by(Command.id)).all()
        assert [c.device_id for c in made] == [world["ids"]["QF-AL1-WL1"],
                                                world["ids"]["QF-JQ1-WL4"]]
        assert made[0].requested_by is None and made[0].origin_id == s["id"]
        assert made[1].state == "awaiting_approval" and "走廊灯" in made[0].reason
        assert [r["command_id"] for r in runs[0].results] == [c.id for c in made]
        first = made[0].id
        # a restart that lost the cursor finds the occurrence recorded: nothing twice
        db.session.get(Schedule, s["id"]).checked_until = due - timedelta(minutes=5)
        db.session.commit()
        assert schedule_runner.run_due()["ran"] == 0
        assert db.session.query(Command).filter_by(origin_kind="schedule").count() == 2
        assert db.session.query(ScheduleRun).count() == 1
    assert settled(client, world, first)["state"] == "confirmed"
    hist = client.get(f"/api/v1/schedules/{s['id']}/runs", headers=world["h"]["s1"]).json
    assert [(x["status"], x["results"][0]["command_id"]) for x in hist] == [("ran", first)]


def test_a_run_missed_while_stopped_is_reported_at_start(app, client, world, sim,  # noqa: F811
                                                          notify_standin):
    missed_at = minutes_ago(30)                             # the platform was down
    with app.app_context():
        for name in ("m1", "m2"):
            db.session.add(NotifyProfile(user_id=world["users"][name],
                                         channels=["wechat_template"], oa_openid=f"oa-{name}"))
        db.session.commit()
    on = scene(client, world, "开灯", "QF-AL1-WL2")
    s = make(app, client, world, "晚间开灯", times=[missed_at], scene_id=on["id"],
             checked_until=missed_at - timedelta(hours=8))
    done = scheduler_job(app)                               # the first pass after a start
    assert done["missed"] == 1 and done["ran"] == 0
    with app.app_context():
        row = db.session.scalar(select(ScheduleRun))
        assert (row.status, row.occurrence, row.results) == ("missed", missed_at, None)
        assert db.session.query(Command).count() == 0       # run_late is off: not run
        told = db.session.scalars(select(Notification).where(
            Notification.schedule_run_id == row.id)).all()
        assert sorted(n.user_id for n in told) == sorted([world["users"]["m1"],
                                                          world["users"]["m2"]])
        events = [json.loads(f["data"]) for _, f in redis.xrange(site_stream(world["site"]))
                  if f["type"] == "schedule_missed"]
        assert len(events) == 1 and events[0]["schedule_id"] == s["id"]
        assert events[0]["missed"][0]["occurrence"] == missed_at.isoformat()
        assert events[0]["missed"][0]["local"].startswith(
            missed_at.astimezone(CHINA).strftime("%Y-%m-%dT%H:%M"))
        SimpleWorker([jobs.get_queue("notify", redis.raw())],
                     connection=redis.raw()).work(burst=True)
    msgs = requests.get(notify_standin.url + "/_standin/messages",
                        params={"channel": "wechat_template"}, timeout=5).json()
    assert sorted(m["recipient"] for m in msgs) == ["oa-m1", "oa-m2"], msgs
    assert all("定时任务" in str(m) and "晚间开灯" in str(m) for m in msgs)
    # the history and the list show it; a second pass reports nothing again
    h = world["h"]["m1"]
    hist = client.get(f"/api/v1/schedules/{s['id']}/runs?status=missed", headers=h).json
    assert [x["status"] for x in hist] == ["missed"]
    listed = client.get("/api/v1/schedules", headers=h).json
    assert listed[0]["recent_missed"] == 1 and listed[0]["next_run_at"]
    assert scheduler_job(app)["missed"] == 0


def test_run_late_runs_the_newest_missed_occurrence_once(app, client, world, sim):  # noqa: F811
    older, newer = minutes_ago(50), minutes_ago(20)
    fan = scene(client, world, "排风", "QF-JQ1-WL3")
    s = make(app, client, world, "排风补执行", times=[older, newer], scene_id=fan["id"],
             run_late=True, checked_until=older - timedelta(hours=1))
    assert schedule_runner_pass(app) == {"missed": 1, "ran_late": 1}
    with app.app_context():
        rows = db.session.scalars(select(ScheduleRun).order_by(ScheduleRun.occurrence)).all()
        assert [(r.status, r.occurrence) for r in rows] == [("missed", older),
                                                            ("ran_late", newer)]
        inner = rows[1].results[0]
        assert inner["kind"] == "scene" and inner["scene_run_id"]
        command_id = inner["results"][0]["command_id"]
        assert db.session.query(Notification).filter(
            Notification.schedule_run_id == rows[1].id).count() == 2     # m1, m2
        assert "补执行" in db.session.get(Command, command_id).reason
    assert settled(client, world, command_id)["state"] == "confirmed"
    # a disabled scene is skipped (recorded); enabling a schedule again reports nothing
    # from the time it was off
    h = world["h"]["m1"]
    client.put(f"/api/v1/scenes/{fan['id']}", headers=h, json={"enabled": False})
    due = minutes_ago(0.5)
    with app.app_context():
        sched = db.session.get(Schedule, s["id"])
        sched.times, sched.checked_until = [hhmm(due)], due - timedelta(minutes=1)
        db.session.commit()
    assert schedule_runner_pass(app) == {"skipped_disabled": 1}
    client.put(f"/api/v1/schedules/{s['id']}", headers=h, json={"enabled": False})
    with app.app_context():
        db.session.get(Schedule, s["id"]).checked_until = due - timedelta(hours=5)
        db.session.commit()
    client.put(f"/api/v1/schedules/{s['id']}", headers=h, json={"enabled": True})
    assert schedule_runner_pass(app) == {}


def schedule_runner_pass(app) -> dict:
    with app.app_context():
        done = schedule_runner.run_due()
    return {k: v for k, v in done.items() if v and k != "schedules"}


def test_the_scheduler_job_is_declared_and_its_key_is_short_enough():
    spec = jobs.JOBS["automation.schedules"]
    assert spec.func == "workers.jobs.automation.run_schedules" and spec.ttl <= spec.every
    key = schedule_runner.run_key(Schedule(id=2**31 - 1),
                                  datetime(2026, 12, 2, tzinfo=timezone.utc))
    assert len(f"{key}:49:49") <= 64 and key.endswith("2026-12-02T00:00:00Z")
