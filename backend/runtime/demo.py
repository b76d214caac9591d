"""The demo of ``gridwarden up --demo`` (development only): its data, the simulator and the
notification stand-in it runs beside the platform, and the channels pointed at it.

Imports ``examples/facility.yaml`` (idempotent: a restart changes nothing) and, on a
database with no users, creates the system administrator ``admin`` with a random
password that is printed once and kept in ``GW_DATA_DIR/demo-admin-password`` (0600),
and the duty-staff account ``duty`` with the same password; both get a (stand-in)
WeChat openid so that alarms reach them.
"""
from __future__ import annotations

import logging
import secrets
import shutil
import sys
from pathlib import Path

import yaml
from sqlalchemy import func, select

from backend.config import Settings
from backend.runtime.supervisor import Child

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


def simulator_child(env: dict[str, str]) -> Child:
    """``--demo``: the example facility's breakers, served by the simulator on the ports
    examples/facility.yaml gives its gateways (fault-injection API on 127.0.0.1:8790),
    and its KNX groups' actuators on the demo's knxd when there is one."""
    knx = ["--knx", f"127.0.0.1:{demo_knx_port()}"] if knxd_installed() else []
    return Child("simulator", [sys.executable, "-m", "simulator", "--facility", str(EXAMPLE),
                               *knx], env)


def knxd_installed() -> bool:
    return shutil.which("knxd") is not None


def demo_knx_port() -> int:
    """The port examples/facility.yaml gives its KNX gateway: the demo's knxd serves it."""
    doc = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")) or {}
    gateways = doc.get("knx_gateways") or [{}]
    return int(gateways[0].get("port", 3671))


def knxd_socket(settings: Settings) -> Path:
    return Path(settings.data_dir) / "knxd.sock"


def knxd_child(settings: Settings) -> Child | None:
    """``--demo``: knxd (KNXnet/IP tunnelling on the example's KNX gateway port, a dummy
    bus that the simulator's actuators sit on), or None, saying KNX is off, when knxd is
    not installed (``make system-deps``). knxd binds every interface: a demo machine
    only."""
    if not knxd_installed():
        log.warning("KNX is off in the demo: knxd is not installed (make system-deps)")
        return None
    return Child("knxd", ["knxd", "-e", "0.0.1", "-E", "0.0.2:8", "-T",
                          f"-S224.0.23.12:{demo_knx_port()}", "-u", str(knxd_socket(settings)),
                          "-b", "dummy:"], tier=0,
                 max_backoff=2.0)


STANDINS_PORT = 8791


# Credentials the demo's stand-in is started with and the channels are configured with
# (not secrets: the stand-in runs on loopback and only in a demo).
DEMO_STANDIN_CREDENTIALS = {"wechat_secret": "standin-wechat-secret",
                            "sms_secret_id": "standin-sms-id",
                            "sms_secret_key": "standin-sms-key"}


def notify_settings(settings: Settings) -> dict:
    """``--demo``: every notification channel pointed at the local stand-in (unless the
    environment configured a channel itself), so a user watches the messages arrive at
    http://127.0.0.1:8791/."""
    if settings.wechat_appid or settings.sms_secret_id:
        return {}
    base = f"http://127.0.0.1:{STANDINS_PORT}"
    cred = DEMO_STANDIN_CREDENTIALS
    return dict(wechat_api_base_url=base + "/", wechat_appid="wxdemo0000000001",
                wechat_secret=cred["wechat_secret"], wechat_template_alarm="DEMO-ALARM-TEMPLATE",
                wxa_appid="wxdemo0000000002", wxa_secret=cred["wechat_secret"],
                wxa_subscribe_template="DEMO-SUBSCRIBE-TEMPLATE", sms_provider="tencent",
                sms_endpoint=base + "/", sms_secret_id=cred["sms_secret_id"],
                sms_secret_key=cred["sms_secret_key"], sms_sdk_app_id="1400000000",
                sms_sign_name="GridWarden", sms_template_id="100001")


def standins_child(env: dict[str, str]) -> Child:
    """``--demo``: the WeChat / SMS / Web Push stand-in (messages at its / page), a
    separate program (``python -m standins``), given the demo's credentials."""
    cred = DEMO_STANDIN_CREDENTIALS
    return Child("standins", [sys.executable, "-m", "standins", "--host", "127.0.0.1",
                              "--port", str(STANDINS_PORT),
                              "--wechat-secret", cred["wechat_secret"],
                              "--sms-secret-id", cred["sms_secret_id"],
                              "--sms-secret-key", cred["sms_secret_key"]], env)


def banner(settings: Settings) -> str:
    """The demo's lines under the banner: where to inject faults, where messages arrive,
    and the accounts (so the password stays on screen: the console is quiet after it)."""
    path = Path(settings.data_dir) / "demo-admin-password"
    password = path.read_text().strip() if path.exists() else f"(see {path})"
    knx = (f"knxd on udp/{demo_knx_port()} with the simulator's actuators (knxtool "
           f"groupswrite local:{knxd_socket(settings)} 1/2/3 1; docs/knx.md)" if knxd_installed()
           else "off: knxd is not installed (make system-deps)")
    return (f"  Demo:       simulator fault API http://127.0.0.1:8790/api/devices, "
            f"WeChat/SMS stand-in http://127.0.0.1:{STANDINS_PORT}/\n"
            f"  Accounts:   {DEMO_ADMIN} / {password} (administrator), {DEMO_DUTY} / the same "
            f"(duty staff)\n"
            f"  KNX:        {knx}\n")
