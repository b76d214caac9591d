"""Energy jobs: the incremental rollup (backend/energy/rollup.py), the monthly reports
(backend/energy/reports.py)."""
from __future__ import annotations

from backend.energy import reports as energy_reports
from backend.energy import rollup as energy_rollup
from backend.runtime.context import app_context


def rollup() -> dict:
    with app_context():
        return energy_rollup.run()


def monthly_reports() -> dict:
    with app_context():
        return energy_reports.monthly_job()
