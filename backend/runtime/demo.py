"""Demo data for ``gridwarden up --demo`` (development only).

Imports ``examples/facility.yaml`` (idempotent: a restart changes nothing) and, on a
database with no users, creates the system administrator ``admin`` with a random
password that is printed once and kept in ``GW_DATA_DIR/demo-admin-password`` (0600),
and the duty-staff account ``duty`` with the same password; both get a (stand-in)
WeChat openid so that alarms reach them.
"""
from __future__ import annotations

import logging
import secrets
from pathlib import Path

from sqlalchemy import func, select

log = logging.getLogger(__name__)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "facility.yaml"
DEMO_ADMIN = "admin"
DEMO_DUTY = "duty"


def _duty_staff(site, password: str, admin) -> None:
    """A duty-staff account (tier 1 of the alarm notifications) and WeChat openids for
    both demo users, so alarms reach the stand-in as template messages."""
    from backend.accounts.operations import hash_password
    from backend.extensions import db
    from backend.models import NotifyProfile, Role, User

    duty = User(username=DEMO_DUTY, display_name="值班员", role=Role.staff,
                password_hash=hash_password(password), sites=[site], phone="13800000000")
    db.session.add(duty)
    db.session.flush()
    for user in (admin, duty):
        db.session.add(NotifyProfile(user_id=user.id, oa_openid=f"demo-openid-{user.username}",
                                     channels=["wechat_template", "sms", "webpush"]))


def seed(settings) -> dict:
    from backend.accounts.operations import create_first_admin
    from backend.accounts.security import Actor
    from backend.extensions import db
    from backend.facility.transfer import import_yaml
    from backend.models import Site, User

    if settings.is_production:
        raise RuntimeError("demo data is refused in production")
    from backend.runtime.context import app_context

    out = {}
    with app_context(settings):
        result = import_yaml(Actor.system("demo"), EXAMPLE.read_text(encoding="utf-8"))
        db.session.commit()
        out["site_id"] = result["site_id"]
        if db.session.scalar(select(func.count()).select_from(User)) == 0:
            password = secrets.token_urlsafe(12)
            user = create_first_admin(DEMO_ADMIN, password)
            site = db.session.get(Site, result["site_id"])
            user.sites = [site]
            _duty_staff(site, password, user)
            db.session.commit()
            path = Path(settings.data_dir) / "demo-admin-password"
            path.write_text(password + "\n")
            path.chmod(0o600)
            print(f"\n  Demo administrator: {DEMO_ADMIN} / {password}   (also in {path})"
                  f"\n  Duty staff:         {DEMO_DUTY} / the same password\n", flush=True)
            out["admin_password"] = password
        else:
            path = Path(settings.data_dir) / "demo-admin-password"
            if path.exists():
                print(f"\n  Demo administrator: {DEMO_ADMIN}, password in {path}\n", flush=True)
    return out
