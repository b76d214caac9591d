"""Inspections and maintenance (巡检与维保, M11): periodic plans with a checklist, the
records of doing them, reminders when one falls due, the XLSX export.

- ``recurrence``: due dates (pure; month ends clamped from the start date).
- ``switchover``: the measured switch-over time of a dual-power test from switch-state
  readings (pure).
- ``operations``: plans (CRUD), records, photos, the overdue list, a finding to a
  repair order (backend/alarms/repair_orders.py).
- ``reminders``: the periodic job's work: a due plan tells the site's managers once per
  due date through the notification outbox.
- ``export``: the records of a site and period as an XLSX workbook (openpyxl).

Not alarm maintenance windows (backend/alarms/maintenance.py): those silence alarms.
"""
