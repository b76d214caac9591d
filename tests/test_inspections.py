"""Inspections through the HTTP API: plans (CRUD, due dates in the site's time zone),
records (checklist, values, the due date moved on), switch-over times from real readings,
photos, a finding made a repair order, the overdue list, reminders (once per due date),
the XLSX export; scoping (404) and bad input (422 naming the field)."""
import io
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests
from openpyxl import load_workbook
from rq import SimpleWorker

from backend import jobs
from backend.extensions import db, redis
from backend.inspections import reminders
from backend.models import (
    AuditEntry,
    Device,
    InspectionPlan,
    InspectionReminder,
    Notification,
    NotifyProfile,
    RepairOrder,
    Role,
)
from backend.telemetry import ingest
from tests.factories import auth, make_site, make_user

PLANS, RECORDS = "/api/v1/inspection-plans", "/api/v1/inspection-records"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CHECKLIST = [{"key": "door", "label": "柜门关闭"}, {"key": "smell", "label": "无异味"},
             {"key": "lamp", "label": "指示灯正常"}]
MEASURE = [{"key": "temp", "label": "室温", "unit": "°C"}]


@pytest.fixture
def w(ctx):
    a, b = make_site("A", "甲所"), make_site("B", "乙所")
    qf1 = Device(site_id=a.id, code="QF1", name="常用电源进线", kind="breaker")
    qf2 = Device(site_id=a.id, code="QF2", name="备用电源进线", kind="breaker")
    meter = Device(site_id=a.id, code="PM1", name="电表", kind="meter")
    db.session.add_all([qf1, qf2, meter])
    db.session.commit()
    manager = make_user("mgr", Role.manager, [a])
    staff = make_user("st", Role.staff, [a])
    return {"site": a.id, "site_b": b.id, "qf1": qf1.id, "qf2": qf2.id, "meter": meter.id,
            "manager_id": manager.id, "manager": auth(manager), "staff_id": staff.id,
            "staff": auth(staff), "admin_b": auth(make_user("adm_b", Role.admin, [b]))}


def plan(client, w, **body):
    body = {"site_id": w["site"], "name": "高压室月检", "checklist": CHECKLIST,
            "measurements": MEASURE, "start_date": "2026-01-31", **body}
    return client.post(PLANS, headers=w["manager"], json=body)


def results(ok=True):
    return [{"key": c["key"], "ok": ok} for c in CHECKLIST]


def test_a_monthly_plan_and_its_records_move_the_due_date_across_month_ends(client, w):
    r = plan(client, w)
    assert r.status_code == 201, r.json
    p = r.json
    assert p["next_due"] == "2026-01-31" and p["unit"] == "month" and p["every"] == 1
    # done on Feb 1 local (Jan 31 17:00 UTC is Feb 1 01:00 in Shanghai): fulfils Jan 31,
    # the next due is Feb 28, not Feb 1 + a month
    r = client.post(RECORDS, headers=w["staff"], json={
        "plan_id": p["id"], "performed_at": "2026-01-31T17:00:00Z", "results": results(),
        "values": [{"key": "temp", "value": 24.5}], "findings": ""})
    assert r.status_code == 201, r.json
    rec = r.json
    assert rec["due_on"] == "2026-01-31" and rec["performed_by"] == w["staff_id"]
    assert [x["label"] for x in rec["results"]] == ["柜门关闭", "无异味", "指示灯正常"]
    assert rec["values"] == [{"key": "temp", "label": "室温", "unit": "°C", "value": 24.5}]
    assert client.get(f"{PLANS}/{p['id']}", headers=w["staff"]).json["next_due"] == "2026-02-28"
    # done early for Feb 28 (Feb 20): next is Mar 31
    client.post(RECORDS, headers=w["staff"], json={
        "plan_id": p["id"], "performed_at": "2026-02-20T02:00:00Z", "results": results()})
    assert client.get(f"{PLANS}/{p['id']}", headers=w["staff"]).json["next_due"] == "2026-03-31"
    # done late (May 10 for Mar 31): April is not owed twice
    r = client.post(RECORDS, headers=w["staff"], json={
        "plan_id": p["id"], "performed_at": "2026-05-10T02:00:00Z", "results": results()})
    assert r.json["due_on"] == "2026-03-31"
    assert client.get(f"{PLANS}/{p['id']}", headers=w["staff"]).json["next_due"] == "2026-05-31"
    listed = client.get(f"{RECORDS}?plan_id={p['id']}", headers=w["staff"]).json
    assert [x["due_on"] for x in listed] == ["2026-03-31", "2026-02-28", "2026-01-31"]
    actions = [(a.entity_type, a.action) for a in
               db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions[:3] == [("inspection_plan", "create"), ("inspection_record", "create"),
                           ("inspection_plan", "update")]


def test_staff_cannot_edit_plans_and_other_sites_see_nothing(client, w):
    assert plan(client, w).status_code == 201
    pid = client.get(PLANS, headers=w["staff"]).json[0]["id"]
    assert client.post(PLANS, headers=w["staff"], json={
        "site_id": w["site"], "name": "x", "start_date": "2026-01-01"}).status_code == 403
    assert client.put(f"{PLANS}/{pid}", headers=w["staff"], json={"every": 2}).status_code == 403
    rid = client.post(RECORDS, headers=w["staff"], json={
        "plan_id": pid, "results": results()}).json["id"]
    for url in (f"{PLANS}/{pid}", f"{RECORDS}/{rid}", f"{RECORDS}/{rid}/photos"):
        r = client.get(url, headers=w["admin_b"])
        assert r.status_code == 404, url
    assert client.get(f"{RECORDS}/{rid}", headers=w["admin_b"]).json["error"] == \
        "inspection_record_not_found"
    r = client.post(RECORDS, headers=w["admin_b"], json={"plan_id": pid, "results": results()})
    assert r.status_code == 404 and r.json["error"] == "inspection_plan_not_found"
    assert client.get(PLANS, headers=w["admin_b"]).json == []
    assert client.get(RECORDS, headers=w["admin_b"]).json == []
    assert client.get(f"{PLANS}/overdue", headers=w["admin_b"]).json == []
    r = client.get(f"{RECORDS}/export.xlsx?site_id={w['site']}&from=2026-01-01&to=2026-01-31",
                   headers=w["admin_b"])
    assert r.status_code in (403, 404)


@pytest.mark.parametrize("body, field, error", [
    ({"results": [{"key": "door", "ok": True}]}, "results", "checklist_incomplete"),
    ({"results": results() + [{"key": "nope", "ok": True}]}, "results",
     "unknown_checklist_item"),
    ({"results": results() + [{"key": "door", "ok": False}]}, "results", "duplicate_key"),
    ({"results": results(), "values": [{"key": "volt", "value": 1}]}, "values",
     "unknown_measurement"),
    ({"results": results(), "values": [{"key": "temp", "value": "hot"}]}, "values", None),
    ({"results": results(), "switchover_seconds": 3}, "switchover_seconds", None),
    ({"results": results(), "performed_at": "2099-01-01T00:00:00Z"}, "performed_at", None),
    ({"results": [{"key": "door"}]}, "results", None),
])
def test_bad_records_are_422_naming_the_field(client, w, body, field, error):
    pid = plan(client, w).json["id"]
    r = client.post(RECORDS, headers=w["staff"], json={"plan_id": pid, **body})
    assert r.status_code == 422, r.json
    assert field in r.json["errors"]
    if error:
        assert r.json["error"] == error


@pytest.mark.parametrize("body, field", [
    ({"unit": "fortnight"}, "unit"),
    ({"every": 0}, "every"),
    ({"start_date": "2026-02-30"}, "start_date"),
    ({"checklist": [{"key": "a", "label": "x"}, {"key": "a", "label": "y"}]}, "checklist"),
    ({"checklist": [{"key": "a b", "label": "x"}]}, "checklist"),
    ({"kind": "switchover_test"}, "normal_device_id"),
    ({"kind": "switchover_test", "normal_device_id": "QF1"}, "normal_device_id"),
    ({"kind": "switchover_test", "normal_device_id": 1, "standby_device_id": 1},
     "normal_device_id"),
])
def test_bad_plans_are_422_naming_the_field(client, w, body, field):
    if body.get("normal_device_id") == 1:
        body = {**body, "normal_device_id": w["meter"], "standby_device_id": w["qf2"]}
    r = plan(client, w, **body)
    assert r.status_code == 422, r.json
    assert field in r.json["errors"], r.json


def test_switchover_time_comes_from_the_breakers_readings(client, w):
    r = plan(client, w, name="双电源切换试验", kind="switchover_test", checklist=[],
             measurements=[], normal_device_id=w["qf1"], standby_device_id=w["qf2"])
    assert r.status_code == 201, r.json
    pid = r.json["id"]
    t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=10)
    ingest.ingest([(w["qf1"], t0, {"switch_state": "closed"}),
                   (w["qf2"], t0, {"switch_state": "open"}),
                   (w["qf1"], t0 + timedelta(seconds=61), {"switch_state": "open"}),
                   (w["qf2"], t0 + timedelta(seconds=62), {"switch_state": "open"}),
                   (w["qf2"], t0 + timedelta(seconds=64, milliseconds=500),
                    {"switch_state": "closed"})])
    r = client.post(RECORDS, headers=w["staff"], json={"plan_id": pid,
                                                       "switchover_seconds": 99})
    assert r.status_code == 201, r.json
    rec = r.json
    assert rec["switchover_seconds"] == 3.5 and rec["switchover_source"] == "readings"
    assert rec["normal_opened_at"].startswith((t0 + timedelta(seconds=61)).isoformat()[:19])
    # a window without the readings: the hand-typed time is kept, labelled manual
    r = client.post(RECORDS, headers=w["staff"], json={
        "plan_id": pid, "switchover_seconds": 4.2,
        "window_start": (t0 - timedelta(hours=3)).isoformat(),
        "window_end": (t0 - timedelta(hours=2)).isoformat()})
    assert r.json["switchover_seconds"] == 4.2 and r.json["switchover_source"] == "manual"
    r = client.post(RECORDS, headers=w["staff"], json={
        "plan_id": pid, "window_start": t0.isoformat(), "window_end": t0.isoformat()})
    assert r.status_code == 422 and "window_end" in r.json["errors"]


def test_photos_and_a_finding_made_a_repair_order(client, w):
    pid = plan(client, w).json["id"]
    rid = client.post(RECORDS, headers=w["staff"], json={
        "plan_id": pid, "results": results(False), "findings": "柜门锁损坏"}).json["id"]
    r = client.post(f"{RECORDS}/{rid}/photos", headers=w["staff"],
                    data={"file": (io.BytesIO(PNG), "door.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    photo = r.json
    assert photo["content_type"] == "image/png" and photo["size"] == len(PNG)
    got = client.get(f"{RECORDS}/{rid}/photos/{photo['id']}", headers=w["staff"])
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    r = client.post(f"{RECORDS}/{rid}/photos", headers=w["staff"],
                    data={"file": (io.BytesIO(b"GIF89a" + b"\x00" * 20), "x.gif")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and r.json["error"] == "photo_type_not_allowed"
    r = client.post(f"{RECORDS}/{rid}/repair-order", headers=w["staff"], json={})
    assert r.status_code == 201, r.json
    order = db.session.get(RepairOrder, r.json["id"])
    assert order.title == "高压室月检: 柜门锁损坏" and order.site_id == w["site"]
    assert client.get(f"{RECORDS}/{rid}", headers=w["staff"]).json["repair_order_id"] == order.id
    r = client.post(f"{RECORDS}/{rid}/repair-order", headers=w["staff"], json={})
    assert r.status_code == 409 and r.json["error"] == "repair_order_exists"


def test_overdue_list_and_reminders_once_per_due_date(client, w, notify_standin):
    db.session.add(NotifyProfile(user_id=w["manager_id"], channels=["wechat_template"],
                                 oa_openid="oa-mgr"))
    db.session.commit()
    today = datetime.now(timezone.utc).astimezone(ZoneInfo("Asia/Shanghai")).date()
    late = plan(client, w, name="发电机维保", kind="generator_maintenance", unit="year",
                start_date=(today - timedelta(days=3)).isoformat()).json
    plan(client, w, name="周检", unit="week", start_date=(today + timedelta(days=2)).isoformat())
    due = plan(client, w, name="今日巡检", unit="day", start_date=today.isoformat()).json
    rows = client.get(f"{PLANS}/overdue", headers=w["staff"]).json
    assert [(x["name"], x["status"], x["days_overdue"]) for x in rows] == [
        ("发电机维保", "overdue", 3), ("今日巡检", "due", 0)]
    assert client.get(f"{PLANS}/overdue?site_id={w['site_b']}",
                      headers=w["staff"]).status_code in (403, 404)

    def remind_job():      # the declared periodic job, run by an RQ worker
        jobs.enqueue("inspections.remind")
        SimpleWorker([jobs.get_queue("periodic", redis.raw())],
                     connection=redis.raw()).work(burst=True)
        db.session.expire_all()

    remind_job()
    notes = db.session.query(Notification).filter(
        Notification.inspection_reminder_id.isnot(None)).all()
    assert len(notes) == 2 and {n.user_id for n in notes} == {w["manager_id"]}
    assert {n.event for n in notes} == {"inspection_due"}
    remind_job()                                  # idempotent: told once per due date
    assert db.session.query(Notification).filter(
        Notification.inspection_reminder_id.isnot(None)).count() == 2
    SimpleWorker([jobs.get_queue("notify", redis.raw())],
                 connection=redis.raw()).work(burst=True)
    msgs = requests.get(notify_standin.url + "/_standin/messages",
                        params={"channel": "wechat_template"}, timeout=5).json()
    assert [m["recipient"] for m in msgs] == ["oa-mgr", "oa-mgr"], msgs
    assert any("发电机维保到期" in str(m) and "已逾期 3 天" in str(m) for m in msgs), msgs
    assert any("今日巡检" in str(m) and "今日到期" in str(m) for m in msgs), msgs
    # recorded: the daily plan is due again tomorrow -> no reminder today
    client.post(RECORDS, headers=w["staff"], json={"plan_id": due["id"], "results": results()})
    assert reminders.remind_due() == []
    assert db.session.query(InspectionReminder).count() == 2
    assert db.session.get(InspectionPlan, late["id"]).next_due == today - timedelta(days=3)


def test_xlsx_export_of_a_site_and_period(client, w):
    pid = plan(client, w).json["id"]
    client.post(RECORDS, headers=w["staff"], json={
        "plan_id": pid, "performed_at": "2026-01-31T17:00:00Z",
        "results": [{"key": "door", "ok": False, "note": "锁坏"},
                    {"key": "smell", "ok": True}, {"key": "lamp", "ok": True}],
        "values": [{"key": "temp", "value": 24.5}], "findings": "柜门锁损坏"})
    client.post(RECORDS, headers=w["staff"], json={
        "plan_id": pid, "performed_at": "2026-03-01T02:00:00Z", "results": results()})
    r = client.get(f"{RECORDS}/export.xlsx?site_id={w['site']}&from=2026-02-01&to=2026-02-28",
                   headers=w["staff"])
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    assert "inspections-A-20260201-20260228.xlsx" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data))
    rows = list(wb["巡检记录"].iter_rows(values_only=True))
    assert rows[0][:3] == ("记录号", "计划", "类型") and len(rows) == 2   # Mar 1 is outside
    row = dict(zip(rows[0], rows[1]))
    assert row["执行时间"] == datetime(2026, 2, 1, 1, 0)      # Shanghai local time
    assert row["应完成日期"] == datetime(2026, 1, 31)
    assert row["不合格项"] == "柜门关闭" and row["测量值"] == "室温=24.5 °C"
    assert row["发现问题"] == "柜门锁损坏" and row["检查项"] == 3
    items = list(wb["检查项"].iter_rows(values_only=True))
    assert [(i[3], i[4], i[5]) for i in items[1:]] == [
        ("柜门关闭", "不合格", "锁坏"), ("无异味", "合格", None), ("指示灯正常", "合格", None)]
    r = client.get(f"{RECORDS}/export.xlsx?site_id={w['site']}&from=2026-03-01&to=2026-02-01",
                   headers=w["staff"])
    assert r.status_code == 422 and "to" in r.json["errors"]
