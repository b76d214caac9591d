"""The inspection records of a site and period as an XLSX workbook (openpyxl).

One sheet 巡检记录: a row per record (local time of the site), the checklist summarised
(items failed, by label) and each measured value as ``label=value unit``; a second sheet
检查项 with a row per checklist result, for filtering in a spreadsheet.
"""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from backend.accounts.security import Actor
from backend.errors import NotFound, invalid_field
from backend.extensions import db
from backend.inspections.operations import photo_counts, zone_of
from backend.inspections.reminders import KIND_LABELS
from backend.models import InspectionPlan, InspectionRecord, Site, User

MAX_DAYS = 400
RECORD_HEADERS = ("记录号", "计划", "类型", "应完成日期", "执行时间", "执行人", "检查项",
                  "不合格项", "测量值", "切换时间(秒)", "切换时间来源", "发现问题", "照片数",
                  "抢修工单")
ITEM_HEADERS = ("记录号", "计划", "执行时间", "检查项", "结果", "备注")
SOURCE_LABELS = {"readings": "读数", "manual": "手工"}


def period(site_id: int, start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in the site's time zone, as aware datetimes."""
    if end < start:
        invalid_field("to", "must not be before from")
    if (end - start).days > MAX_DAYS:
        invalid_field("from", f"a period may span at most {MAX_DAYS} days")
    tz = zone_of(site_id)
    return (datetime.combine(start, time(), tz),
            datetime.combine(end + timedelta(days=1), time(), tz))


def workbook(actor: Actor, site_id: int, start: date, end: date) -> tuple[bytes, str]:
    """The workbook's bytes and a file name."""
    actor.require_site(site_id)
    site = db.session.get(Site, site_id)
    if site is None:
        raise NotFound(f"site {site_id} not found", error="site_not_found")
    lo, hi = period(site_id, start, end)
    tz = zone_of(site_id)
    rows = db.session.execute(
        select(InspectionRecord, InspectionPlan, User.display_name, User.username)
        .join(InspectionPlan, InspectionPlan.id == InspectionRecord.plan_id)
        .outerjoin(User, User.id == InspectionRecord.performed_by)
        .where(InspectionRecord.site_id == site_id, InspectionRecord.performed_at >= lo,
               InspectionRecord.performed_at < hi)
        .order_by(InspectionRecord.performed_at, InspectionRecord.id)).all()
    photos = photo_counts([r.id for r, *_ in rows])
    wb = Workbook()
    ws = wb.active
    ws.title = "巡检记录"
    items = wb.create_sheet("检查项")
    for sheet, headers in ((ws, RECORD_HEADERS), (items, ITEM_HEADERS)):
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    for rec, plan, display, username in rows:
        local = rec.performed_at.astimezone(tz).replace(tzinfo=None)
        failed = [r["label"] for r in rec.results or [] if not r.get("ok")]
        values = "; ".join(f"{v['label']}={v['value']:g}{(' ' + v['unit']) if v.get('unit') else ''}"
                           for v in rec.values or [])
        ws.append((rec.id, plan.name, KIND_LABELS.get(plan.kind, plan.kind), rec.due_on, local,
                   display or username or "", len(rec.results or []), "、".join(failed),
                   values, rec.switchover_seconds,
                   SOURCE_LABELS.get(rec.switchover_source, ""), rec.findings,
                   photos.get(rec.id, 0), rec.repair_order_id))
        for r in rec.results or []:
            items.append((rec.id, plan.name, local, r["label"], "合格" if r.get("ok") else "不合格",
                          r.get("note") or ""))
    for sheet in (ws, items):
        for column in sheet.columns:
            letter = column[0].column_letter
            sheet.column_dimensions[letter].width = 14
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), f"inspections-{site.code}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
