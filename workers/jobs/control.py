"""Control jobs: the reconciler (backend/control/reconcile.py). Commands themselves are
executed by the control runner of each poll process (backend/control/runner.py)."""
from __future__ import annotations

from backend.control import reconcile as control_reconcile
from backend.runtime.context import app_context


def reconcile() -> dict:
    with app_context():
        return control_reconcile.reconcile()
