"""Energy jobs: the incremental rollup (backend/energy/rollup.py)."""
from __future__ import annotations

from backend.energy import rollup as energy_rollup
from backend.runtime.context import app_context


def rollup() -> dict:
    with app_context():
        return energy_rollup.run()
