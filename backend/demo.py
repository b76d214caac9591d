"""Demo data for ``gridwarden up --demo`` (development only).

Imports ``examples/facility.yaml`` (idempotent: a restart changes nothing) and, on a
database with no users, creates the system administrator ``admin`` with a random
password that is printed once and kept in ``GW_DATA_DIR/demo-admin-password`` (0600).
"""
from __future__ import annotations

import logging
import secrets
from pathlib import Path

from sqlalchemy import func, select

log = logging.getLogger(__name__)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "facility.yaml"
DEMO_ADMIN = "admin"


def seed(settings) -> dict:
    from backend import create_app
    from backend.extensions import db
    from backend.models import Site, User
    from backend.security import Actor
    from backend.services.accounts import create_first_admin
    from backend.services.transfer import import_yaml

    if settings.is_production:
        raise RuntimeError("demo data is refused in production")
    app = create_app(settings)
    out = {}
    with app.app_context():
        result = import_yaml(Actor.system("demo"), EXAMPLE.read_text(encoding="utf-8"))
        db.session.commit()
        out["site_id"] = result["site_id"]
        if db.session.scalar(select(func.count()).select_from(User)) == 0:
            password = secrets.token_urlsafe(12)
            user = create_first_admin(DEMO_ADMIN, password)
            site = db.session.get(Site, result["site_id"])
            user.sites = [site]
            db.session.commit()
            path = Path(settings.data_dir) / "demo-admin-password"
            path.write_text(password + "\n")
            path.chmod(0o600)
            print(f"\n  Demo administrator: {DEMO_ADMIN} / {password}   (also in {path})\n",
                  flush=True)
            out["admin_password"] = password
        else:
            path = Path(settings.data_dir) / "demo-admin-password"
            if path.exists():
                print(f"\n  Demo administrator: {DEMO_ADMIN}, password in {path}\n", flush=True)
    return out
