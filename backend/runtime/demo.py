"""The demo of ``gridwarden up --demo`` (development only): its data, the simulator and the
notification stand-in it runs beside the platform, and the channels pointed at it.

Imports the demo facility (idempotent: a restart changes nothing): by default the
realistic detention centre ``examples/detention-center/facility.yaml`` (about 300
breakers; ``--demo-facility small``: the 16-device ``examples/facility.yaml``). On a
database with no users it creates one account per role, all with one random password
printed once and kept in ``GW_DATA_DIR/demo-admin-password`` (0600): the system
administrator ``admin``, the manager ``manager`` and the duty-staff ``duty`` with control
grants on the first detention area; each gets a (stand-in) WeChat openid so alarms
reach them. The simulator injects a realistic fault now and then by itself
(simulator/demo_faults.py) unless ``--demo-faults off``.
"""
from __future__ import annotations

import logging
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import func, select

from backend.config import Settings
from backend.runtime.supervisor import Child

log = logging.getLogger(__name__)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FACILITIES = {"detention": EXAMPLES / "detention-center" / "facility.yaml",
              "small": EXAMPLES / "facility.yaml"}
EXAMPLE = FACILITIES["small"]
DEMO_ADMIN = "admin"
DEMO_MANAGER = "manager"
DEMO_DUTY = "duty"
# The duty staff's control grants: the first detention area (and whatever is in it).
DUTY_GRANT_AREA = "JQ1"
# High-side meters (attributes.nominal_kv) alarm on their own voltage: ±7 % of nominal
# phase voltage for a warning, +10 % for an alarm (GB/T 12325 for 10 kV supply).
HV_WARNING, HV_ALARM = 1.07, 1.10


@dataclass(frozen=True)
class DemoOptions:
    facility: str = "detention"       # a key of FACILITIES
    faults: bool = True               # the simulator's own faults (simulator/demo_faults.py)
    fault_delay: float = 180.0        # seconds to the first one
    fault_ramp: float = 300.0         # seconds its value takes to creep to the peak

    @property
    def path(self) -> Path:
        return FACILITIES[self.facility]


def _accounts(site, password: str, admin) -> list:
    """The manager and the duty staff (tier 1 of the alarm notifications, control grants
    on the first detention area), and WeChat openids for all three demo users, so alarms
    reach the stand-in as template messages."""
    from backend.accounts.operations import hash_password
    from backend.accounts.security import Actor
    from backend.control.rights import replace_grants
    from backend.extensions import db
    from backend.models import Area, NotifyProfile, Role, User

    manager = User(username=DEMO_MANAGER, display_name="值班领导", role=Role.manager,
                   password_hash=hash_password(password), sites=[site], phone="13800000001")
    duty = User(username=DEMO_DUTY, display_name="值班员", role=Role.staff,
                password_hash=hash_password(password), sites=[site], phone="13800000000")
    db.session.add_all([manager, duty])
    db.session.flush()
    area = db.session.scalar(select(Area).where(Area.site_id == site.id,
                                                Area.code == DUTY_GRANT_AREA))
    if area is not None:
        replace_grants(Actor.system("demo"), duty.id, [{"scope": "area", "target_id": area.id}])
    for user in (admin, manager, duty):
        db.session.add(NotifyProfile(user_id=user.id, oa_openid=f"demo-openid-{user.username}",
                                     channels=["wechat_template", "sms", "webpush"]))
    return [manager, duty]


def _high_side_limits(site_id: int) -> None:
    """Device overrides of the voltage rules for the high-side meters (10 kV: 5.8 kV per
    phase, which the 230 V defaults would call an over-voltage); once per device."""
    from backend.extensions import db
    from backend.models import AlarmRule, Device

    for dev in db.session.scalars(select(Device).where(Device.site_id == site_id,
                                                       Device.kind == "meter")):
        kv = (dev.attributes or {}).get("nominal_kv")
        if not kv or db.session.scalar(select(func.count()).select_from(AlarmRule).where(
                AlarmRule.device_id == dev.id)):
            continue
        phase_v = float(kv) * 1000 / 3 ** 0.5
        for level, factor in (("warning", HV_WARNING), ("alarm", HV_ALARM)):
            db.session.add(AlarmRule(site_id=site_id, scope="device", device_id=dev.id,
                                     rule="over_voltage", level=level,
                                     threshold=round(phase_v * factor),
                                     clear_threshold=round(phase_v * (factor - 0.02))))
        for level, factor in (("warning", 0.90), ("alarm", 0.80)):
            db.session.add(AlarmRule(site_id=site_id, scope="device", device_id=dev.id,
                                     rule="under_voltage", level=level,
                                     threshold=round(phase_v * factor),
                                     clear_threshold=round(phase_v * (factor + 0.02))))


def seed(settings, options: DemoOptions | None = None) -> dict:
    from backend.accounts.operations import create_first_admin
    from backend.accounts.security import Actor
    from backend.extensions import db
    from backend.facility.transfer import import_yaml
    from backend.models import Site, User

    if settings.is_production:
        raise RuntimeError("demo data is refused in production")
    from backend.runtime.context import app_context

    options = options or DemoOptions()
    out = {}
    with app_context(settings):
        result = import_yaml(Actor.system("demo"), options.path.read_text(encoding="utf-8"))
        _high_side_limits(result["site_id"])
        db.session.commit()
        out["site_id"] = result["site_id"]
        if db.session.scalar(select(func.count()).select_from(User)) == 0:
            password = secrets.token_urlsafe(12)
            user = create_first_admin(DEMO_ADMIN, password)
            site = db.session.get(Site, result["site_id"])
            user.sites = [site]
            _accounts(site, password, user)
            db.session.commit()
            path = Path(settings.data_dir) / "demo-admin-password"
            path.write_text(password + "\n")
            path.chmod(0o600)
            print(f"\n  Demo administrator: {DEMO_ADMIN} / {password}   (also in {path})"
                  f"\n  Manager:            {DEMO_MANAGER} / the same password"
                  f"\n  Duty staff:         {DEMO_DUTY} / the same password (may switch "
                  f"{DUTY_GRANT_AREA})\n", flush=True)
            out["admin_password"] = password
        else:
            path = Path(settings.data_dir) / "demo-admin-password"
            if path.exists():
                print(f"\n  Demo administrator: {DEMO_ADMIN}, password in {path}\n", flush=True)
    return out


def simulator_child(env: dict[str, str], options: DemoOptions | None = None) -> Child:
    """``--demo``: the demo facility's breakers, served by the simulator on the ports
    its file gives its gateways (fault-injection API on 127.0.0.1:8790), its KNX
    groups' actuators on the demo's knxd when there is one, and its own faults."""
    options = options or DemoOptions()
    knx = ["--knx", f"127.0.0.1:{demo_knx_port(options)}"] if knxd_installed() else []
    faults = ["--demo-faults", "on" if options.faults else "off",
              "--demo-faults-delay", str(options.fault_delay),
              "--demo-faults-ramp", str(options.fault_ramp)]
    return Child("simulator", [sys.executable, "-m", "simulator", "--facility",
                               str(options.path), *knx, *faults], env)


def knxd_installed() -> bool:
    return shutil.which("knxd") is not None


def demo_knx_port(options: DemoOptions | None = None) -> int:
    """The port the demo facility gives its KNX gateway: the demo's knxd serves it."""
    doc = yaml.safe_load((options or DemoOptions()).path.read_text(encoding="utf-8")) or {}
    gateways = doc.get("knx_gateways") or [{}]
    return int(gateways[0].get("port", 3671))


def knxd_socket(settings: Settings) -> Path:
    return Path(settings.data_dir) / "knxd.sock"


def knxd_child(settings: Settings, options: DemoOptions | None = None) -> Child | None:
    """``--demo``: knxd (KNXnet/IP tunnelling on the example's KNX gateway port, a dummy
    bus that the simulator's actuators sit on), or None, saying KNX is off, when knxd is
    not installed (``make system-deps``). knxd binds every interface: a demo machine
    only."""
    if not knxd_installed():
        log.warning("KNX is off in the demo: knxd is not installed (make system-deps)")
        return None
    return Child("knxd", ["knxd", "-e", "0.0.1", "-E", "0.0.2:8", "-T",
                          f"-S224.0.23.12:{demo_knx_port(options)}", "-u",
                          str(knxd_socket(settings)),
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


def banner(settings: Settings, options: DemoOptions | None = None) -> str:
    """The demo's lines under the banner: the facility, where to inject faults, where
    messages arrive, and the accounts (so the password stays on screen: the console is
    quiet after it)."""
    options = options or DemoOptions()
    path = Path(settings.data_dir) / "demo-admin-password"
    password = path.read_text().strip() if path.exists() else f"(see {path})"
    doc = yaml.safe_load(options.path.read_text(encoding="utf-8")) or {}
    devices = doc.get("devices") or []
    breakers = sum(1 for d in devices if d.get("kind") == "breaker")
    faults = (f"a realistic fault now and then by itself, the first after "
              f"{options.fault_delay:g} s (--demo-faults off disables it)" if options.faults
              else "off (--demo-faults off)")
    knx = (f"knxd on udp/{demo_knx_port(options)} with the simulator's actuators (knxtool "
           f"groupswrite local:{knxd_socket(settings)} 1/2/3 1; docs/knx.md)" if knxd_installed()
           else "off: knxd is not installed (make system-deps)")
    site = doc.get("site") or {}
    return (f"  Demo:       {site.get('name', '')} {site.get('code', '')} "
            f"({options.path.relative_to(EXAMPLES.parent)}): {len(doc.get('boards') or [])} "
            f"boards, {breakers} breakers, {len(devices)} devices\n"
            f"  Simulator:  fault API http://127.0.0.1:8790/api/devices, "
            f"WeChat/SMS stand-in http://127.0.0.1:{STANDINS_PORT}/\n"
            f"  Faults:     {faults}\n"
            f"  Accounts:   {DEMO_ADMIN} / {password} (administrator), {DEMO_MANAGER} / the "
            f"same (manager), {DEMO_DUTY} / the same (duty staff, may switch "
            f"{DUTY_GRANT_AREA})\n"
            f"  KNX:        {knx}\n")
