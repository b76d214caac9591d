"""Automation jobs: the scheduler's pass (backend/automation/schedule_runner.py)."""
from __future__ import annotations

from backend.automation import schedule_runner
from backend.runtime.context import app_context


def run_schedules() -> dict:
    with app_context():
        return schedule_runner.run_due()
