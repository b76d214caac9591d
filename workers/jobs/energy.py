"""Energy jobs: the incremental rollup (backend/energy/rollup.py), the monthly reports
(backend/energy/reports.py)."""
from __future__ import annotations

from datetime import date

from backend.energy import periods as energy_periods
from backend.energy import reports as energy_reports
from backend.energy import rollup as energy_rollup
from backend.runtime.context import app_context


def rollup() -> dict:
    with app_context():
        return energy_rollup.run()


def monthly_reports() -> dict:
    with app_context():
        return energy_reports.monthly_job()


def tariff_reroll(site_id: int, lo: str, hi: str | None) -> dict:
    """The days a tariff change covers, re-rolled per period (backend/energy/periods.py)."""
    with app_context():
        return energy_periods.reroll_site(site_id, date.fromisoformat(lo),
                                          date.fromisoformat(hi) if hi else None)


def facility_reroll(site_ids: list[int], device_ids: list[int]) -> dict:
    """A device moved to another site or a site's zone changed: its days, months and
    period rows summed again (backend/energy/rollup.py)."""
    with app_context():
        return energy_rollup.reroll_facility(site_ids, device_ids)
